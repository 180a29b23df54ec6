"""Decoding on real audio: silence inside an answer, and the hallucination guard."""

import json
import re

import numpy as np
import pytest
from support import EVAL, noise

from simulator.speech.asr import Word, _collapse_loops, _guard, chunk_regions
from simulator.speech.audio import SAMPLE_RATE, Region, load_audio, speech_regions


def words(text: str, start: float, step: float = 0.2) -> list[Word]:
    return [Word(c, start + i * step, start + (i + 1) * step, 0.9) for i, c in enumerate(text)]


@pytest.mark.slow
def test_a_silent_gap_stays_empty_and_is_a_long_pause(analyzer, dev_dir):
    speech = load_audio(dev_dir / "dev06_gyaku_none.flac")
    gap = noise(8.0, seed=1)
    samples = np.concatenate([speech, gap, speech]).astype(np.float32)
    result = analyzer.analyze_samples(samples, "gyaku_shitsumon")
    first_end = len(speech) / SAMPLE_RATE - 1.2     # each copy ends with 1.2 s of quiet
    second_start = len(speech) / SAMPLE_RATE + 8.0 + 0.8
    inside = [w for w in result.transcript.words if first_end + 0.3 < w.start < second_start - 0.3]
    assert inside == []
    assert any(p.start <= first_end + 0.2 and p.end >= second_start - 0.2 for p in result.delivery.pauses)
    assert "ご視聴" not in result.transcript.text
    assert result.transcript.text.count("特に") == 2


def test_pure_noise_gives_no_transcript(analyzer):
    result = analyzer.analyze_samples(noise(6.0, dbfs=-45.0, seed=2))
    assert result.transcript.text == ""
    assert result.delivery.level.silent


def test_guard_drops_silence_phrases_repeats_and_unheard_segments():
    speech = [Region(0.0, 3.0)]
    segments = [
        ("本日はありがとうございました。", words("本日はありがとうございました。", 0.0, 0.15)),
        ("ございました。", words("ございました。", 2.2, 0.1)),           # repeated tail
        ("ご視聴ありがとうございました", words("ご視聴ありがとうございました", 0.5, 0.1)),
        ("はい", words("はい", 10.0)),                                   # outside any speech
    ]
    kept, dropped = _guard(segments, speech)
    assert "".join(w.text for w in kept) == "本日はありがとうございました。"
    assert len(dropped) == 3


def test_a_decoding_loop_is_cut():
    looped = words("はい", 0.0) + words("よろしく", 0.4) * 1 + [Word("お願いします", 1.0 + i, 1.5 + i, 0.5) for i in range(6)]
    out = _collapse_loops(looped)
    assert [w.text for w in out].count("お願いします") == 2


def test_chunks_never_exceed_one_window_and_cut_at_pauses():
    regions = [Region(i * 5.0, i * 5.0 + 4.0) for i in range(12)]   # 60 s of speech with 1 s pauses
    chunks = chunk_regions(regions)
    assert all(c.length <= 28.0 for c in chunks)
    assert {c.start for c in chunks} <= {r.start for r in regions}
    assert chunks[0].start == 0.0 and chunks[-1].end == regions[-1].end


def test_a_filler_alone_in_its_chunk_is_read_as_the_filler():
    from simulator.speech.asr import Word, finish
    from simulator.speech.audio import Region

    speech = [Region(0.8, 1.4), Region(4.9, 7.0)]
    raw = [("いと。", [Word("いと。", 0.8, 1.4, 0.31)]),
           ("一番大きな失敗は", [Word("一番", 4.9, 5.3, 0.9), Word("大きな失敗は", 5.3, 7.0, 0.9)])]
    t = finish(raw, speech)
    assert t.text.startswith("えーと、一番")
    # …but the same sound inside a sentence is left as heard
    t = finish([("意図があって", [Word("いと", 0.8, 1.0, 0.9), Word("があって", 1.0, 1.4, 0.9)])], speech)
    assert t.text == "いとがあって"


@pytest.mark.slow
def test_a_word_alone_before_a_thinking_pause_is_heard_by_itself(analyzer):
    """Held-out answers (tests/data/eval/turns): inside its chunk 「あのー」 ran into the next
    word (あのーエネルギー) and 「えーと」 was heard as へーと; decoded alone, each is the
    filler, closed by the pause's punctuation. A stretch that decodes alone to anything but a
    filler adds nothing: the jm_kumo 「えー」 that Whisper hears as はい stays unheard."""
    turns = {r["file"]: r for r in json.loads((EVAL / "turns" / "truth.json").read_text(encoding="utf-8"))}

    def analyzed(name: str):
        return analyzer.analyze_file(EVAL / "turns" / name, turns[name]["question"])

    for name, at, filler in (("t13_gyoukai_energy.flac", 3.3, "あのー"), ("t01_senkou_three_companies.flac", 13.3, "えーと")):
        result = analyzed(name)
        assert [f.canonical for f in result.delivery.fillers if abs(f.start_s - at) < 0.3] == [filler], name
        assert re.search(f"{filler}[、。]", result.transcript.text), result.transcript.text
    lone = analyzed("t02_career_plan_five_years.flac")
    assert not [w for w in lone.transcript.words if 4.6 < w.start < 5.3], lone.transcript.words


@pytest.mark.slow
def test_the_quick_look_reads_phrase_endings_like_the_full_window(analyzer, dev_dir, dev_truth):
    """The end-of-turn rule's quick look (a 10 s encoder window) must read how a phrase
    ends as the ordinary 30 s decoding does: the last two phrases of every dev answer."""
    from simulator.speech.turn import text_state

    transcriber = analyzer.transcriber
    agree = total = 0
    for r in dev_truth:
        samples = load_audio(dev_dir / r["file"])
        regions = speech_regions(samples)
        for region in regions[-2:]:
            window = Region(max(region.start, region.end - 4.0), region.end + 0.1)
            quick = transcriber.glance(samples, window, r["question"])
            full = "".join(text for text, _ in transcriber.transcribe_chunk(samples, window, r["question"]))
            assert quick and len(quick) <= 2 * len(full) + 4      # no loop in the short window
            agree += text_state(quick, 100.0, 60.0) == text_state(full, 100.0, 60.0)
            total += 1
    assert agree >= total - 1
