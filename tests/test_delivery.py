"""Delivery metrics from timed words and speech regions alone: no model, no audio."""

import pytest

from simulator.judge.delivery import length_verdict, measure, pace_verdict
from simulator.rules import bank
from simulator.speech.asr import Transcript, Word
from simulator.speech.audio import Region

RULES = bank.delivery()


def transcript(*words: tuple[str, float, float]) -> Transcript:
    ws = tuple(Word(t, s, e, 0.9) for t, s, e in words)
    return Transcript("".join(w.text for w in ws), ws)


def test_metrics_of_a_short_answer_with_a_long_pause():
    t = transcript(("えーと、", 1.0, 1.5), ("私の", 1.6, 2.0), ("強みは", 2.0, 2.6), ("粘り強さです。", 2.6, 3.5),
                   ("以上です。", 6.0, 7.0))
    speech = [Region(1.0, 3.5), Region(6.0, 7.0)]
    m = measure(t, speech, duration_s=8.0, rules=RULES)
    assert m.speech_start_s == 1.0 and m.speech_end_s == 7.0
    assert m.speech_s == pytest.approx(6.0)
    assert m.articulation_s == pytest.approx(3.5)
    assert [p.to_dict() for p in m.pauses] == [{"start_s": 3.5, "end_s": 6.0}]
    assert m.longest_pause_s == pytest.approx(2.5)
    assert [(f.canonical, f.start_s, f.end_s) for f in m.fillers] == [("えーと", 1.0, 1.5)]
    # エート ワタシノ ツヨミワ ネバリヅヨサデス イジョーデス = 3+4+4+8+5
    assert m.mora == 24
    assert m.mora_per_min == pytest.approx(24 / 6.0 * 60)
    assert m.articulation_mora_per_min == pytest.approx(24 / 3.5 * 60)
    assert m.fillers_per_min == pytest.approx(10.0)
    assert m.length_verdict == "too_short"


def test_pauses_under_two_seconds_are_not_long():
    t = transcript(("はい。", 0.5, 1.0), ("そうです。", 2.9, 3.5))
    m = measure(t, [Region(0.5, 1.0), Region(2.9, 3.5)], 4.0, RULES)
    assert m.pauses == () and m.pause_count == 1


@pytest.mark.parametrize("speech_s, target, verdict", [
    (19.9, 60, "too_short"), (20.1, 60, "ok"), (60, 60, "ok"), (90.5, 60, "long"),
    (179, 60, "long"), (181, 60, "too_long"), (12, 30, "ok"), (9, 30, "too_short"),
])
def test_length_verdict_scales_with_the_target(speech_s, target, verdict):
    assert length_verdict(speech_s, target, RULES) == verdict


@pytest.mark.parametrize("rate, verdict", [(0, "none"), (250, "slow"), (300, "a_bit_slow"), (340, "easy"),
                                            (408, "a_bit_fast"), (480, "fast")])
def test_pace_verdict(rate, verdict):
    assert pace_verdict(rate, RULES) == verdict


def test_no_words_means_no_rate():
    m = measure(Transcript("", ()), [], 3.0, RULES)
    assert m.mora == 0 and m.mora_per_min == 0 and m.pace_verdict == "none"
    assert m.length_verdict == "too_short"
