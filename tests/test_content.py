"""Content rules on answers written for this project, and on the dev set's audio."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from simulator.judge.content import STANDARD_ISSUES, analyze_content
from simulator.rules import bank

DATA = Path(__file__).parent / "data"
CASES = tomllib.loads((DATA / "content_cases.toml").read_text(encoding="utf-8"))["case"]
HOLDOUT = tomllib.loads((DATA / "content_holdout.toml").read_text(encoding="utf-8"))["case"]
EXTRA_ISSUES = ("kisha", "negative_words", "no_clear_end")
RULES = bank.load("content")


def label_results(cases: list[dict]) -> dict[str, list[tuple[bool, str]]]:
    results: dict[str, list[tuple[bool, str]]] = {}
    for case in cases:
        c = analyze_content(case["text"], bank.questions()[case["q"]], RULES)
        got = {"conclusion_first": c.conclusion_first, "has_numbers": c.has_numbers}
        want = {"conclusion_first": case["conclusion_first"], "has_numbers": case["has_numbers"]}
        for issue in STANDARD_ISSUES + EXTRA_ISSUES:
            got[issue] = issue in c.issue_ids
            want[issue] = issue in case["issues"]
        for label in got:
            results.setdefault(label, []).append((got[label] == want[label], case["text"][:30]))
    return results


RESULTS = label_results(CASES)


def test_the_labelled_set_is_large_and_covers_everything():
    assert len(CASES) >= 60
    types = {bank.questions()[c["q"]].type for c in CASES}
    main_types = {q.type for q in bank.questions().values() if q.type != "followup"}
    assert types == main_types
    for issue in STANDARD_ISSUES + EXTRA_ISSUES:
        assert any(issue in c["issues"] for c in CASES), issue


@pytest.mark.parametrize("label", list(RESULTS))
def test_accuracy_per_label(label):
    results = RESULTS[label]
    accuracy = sum(ok for ok, _ in results) / len(results)
    wrong = [text for ok, text in results if not ok]
    print(f"{label}: accuracy {accuracy:.2f} over {len(results)} answers")
    assert accuracy >= 0.9, wrong


def test_answers_written_after_the_rules_were_frozen():
    """Not used for tuning: how the rules do on answers they have not seen."""
    results = [ok for checks in label_results(HOLDOUT).values() for ok, _ in checks]
    accuracy = sum(results) / len(results)
    print(f"held-out: accuracy {accuracy:.2f} over {len(results)} checks on {len(HOLDOUT)} answers")
    assert accuracy >= 0.9


@pytest.mark.slow
def test_dev_set_labels_from_audio(dev_results, dev_truth):
    """Audio → transcript → content: every dev label right, despite recognition errors."""
    for r in dev_truth:
        c = dev_results[r["file"]].content
        assert c.conclusion_first == r["labels"]["conclusion_first"], r["file"]
        assert c.has_numbers == r["labels"]["has_numbers"], r["file"]
        assert {i for i in c.issue_ids if i in STANDARD_ISSUES} == set(r["labels"]["ng"]), r["file"]


def test_structure_elements_are_located_in_order():
    text = ("私の強みは、粘り強さです。前職では新規開拓を担当していました。断られた理由を毎日記録して分析しました。"
            "その結果、成約件数が3倍になりました。この経験から、続ける大切さを学びました。御社でもこの強みを活かしたいです。")
    c = analyze_content(text, bank.questions()["jiko_pr"], RULES)
    where = {e.name: e.sentence for e in c.elements}
    assert where["example"] == 1 and where["action"] == 2 and where["result"] == 3 and where["lesson"] == 4
    assert where["return_to_point"] == 5
    assert c.elements_in_order and c.conclusion_first


def test_fillers_and_mishearings_do_not_hide_the_conclusion():
    c = analyze_content("えーと、あのー、私の誕生は、心配性なところです。", bank.questions()["tansho"], RULES)
    assert c.conclusion_first


def test_idioms_with_number_words_are_not_numbers():
    c = analyze_content("一人で一生懸命、一番大切なことを一緒に考えました。", bank.questions()["jiko_pr"], RULES)
    assert not c.has_numbers
    c = analyze_content("売上を十二件から二十件に増やしました。", bank.questions()["jiko_pr"], RULES)
    assert c.numbers == ("十二件", "二十件")
