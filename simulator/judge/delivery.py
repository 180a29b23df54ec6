"""Delivery metrics for one answer: pace, fillers, pauses, length — pure functions.

Speech timing comes from the voice-activity regions (sample-accurate, independent of
what Whisper heard); words come from the transcript. Both are passed in, so the
metrics can be computed and tested from a list of timed words without audio.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from enum import StrEnum
from typing import Any, Mapping

from simulator.lang.japanese import (
    count_mora,
    filler_key,
    filler_lexicon,
    find_fillers,
    normalise,
)
from simulator.rules.typed import DeliveryRules
from simulator.speech.asr import Transcript, Word
from simulator.speech.audio import Level, Region

_NOT_COUNTED = set(" 　、。,.!?！？「」『』・…()（）")


@dataclass(frozen=True)
class Filler:
    text: str
    canonical: str
    start_s: float
    end_s: float

    def to_dict(self) -> dict:
        return {"text": self.text, "canonical": self.canonical,
                "start_s": round(self.start_s, 2), "end_s": round(self.end_s, 2)}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Filler:
        return cls(d["text"], d["canonical"], d["start_s"], d["end_s"])


class Length(StrEnum):
    """An answer's length against its question's target (prompts/delivery.toml [length])."""

    TOO_SHORT = "too_short"
    OK = "ok"
    LONG = "long"
    TOO_LONG = "too_long"


class Pace(StrEnum):
    """Speaking rate against the one yardstick of 320–360 mora a minute ([pace])."""

    NONE = "none"          # nothing was said
    SLOW = "slow"
    A_BIT_SLOW = "a_bit_slow"
    EASY = "easy"
    A_BIT_FAST = "a_bit_fast"
    FAST = "fast"


@dataclass(frozen=True)
class DeliveryMetrics:
    duration_s: float
    speech_start_s: float          # response latency: silence before the first word
    speech_end_s: float
    speech_s: float                # first to last sound
    articulation_s: float          # speech_s minus every pause
    mora: int
    mora_per_min: float            # speaking rate over the speech span
    articulation_mora_per_min: float
    chars: int
    chars_per_min: float
    fillers: tuple[Filler, ...]
    fillers_per_min: float
    speech: tuple[Region, ...]     # voice-activity regions (for the timeline)
    pauses: tuple[Region, ...]     # long pauses (≥ rules.pauses.long_s)
    pause_count: int               # every gap between speech regions
    longest_pause_s: float
    target_s: float
    length_verdict: Length
    pace_verdict: Pace
    level: Level | None = None

    @property
    def filler_count(self) -> int:
        return len(self.fillers)

    def to_dict(self) -> dict:
        return {
            "duration_s": round(self.duration_s, 2), "speech_start_s": round(self.speech_start_s, 2),
            "speech_end_s": round(self.speech_end_s, 2), "speech_s": round(self.speech_s, 2),
            "articulation_s": round(self.articulation_s, 2), "mora": self.mora,
            "mora_per_min": round(self.mora_per_min, 1),
            "articulation_mora_per_min": round(self.articulation_mora_per_min, 1),
            "chars": self.chars, "chars_per_min": round(self.chars_per_min, 1),
            "fillers": [f.to_dict() for f in self.fillers], "filler_count": self.filler_count,
            "fillers_per_min": round(self.fillers_per_min, 2),
            "speech": [r.to_dict() for r in self.speech],
            "pauses": [p.to_dict() for p in self.pauses], "pause_count": self.pause_count,
            "longest_pause_s": round(self.longest_pause_s, 2), "target_s": self.target_s,
            "length_verdict": self.length_verdict, "pace_verdict": self.pace_verdict,
            "level": self.level.to_dict() if self.level else None,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> DeliveryMetrics:
        """Read back the delivery keys of an analysis's JSON (`to_dict()` at its top level)."""
        plain = {f.name: d[f.name] for f in fields(cls) if f.name not in ("fillers", "speech", "pauses", "level")}
        plain |= {"length_verdict": Length(plain["length_verdict"]), "pace_verdict": Pace(plain["pace_verdict"])}
        return cls(**plain, fillers=tuple(Filler.from_dict(f) for f in d.get("fillers", [])),
                   speech=tuple(Region.from_dict(r) for r in d.get("speech", [])),
                   pauses=tuple(Region.from_dict(r) for r in d.get("pauses", [])),
                   level=Level.from_dict(d["level"]) if d.get("level") else None)


def length_verdict(speech_s: float, target_s: float, rules: DeliveryRules) -> Length:
    r = rules.length
    if speech_s > target_s * r.too_long_ratio:
        return Length.TOO_LONG
    if speech_s > target_s * r.long_ratio:
        return Length.LONG
    if speech_s < target_s * r.too_short_ratio:
        return Length.TOO_SHORT
    return Length.OK


def pace_verdict(mora_per_min: float, rules: DeliveryRules) -> Pace:
    r = rules.pace
    if mora_per_min <= 0:
        return Pace.NONE
    if mora_per_min < r.slow_below:
        return Pace.SLOW
    if mora_per_min > r.fast_above:
        return Pace.FAST
    if mora_per_min < r.easy_low:
        return Pace.A_BIT_SLOW
    if mora_per_min > r.easy_high:
        return Pace.A_BIT_FAST
    return Pace.EASY


def timed_fillers(words: tuple[Word, ...] | list[Word], speech: list[Region] | None = None
                  ) -> tuple[str, list[Filler]]:
    """Find fillers in the joined word texts and give each the time of the words it covers.

    Whisper splits a doubled word at its seam (まあまあ → まあ、まあ、): where the audio has
    no pause between the two halves (`speech`: one voice-activity region holds both), they
    are one word, read as the lexicon reads the doubled spelling (まあまあ is an adverb,
    not a hesitation; a doubled その is one filler).
    """
    pieces = [normalise(w.text) for w in words]
    text = "".join(pieces)
    bounds = []
    pos = 0
    for piece in pieces:
        bounds.append((pos, pos + len(piece)))
        pos += len(piece)
    out: list[Filler] = []
    for span in find_fillers(text):
        covered = [w for w, (a, b) in zip(words, bounds) if a < span.end and b > span.start]
        if not covered:
            continue
        filler = Filler(span.text, span.canonical, covered[0].start, covered[-1].end)
        if out and speech is not None and _doubled(out[-1], filler, speech):
            first = out.pop()
            if _adverb(first, filler):
                continue
            filler = Filler(first.text + filler.text, first.canonical, first.start_s, filler.end_s)
        out.append(filler)
    return text, out


def _doubled(a: Filler, b: Filler, speech: list[Region]) -> bool:
    """`b` repeats `a` with no pause between them (one speech region holds both)."""
    same = filler_key(a.text).strip("、。,. ") == filler_key(b.text).strip("、。,. ")
    return same and b.start_s - a.end_s < 0.3 and any(r.start <= a.start_s and b.end_s <= r.end for r in speech)


def _adverb(a: Filler, b: Filler) -> bool:
    """`a` then `b` is a word of its own: the lexicon's `not_beside` for `a` names `b`."""
    rule = filler_lexicon().get(filler_key(a.text).strip("、。,. "))
    return bool(rule) and filler_key(b.text).strip("、。,. ") in {filler_key(x) for x in rule.not_beside}


def _per_min(count: float, seconds: float) -> float:
    return count / seconds * 60.0 if seconds > 0 else 0.0


def _count_chars(text: str) -> int:
    return sum(1 for c in normalise(text) if c not in _NOT_COUNTED)


def measure(transcript: Transcript, speech: list[Region], duration_s: float, rules: DeliveryRules,
            target_s: float | None = None, level: Level | None = None) -> DeliveryMetrics:
    """All delivery metrics of one answer."""
    target = float(target_s or rules.length.default_target_s)
    text, fillers = timed_fillers(transcript.words, speech)
    if speech:
        start, end = speech[0].start, speech[-1].end
    elif transcript.words:
        start, end = transcript.words[0].start, transcript.words[-1].end
    else:
        start = end = 0.0
    speech_s = max(end - start, 0.0)
    gaps = [Region(a.end, b.start) for a, b in zip(speech, speech[1:]) if b.start > a.end]
    articulation_s = max(speech_s - sum(g.length for g in gaps), 0.0)
    mora = count_mora(text)
    chars = _count_chars(text)
    # Rates are per second of speech that has words: a hole (speech nobody could
    # transcribe) would otherwise read as slow speech with few fillers.
    heard_s = max(speech_s - transcript.hole_s, 0.0)
    rate = _per_min(mora, heard_s)
    return DeliveryMetrics(
        duration_s=duration_s, speech_start_s=start, speech_end_s=end, speech_s=speech_s,
        articulation_s=articulation_s, mora=mora, mora_per_min=rate,
        articulation_mora_per_min=_per_min(mora, max(articulation_s - transcript.hole_s, 0.0)), chars=chars,
        chars_per_min=_per_min(chars, heard_s), fillers=tuple(fillers),
        fillers_per_min=_per_min(len(fillers), heard_s), speech=tuple(speech),
        pauses=tuple(g for g in gaps if g.length >= rules.pauses.long_s),
        pause_count=len(gaps), longest_pause_s=max((g.length for g in gaps), default=0.0),
        target_s=target, length_verdict=length_verdict(speech_s, target, rules) if text or transcript.holes else Length.TOO_SHORT,
        pace_verdict=pace_verdict(rate, rules), level=level)
