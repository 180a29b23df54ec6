"""A microphone that delivers no voice: found within seconds, stored as unheard, never scored."""

from __future__ import annotations

import numpy as np
import pytest
from support import QuietUI, noise

from simulator.practice.session import Practice
from simulator.rules import bank
from simulator.speech.capture import Endpointer, MicrophoneSource
from simulator.speech.replay import ReplayDevice
from simulator.speech.tts import SilentEngine, Voice
from simulator.store.storage import Store


def test_endpointer_gives_up_on_silence_but_not_on_a_late_speaker():
    silent = Endpointer(2.5, 180.0, no_voice_s=10.0)
    verdicts = [silent.feed(np.zeros(1600, np.float32)) for _ in range(120)]   # 12 s of nothing
    assert "no_voice" in verdicts and verdicts.index("no_voice") <= 101
    never = Endpointer(2.5, 180.0, no_voice_s=None)
    assert not any(never.feed(np.zeros(1600, np.float32)) for _ in range(120))


class RetryOnce(QuietUI):
    def __init__(self) -> None:
        super().__init__()
        self.told = 0

    def no_voice(self, recording):
        self.told += 1
        return "retry" if self.told == 1 else "skip"


@pytest.mark.slow
def test_an_answer_without_voice_is_kept_unheard_and_not_averaged(analyzer, tmp_path):
    device = ReplayDevice()
    device.load(noise(30.0, dbfs=-70.0))   # a muted input: a faint hiss, no voice
    mic = MicrophoneSource(None, backend=device, stop=device.finished, no_voice_s=4.0)
    ui = RetryOnce()
    store = Store(tmp_path)
    practice = Practice(store, Voice(SilentEngine(), None), mic, lambda: analyzer, ui, max_followups=2)
    result = practice.run([bank.questions()["jiko_pr"]], {"track": "shinsotsu"})
    assert ui.told == 2                                     # told, retried, told again, skipped
    assert [a.question_id for a in result.answers] == ["jiko_pr", "jiko_pr"]   # no follow-up
    assert all(a.ended_by == "no_voice" and a.unheard and a.analysis is None for a in result.answers)
    assert all((result.session.path / a.audio).is_file() for a in result.answers)
    assert store.history() == []
    with store.connect() as con:
        assert con.execute("SELECT COUNT(*) FROM answers").fetchone()[0] == 0


def test_no_input_tells_a_muted_input_from_a_faint_voice(tmp_path):
    from simulator.speech.capture import Recording

    muted = Recording(tmp_path / "a.wav", np.zeros(16000, np.float32), "no_voice", None, 8.0)
    faint = Recording(tmp_path / "b.wav", noise(1.0, dbfs=-45.0), "no_voice", None, 8.0)
    assert muted.no_input and not faint.no_input
