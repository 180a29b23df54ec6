"""A corrected transcript is judged again; two attempts are compared figure by figure."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from support.answers import saved

from simulator.analysis.correction import CorrectionError, correct
from simulator.analysis.record import RecordingInfo, SavedAnswer
from simulator.present.compare import compare
from simulator.rules import bank

PACE = bank.delivery().pace


def test_a_misheard_figure_corrected_changes_the_verdicts_and_keeps_the_timing():
    heard = saved("温者の物流改善に取り組みたいです。", "jiko_pr")        # base: 御社 → 温者, no figure
    fixed = correct(heard, "私の強みは巻き込む力です。前職では月間の売上は200万円でした。")
    assert fixed.corrected and fixed.analysis.original_transcript == "温者の物流改善に取り組みたいです。"
    assert fixed.analysis.content.has_numbers and not heard.analysis.content.has_numbers
    assert fixed.analysis.review.advice != heard.analysis.review.advice
    # the figure and the strength claimed are facts now
    assert [(f.subject, f.value) for f in fixed.analysis.review.facts] == [("売上", 2000000), ("強み", "巻き込む力")]
    # the audio's timing stays
    assert fixed.analysis.delivery == heard.analysis.delivery and fixed.recording == heard.recording
    # and the corrected answer reads back from session.json as it was stored
    assert SavedAnswer.from_dict(json.loads(json.dumps(fixed.to_dict()))) == replace(
        fixed, analysis=replace(fixed.analysis, file=fixed.audio, question_text=fixed.question))
    # a second correction keeps the first transcript as the original
    again = correct(fixed, "私の強みは巻き込む力です。前職では月間の売上は300万円でした。")
    assert again.analysis.original_transcript == "温者の物流改善に取り組みたいです。"


@pytest.mark.parametrize("text, why", [("", "空"), ("　 ", "空"), ("あ" * 5001, "長すぎ")])
def test_a_correction_that_is_not_a_transcript_is_refused(text, why):
    with pytest.raises(CorrectionError, match=why):
        correct(saved("私の強みは粘り強さです。", "jiko_pr"), text)


def test_an_answer_that_was_not_analysed_cannot_be_corrected():
    unheard = SavedAnswer(1, "jiko_pr", "あなたの強みを教えてください。", "01.wav", recording=RecordingInfo("no_voice"))
    with pytest.raises(CorrectionError, match="分析されていない"):
        correct(unheard, "私の強みは粘り強さです。")


def test_compare_says_which_way_each_figure_moved():
    before = saved("えーと、頑張りました。", "jiko_pr", speech_s=15.0, mora_per_min=420.0, fillers_per_min=8.0,
                     verdicts=("rushing",))
    after = saved("私の強みは粘り強さです。前職では売上を一・五倍にしました。", "jiko_pr",
                    speech_s=55.0, mora_per_min=345.0, fillers_per_min=1.0)
    verdicts = {c.name: c.verdict for c in compare(before, after, PACE)}
    assert verdicts["speech_s"] == verdicts["mora_per_min"] == verdicts["fillers_per_min"] == "better"
    assert verdicts["has_numbers"] == verdicts["voice_verdicts"] == "better"
    back = {c.name: c.verdict for c in compare(after, before, PACE)}
    assert back["speech_s"] == back["fillers_per_min"] == back["has_numbers"] == "worse"
    same = {c.name: c.verdict for c in compare(after, after, PACE)}
    assert set(same.values()) == {"same"}
