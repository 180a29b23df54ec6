"""Property-based tests: the text layer and content analysis take any text without failing.

Transcripts and `--text` drafts can hold anything: emoji, control characters, other
scripts, megabytes pasted by mistake, nothing at all.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulator.analysis.analyze import analyze_text
from simulator.judge.consistency import extract_facts
from simulator.judge.delivery import measure
from simulator.lang.japanese import (
    count_mora,
    filler_lexicon,
    find_fillers,
    normalise,
    split_sentences,
)
from simulator.rules import bank
from simulator.speech.asr import Transcript, Word
from simulator.speech.audio import Region

FUZZ = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# arbitrary Unicode, weighted towards what a Japanese transcript is made of
JAPANESE = st.sampled_from(list("えーとあのまそなんかうー、。！？ 私は御社で売上を3割伸ばしました12３万円%ＡＢｃ\n\t"))
texts = st.one_of(st.text(max_size=300), st.text(JAPANESE, max_size=300),
                  st.lists(st.sampled_from(["えーと、", "あの会社", "その経験", "まあまあ", "なんか", "。", "売上は120%",
                                            "\x00", "🙂", "\u200b", "ｱﾉｰ", "え？"]), max_size=60).map("".join))
QUESTIONS = [None, *list(bank.questions())]


@FUZZ
@given(texts)
@pytest.mark.slow
def test_text_layer_takes_any_text(text):
    assert count_mora(text) >= 0
    spans = find_fillers(text)
    norm = normalise(text)
    canonical = {r.canonical for r in filler_lexicon().values()}
    for s in spans:
        assert 0 <= s.start < s.end <= len(norm) and s.canonical in canonical
    assert [s.start for s in spans] == sorted(s.start for s in spans)
    assert all(s.strip() for s in split_sentences(text))


@FUZZ
@given(texts, st.sampled_from(QUESTIONS))
def test_content_analysis_takes_any_text(text, question):
    result = analyze_text(text, question)
    d = result.to_dict()
    json.dumps(d, ensure_ascii=False)           # the JSON schema always serialises
    assert d["content"]["chars"] >= 0
    assert all(isinstance(a, str) and a for a in d["content"]["advice"])
    extract_facts(text, bank.load("consistency"))


@FUZZ
@given(st.lists(st.tuples(texts, st.floats(0, 5), st.floats(0, 3)), max_size=30), st.floats(0.1, 600))
def test_delivery_metrics_take_any_timed_words(items, duration):
    t, words, regions = 0.0, [], []
    for text, gap, length in items:
        start, end = t + gap, t + gap + length
        words.append(Word(text, start, end, 0.5))
        regions.append(Region(start, end))
        t = end
    transcript = Transcript("".join(w.text for w in words), tuple(words))
    m = measure(transcript, regions, max(duration, t), bank.delivery(), 60.0, None)
    json.dumps(m.to_dict())
    assert m.speech_s >= 0 and m.mora >= 0 and m.filler_count == len(m.fillers)


@pytest.mark.slow
def test_huge_and_empty_input():
    huge = "えーと、私は御社で売上を3割伸ばしました。" * 5000   # 100 000 characters pasted by mistake
    result = analyze_text(huge, "jiko_pr")
    assert "too_long" in result.content.issue_ids and result.content.chars > 90000
    empty = analyze_text("", "jiko_pr")
    assert empty.content.chars == 0 and "too_short" in empty.content.issue_ids
    assert count_mora("") == 0 and find_fillers("") == [] and split_sentences("") == []
