"""A microphone that delivers no voice: found within seconds, stored as unheard, never scored."""

from __future__ import annotations

import numpy as np
import pytest
from support import EVAL, QuietUI, noise

from simulator.practice.session import Practice
from simulator.rules import bank
from simulator.speech.audio import SAMPLE_RATE, _vad_level, load_audio, speech_regions
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


def _in_a_room(samples: np.ndarray) -> np.ndarray:
    """As a microphone hears it: 6 dB down, over a quiet room's hiss (−58 dBFS)."""
    return 0.5 * samples + noise(len(samples) / SAMPLE_RATE, dbfs=-58.0)


def _heard(regions) -> float:
    return sum(r.length for r in regions)


def test_a_voice_the_vad_doubts_is_heard_by_its_level():
    """Held-out t14, a male voice on a telephone band: Silero reads its windows at 0.3–0.45
    once a quiet room's hiss is under it. Without the level's help the whole-file pass kept
    a third of the answer and the live endpointer ended it in mid-answer."""
    clean = load_audio(EVAL / "turns" / "t14_kaizen_month_end.flac")
    room = _in_a_room(np.concatenate([clean, np.zeros(5 * SAMPLE_RATE, np.float32)]))
    assert _heard(speech_regions(room)) >= 0.9 * _heard(speech_regions(clean))

    live = Endpointer(4.0, 180.0, no_voice_s=8.0)   # the answer holds a 2.6 s thinking pause
    ended = next((e for i in range(0, len(room), 1600) if (e := live.feed(room[i:i + 1600]))), None)
    last_word = speech_regions(clean)[-1].end
    assert ended == "silence" and live.speech_end_s >= last_word - 0.3
    assert live.heard_s >= 0.7 * _heard(speech_regions(clean))


def test_a_voice_the_vad_knows_keeps_silero_s_own_regions():
    """The level helps only a doubted voice: on a voice Silero knows, in the same room,
    the regions are faster-whisper's own, window for window (its breaths and lip noise
    do not fill its pauses)."""
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    room = _in_a_room(load_audio(EVAL / "turns" / "t10_jikoshokai_career_greetings.flac"))
    for pause_s in (0.3, 1.0):
        opts = VadOptions(min_silence_duration_ms=int(pause_s * 1000), speech_pad_ms=0, min_speech_duration_ms=120)
        silero = [(t["start"] / SAMPLE_RATE, t["end"] / SAMPLE_RATE) for t in get_speech_timestamps(_vad_level(room), opts)]
        assert [(r.start, r.end) for r in speech_regions(room, pause_s)] == silero
