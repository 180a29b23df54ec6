"""The reply after a spoken answer: the next question follows the acknowledgement at once,
chosen on the words heard by the end of the turn, and the answer's full analysis (its card,
its saved record) comes while that question is being asked, not before it."""

from __future__ import annotations

import time

import numpy as np
import pytest
import soxr
from support import NotingSpeaker, QuietUI

from benchmarks.bench_turns import last_sound_s, locate
from simulator.practice.session import Practice
from simulator.rules import bank
from simulator.speech import turn
from simulator.speech.audio import SAMPLE_RATE, load_audio
from simulator.speech.capture import EndedBy, MicrophoneSource
from simulator.speech.replay import ReplayDevice
from simulator.speech.tts import OpenJTalkEngine, Voice, trim_silence
from simulator.store.storage import Store


class _Noting(QuietUI):
    """Notes when each question is shown and each card arrives; ends the session when the
    second question is to be answered."""

    def __init__(self) -> None:
        self.events: list[tuple[str, float, object]] = []

    def asking(self, question, main, reason):
        self.events.append(("asking", time.monotonic(), question))

    def recording(self, target_s):
        if sum(kind == "asking" for kind, _, _ in self.events) >= 2:
            raise KeyboardInterrupt
        return None

    def reaction(self, analysis):
        self.events.append(("reaction", time.monotonic(), analysis))


def _opening(text: str) -> np.ndarray:
    samples, rate = OpenJTalkEngine().synthesize(text)
    return soxr.resample(trim_silence(samples, rate)[:rate], rate, SAMPLE_RATE).astype(np.float32)


@pytest.mark.slow
def test_the_next_question_follows_the_acknowledgement_before_the_analysis(analyzer, dev_dir, tmp_path):
    """A self-PR answered through the microphone path: after its turn the interviewer says
    「はい。」 and, in the same sound, the follow-up the words heard call for; the answer's
    card and its saved analysis come after that sound has begun, and the follow-up asked
    is the one joined to the acknowledgement."""
    spoken = load_audio(dev_dir / "dev03_jikopr_numbers.flac")
    device = ReplayDevice()
    device.load(np.concatenate([spoken, np.zeros(10 * SAMPLE_RATE, np.float32)]))
    speaker, ui = NotingSpeaker(), _Noting()
    voice = Voice(OpenJTalkEngine(), speaker)
    mic = MicrophoneSource(None, backend=device, stop=lambda: False)
    qs = bank.questions()
    result = Practice(Store(tmp_path / "data"), voice, mic, lambda: analyzer, ui, max_followups=1).run(
        [qs["jiko_pr"], qs["gyaku_shitsumon"]], {"track": "shinsotsu"})

    first = result.answers[0]
    assert first.recording.ended_by == EndedBy.SILENCE
    assert first.analysis is not None and first.analysis.delivery.speech_s > 20   # saved, analysed whole
    (_, shown, card), = [e for e in ui.events if e[0] == "reaction"]
    asked = [q for kind, _, q in ui.events if kind == "asking"]
    assert len(asked) == 2 and asked[1].type == "followup", [q.id for q in asked]
    end = device.started_at + last_sound_s(spoken)
    reply = [(t, samples, rate) for t, samples, rate in speaker.sounds if t > end]
    # a 相槌 the candidate did not go on after was the acknowledgement: the question alone
    aizuchi = any(t >= first.recording.speech_end_s for t in first.recording.turn.get("aizuchi_at", ()))
    assert len(reply) == (2 if aizuchi else 1), "the acknowledgement and the question are one sound"
    begun, samples, rate = reply[-1]
    assert begun < shown, "the question waited for the analysis"
    said = soxr.resample(samples, rate, SAMPLE_RATE).astype(np.float32)
    at, score = locate(_opening(asked[1].text), np.concatenate([said, np.zeros(SAMPLE_RATE, np.float32)]))
    assert score >= 0.8, "the follow-up asked is not the one said"
    ack, _ = voice._synthesize_cached(turn.rules().acknowledge_joined)
    joined = 0.0 if aizuchi else len(ack) / rate + turn.rules().acknowledge_pause_s
    assert at == pytest.approx(joined, abs=0.1)
    assert card.question_id == "jiko_pr" and card.review.followup is not None
