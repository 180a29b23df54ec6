"""One saved answer as a typed, frozen record: what session.json holds for each answer.

The analysis is the same typed `AnswerAnalysis` that `analyze --json` prints, stored
with its one JSON schema; this record adds what only a practice session knows (which
question it followed, why, how the recording ended) and keeps the two apart. In schema 1
the recorder's `speech_end_s` was merged over the analysis's own, so a saved answer's
speech span changed meaning; schema 2 stores the recorder's times under `recording`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

from simulator.analysis.analyze import AnswerAnalysis
from simulator.speech.capture import EndedBy

SCHEMA_VERSION = 2

# keys only the session writes; file, question_id and question are shared and hold the session's values
_SESSION_KEYS = ("idx", "parent_id", "trigger", "reason", "audio", "recording", "analysed")


@dataclass(frozen=True)
class RecordingInfo:
    """How the microphone recording of an answer ended (nothing for a file or a recovery)."""

    ended_by: EndedBy | None = None     # capture.EndedBy; read back as that enum
    speech_end_s: float | None = None   # the last voice the recorder heard, seconds from its start
    stopped_s: float | None = None      # when the recording stopped
    turn: Mapping[str, Any] | None = None   # the end-of-turn decision (turn.TurnDecision.to_dict())

    def to_dict(self) -> dict:
        return {"ended_by": self.ended_by, "speech_end_s": self.speech_end_s, "stopped_s": self.stopped_s,
                "turn": dict(self.turn) if self.turn is not None else None}


@dataclass(frozen=True)
class SavedAnswer:
    """One answer of a session: the question asked, its recording and, once analysed, the analysis."""

    idx: int
    question_id: str
    question: str
    audio: str                            # the WAV's file name inside the session folder
    parent_id: str | None = None          # the main question a follow-up digs into
    trigger: str | None = None            # what prompted the follow-up (followup.FollowUp.trigger)
    reason: str | None = None
    recording: RecordingInfo = field(default_factory=RecordingInfo)
    analysis: AnswerAnalysis | None = None   # None when it was not analysed

    @property
    def ended_by(self) -> str | None:
        return self.recording.ended_by

    @property
    def unheard(self) -> bool:
        """No voice reached the microphone: kept on disk, never scored or averaged."""
        return self.recording.ended_by == EndedBy.NO_VOICE

    @property
    def complete(self) -> bool:
        """Analysed, and not cut short by Ctrl-C: `--resume` does not ask it again."""
        return self.analysis is not None and self.recording.ended_by != EndedBy.INTERRUPTED

    @property
    def corrected(self) -> bool:
        """The user typed what was said; Whisper's transcript is `analysis.original_transcript`."""
        return self.analysis is not None and self.analysis.corrected

    def to_dict(self) -> dict:
        """The JSON of session.json: the analysis's own keys, then the session's, then `recording`.

        The keys the two share (file, question_id, question) take the session's value: the
        audio's name in the folder, and the question as it was asked.
        """
        analysis = self.analysis.to_dict() if self.analysis else {}
        return {**analysis, "idx": self.idx, "question_id": self.question_id, "question": self.question,
                "parent_id": self.parent_id, "trigger": self.trigger, "reason": self.reason, "audio": self.audio,
                "file": self.audio, "recording": self.recording.to_dict(), "analysed": self.analysis is not None}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any], schema: int = SCHEMA_VERSION) -> SavedAnswer:
        """Read one answer of session.json; `schema` 1 (no version in the file) is still read."""
        if schema >= 2:
            rec, analysed, recorder_keys = d.get("recording") or {}, bool(d.get("analysed")), ()
        else:
            # schema 1: the recorder's fields sat beside the analysis, its speech_end_s over the
            # analysis's own; that one value is all there is, so both keep it
            rec = {k: d.get(k) for k in ("ended_by", "speech_end_s", "stopped_s", "turn")}
            analysed = "transcript" in d and not d.get("unheard")
            recorder_keys = ("ended_by", "stopped_s", "turn", "unheard")
        skip = {*_SESSION_KEYS, *recorder_keys}
        analysis = AnswerAnalysis.from_dict({k: v for k, v in d.items() if k not in skip}) if analysed else None
        return cls(int(d["idx"]), str(d["question_id"]), str(d.get("question") or d["question_id"]),
                   str(d.get("audio") or d.get("file") or ""), d.get("parent_id"), d.get("trigger"),
                   d.get("reason"), RecordingInfo(_ended_by(rec.get("ended_by")), rec.get("speech_end_s"),
                                                  rec.get("stopped_s"), rec.get("turn")), analysis)


def _ended_by(value: str | None) -> EndedBy | None:
    """The saved string as the enum; a value this version does not know reads as unknown."""
    try:
        return EndedBy(value) if value else None
    except ValueError:
        return None
