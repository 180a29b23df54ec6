"""The interviewer's voice: what reaches the speaker starts with the words, not padding."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from simulator.speech.tts import OpenJTalkEngine, Voice, trim_silence


class RecordingSpeaker:
    """The speaker's interface, keeping what it was asked to play (the hardware edge)."""

    def __init__(self) -> None:
        self.played: list[tuple[np.ndarray, int]] = []

    def start(self, samples: np.ndarray, rate: int):
        self.played.append((samples, rate))
        return SimpleNamespace(length_s=len(samples) / rate, level=0.0, active=lambda: False, stop=lambda: None)


def _edges(samples: np.ndarray, rate: int) -> tuple[float, float]:
    loud = np.flatnonzero(np.abs(samples) > 10 ** (-40 / 20) * np.abs(samples).max())
    return loud[0] / rate, (len(samples) - loud[-1]) / rate


def test_the_acknowledgement_starts_with_its_first_sound(tmp_path):
    engine = OpenJTalkEngine()
    raw, rate = engine.synthesize("ありがとうございます。")
    assert _edges(raw, rate)[0] > 0.15          # the engine pads: the reason for trimming
    speaker = RecordingSpeaker()
    voice = Voice(engine, speaker, cache=tmp_path)
    voice.speak("ありがとうございます。")
    voice.speak("ありがとうございます。")        # the second one comes from the cache
    for samples, r in speaker.played:
        lead, tail = _edges(samples, r)
        assert lead <= 0.04 and tail <= 0.15
        # nothing of the phrase itself is cut: all its energy is kept
        assert np.sum(samples.astype(np.float64) ** 2) >= 0.999 * np.sum(raw.astype(np.float64) ** 2)
    voice.close()


def test_trimming_is_idempotent_and_keeps_silence_silent():
    rate = 16000
    tone = np.concatenate([np.zeros(rate), 0.5 * np.sin(np.arange(rate) / rate * 2 * np.pi * 220), np.zeros(rate)])
    once = trim_silence(tone.astype(np.float32), rate)
    assert abs(len(once) / rate - (1.0 + 0.03 + 0.12)) < 0.01
    assert np.array_equal(trim_silence(once, rate), once)
    assert trim_silence(np.zeros(0, np.float32), rate).size == 0
