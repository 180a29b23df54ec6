"""Confidence-aware feedback: unsure words are marked, never quoted or judged as certain."""

from __future__ import annotations

from dataclasses import replace

from support.answers import spoken

from simulator.analysis.analyze import analyze_text, review
from simulator.analysis.record import SavedAnswer
from simulator.judge.confidence import Confidence
from simulator.present.report import render
from simulator.rules import bank
from simulator.speech.asr import Transcript, Word
from simulator.store.storage import Store

RULES = bank.confidence()
Q = bank.questions()


def words(*pairs: tuple[str, float]) -> list[Word]:
    return [Word(text, i * 0.5, i * 0.5 + 0.4, p) for i, (text, p) in enumerate(pairs)]


def test_only_content_words_below_the_threshold_are_unsure():
    c = Confidence.of(words(("前職", 0.95), ("では", 0.2), ("月間", 0.9), ("の", 0.1), ("売上", 0.9), ("は", 0.9),
                            ("100", 0.31), ("万円", 0.8), ("原色", 0.22)), RULES)
    assert c.uncertain == ("100", "原色")
    assert c.touches("売上は100万円") and c.touches("売上は100万円", figures_only=True)
    assert c.touches("原色では") and not c.touches("原色では", figures_only=True)
    assert c.mark("原色で売上は100万円") == "原色(?)で売上は100(?)万円"


def test_advice_and_followup_reason_mark_unsure_words():
    text = "私の強みは粘り強さです。上司が悪くて、現職では評価されませんでした。"
    c = Confidence.of(words(("上司", 0.3), ("悪く", 0.9)), RULES)
    r = review(text, Q["jiko_pr"], confidence=c)
    blame = next(a for a in r.advice if "せいに" in a)
    assert "上司(?)" in blame
    plain = review(text, Q["jiko_pr"])
    assert "上司(?)" not in " ".join(plain.advice)


def test_a_fact_built_on_an_unsure_figure_is_flagged():
    text = "前職では月間の売上は100万円でした。"
    sure = review(text, Q["jisseki"]).facts
    unsure = review(text, Q["jisseki"], confidence=Confidence.of(words(("100", 0.2)), RULES)).facts
    assert sure and not sure[0].uncertain
    assert unsure and unsure[0].uncertain and unsure[0].to_dict()["uncertain"] is True


def _session(store: Store, text: str, figure_probability: float) -> str:
    session = store.begin({"track": "tenshoku"})
    c = Confidence.of(words(("100", figure_probability)), RULES)
    r = review(text, Q["jisseki"], confidence=c)
    analysis = replace(analyze_text(text, "jisseki"), review=r)
    store.add_answer(session, SavedAnswer(1, "jisseki", Q["jisseki"].text, "01_jisseki.wav", analysis=analysis))
    return session


def test_consistency_on_an_unsure_figure_says_so(tmp_path):
    store = Store(tmp_path)
    first = _session(store, "前職では月間の売上は200万円でした。", 0.9)
    second = _session(store, "前職では月間の売上は100万円でした。", 0.2)  # heard 100 unsurely: may be 200
    html = render(store, second.path).read_text(encoding="utf-8")
    assert "聞き間違いの可能性" in html and "（聞き取りが不確か）" in html
    assert "正しい数字に揃えましょう" not in html
    assert first.id != second.id


def test_no_contradiction_is_not_claimed_on_unsure_figures(tmp_path):
    store = Store(tmp_path)
    only = _session(store, "前職では月間の売上は100万円でした。", 0.2)
    html = render(store, only.path).read_text(encoding="utf-8")
    assert "食い違いはありません" not in html and "聞き取りが不確か" in html
    sure = _session(Store(tmp_path / "b"), "前職では月間の売上は100万円でした。", 0.9)
    assert "食い違いはありません" in render(Store(tmp_path / "b"), sure.path).read_text(encoding="utf-8")


def test_report_marks_unsure_words_with_a_click_to_hear_title(tmp_path):
    from simulator.present.report import _words

    heard = Transcript("前職原色", words(("前職", 0.9), ("原色", 0.2)))
    marked = _words(replace(spoken("前職原色", "jiko_pr"), transcript=heard), RULES.min_probability)
    assert [w["unsure"] for w in marked] == [False, True]
