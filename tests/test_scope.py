"""Verdicts and advice fit the question: each is judged only for the types and tracks it applies to."""

from __future__ import annotations

import pytest

from simulator.analysis.analyze import analyze_text
from simulator.judge.content import in_scope
from simulator.rules import bank

RULES = bank.load("content")
ADVICE = bank.load("advice")
EXPERIENCE_ADVICE = ("result_without_process", "claim_without_numbers", "vague_team", "no_lesson", "abstract",
                     "failure_mentioned")

# verdict id: (text that shows it, a question where it must fire, one where it must not)
CASES = {
    "generic_motivation": ("成長できる環境だと思い、御社を志望しました。", "shibou_douki", "jiko_pr"),
    "blame": ("転職を考えたのは、上司が全然話を聞いてくれなくて、評価も不公平だったからです。",
              "tenshoku_riyuu", "gyaku_shitsumon"),
    "abstract": ("私の強みは、何事もいろいろ頑張れるところです。一生懸命、全力で取り組みます。",
                 "jiko_pr", "gyaku_shitsumon"),
    "no_reverse_question": ("特にありません。", "gyaku_shitsumon", "tansho"),
    "conditions_only": ("残業は月にどのくらいありますか。", "gyaku_shitsumon", "stress"),
    "too_short": ("粘り強さです。", "jiko_pr", "gyaku_shitsumon"),
    "too_long": ("私の強みは粘り強さです。" + "前職では営業を担当し、毎日お客様を訪問して提案を続けました。" * 12,
                 "jiko_pr", "gyaku_shitsumon"),
    "result_without_process": ("学生時代に力を入れたのはカフェのアルバイトです。売上が増えました。",
                               "gakuchika", "gyaku_shitsumon"),
    "claim_without_numbers": ("私の強みは粘り強さです。最後まであきらめずに取り組みます。", "jiko_pr", "kachikan"),
    "failure_mentioned": ("一番の失敗は、提出期限を間違えたことです。", "shippai", "gyaku_shitsumon"),
    "vague_team": ("チームで活躍されている方に共通する特徴があれば教えてください。みんなで協力して成果を出しました。",
                   "team_role", "gyaku_shitsumon"),
    "no_lesson": ("一番の失敗は、提出期限を間違えたことです。すぐに謝って再提出しました。", "shippai", "jiko_pr"),
    "vague_plan": ("五年後には、いろいろな経験を積んで、様々な分野で貢献できる人材になりたいです。", "career_plan", "jiko_pr"),
}
# Verdicts meant for every question type: where they must not fire is a near miss of the text.
UNIVERSAL = {
    "kisha": ("貴社の事業に魅力を感じました。", "御社の事業に魅力を感じました。", "shibou_douki"),
    "negative_words": ("前の仕事はつまらなかったです。", "前の仕事はやりがいがありました。", "tenshoku_riyuu"),
    "no_clear_end": ("私の強みは粘り強さで、最後まで続けられるので", "私の強みは粘り強さです。以上です。", "jiko_pr"),
}


def findings(text: str, qid: str, track: str | None = None) -> set[str]:
    c = analyze_text(text, qid, track).content
    return {*c.issue_ids, *(f.id for f in c.findings)}


def test_every_advice_template_has_a_case():
    templated = {*ADVICE["issue"], *ADVICE["finding"]} - {"not_conclusion_first"}
    assert templated <= {*CASES, *UNIVERSAL}


@pytest.mark.parametrize("verdict", sorted(CASES))
def test_fires_where_it_applies_and_not_elsewhere(verdict):
    text, where, not_where = CASES[verdict]
    assert verdict in findings(text, where)
    assert verdict not in findings(text, not_where)
    assert in_scope(verdict, bank.questions()[where].type, None, RULES)
    assert not in_scope(verdict, bank.questions()[not_where].type, None, RULES)


@pytest.mark.parametrize("verdict", sorted(UNIVERSAL))
def test_universal_verdicts_fire_on_the_fault_only(verdict):
    bad, good, qid = UNIVERSAL[verdict]
    assert verdict in findings(bad, qid)
    assert verdict not in findings(good, qid)


@pytest.mark.parametrize("text", [
    "チームで活躍されている方に共通する特徴があれば教えていただけますか。",
    "配属後の最初の三か月で、どのような成果を期待されていますか。みんなで協力して進める仕事が多いのでしょうか。",
    "一番の失敗から学んだことを、入社後にどう活かせるか伺いたいです。",
])
def test_no_reverse_question_gets_experience_advice(text):
    result = analyze_text(text, "gyaku_shitsumon")
    assert not findings(text, "gyaku_shitsumon") & set(EXPERIENCE_ADVICE)
    assert result.review.advice == (ADVICE["good"]["gyaku"],)


def test_reverse_question_has_no_conclusion_first_advice():
    advice = analyze_text("そうですね、御社の研修について教えてください。", "gyaku_shitsumon").review.advice
    assert not any("結論から" in a for a in advice)


@pytest.mark.parametrize("track, present, absent", [
    ("shinsotsu", "大学では", "前職"),
    ("tenshoku", "現職では", "大学では"),
    (None, "これまで", "前職"),
])
def test_self_introduction_lead_fits_the_track(track, present, absent):
    advice = " ".join(analyze_text("よろしくお願いします。頑張ります。", "jikoshokai", track).review.advice)
    assert present in advice and absent not in advice


def test_track_is_recorded_and_checked_on_the_cli(tmp_path):
    import subprocess
    import sys
    ok = subprocess.run([sys.executable, "-m", "simulator", "analyze", "--text", "よろしくお願いします。",
                         "--question", "jikoshokai", "--track", "shinsotsu", "--json"], capture_output=True, text=True)
    assert ok.returncode == 0 and '"track": "shinsotsu"' in ok.stdout
    bad = subprocess.run([sys.executable, "-m", "simulator", "analyze", "--text", "はい。", "--track", "student"],
                         capture_output=True, text=True)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr


@pytest.mark.parametrize("whole, streamed", [
    ("学生時代に頑張ったことは、テニスサークルの活動です。部員三十人の練習計画を作りました。",
     "学生時代に、頑張ったことは。テニスサークルの活動です。部員三十人の練習計画を作りました。"),
    ("志望理由は、御社の物流改善の仕組みに惹かれたからです。",
     "志望理由は。御社の物流改善の仕組みに惹かれたからです。"),
    ("私の実績は、担当地域の売上を二年で二倍にしたことです。",
     "私の実績は、担当地域の売上を。二年で二倍にしたことです。"),
])
def test_stray_full_stops_do_not_change_the_verdict(whole, streamed):
    qid = "gakuchika" if "学生" in whole else ("shibou_douki" if "志望" in whole else "jisseki")
    a, b = analyze_text(whole, qid).content, analyze_text(streamed, qid).content
    assert a.conclusion_first == b.conclusion_first is True
    assert a.issue_ids == b.issue_ids and [f.id for f in a.findings] == [f.id for f in b.findings]


def test_a_topic_alone_is_not_a_conclusion():
    assert not analyze_text("志望理由は。", "shibou_douki").content.conclusion_first


def test_malformed_scope_entry_is_caught():
    for verdict, spec in RULES["scope"]["applies"].items():
        types = spec["types"]
        assert types in ("*", "experience") or all(t in {q.type for q in bank.questions().values()} for t in types), verdict


@pytest.mark.parametrize("heard", [
    "優級給かは取りやすいですか。",              # 有給休暇, as base writes it
    "福利構成について教えてください。",           # 福利厚生
    "えっと、残業は月にどのくらいありますか。それと、リモートマラクマ週に何日までできますか。",
    "えっと、残業は月にどのくらいありますか。それと、リモットマラクンは週に何日までできますか。",  # streamed
    "残業は月にどのくらいありますか。それと、ほにゃららは何日までできますか。",  # one question unrecognisable
])
def test_conditions_only_survives_mishearing(heard):
    result = analyze_text(heard, "gyaku_shitsumon")
    assert "conditions_only" in result.content.issue_ids
    assert result.review.advice != (ADVICE["good"]["gyaku"],)   # never praised


def test_a_question_about_the_work_is_not_conditions_only():
    result = analyze_text("残業はありますか。それと、配属後はどのような仕事から始めますか。", "gyaku_shitsumon")
    assert "conditions_only" not in result.content.issue_ids


@pytest.mark.parametrize("text", [
    "上司が全然話を聞いてくれなくて、評価も不公平だったからです。",
    "前の会社は、上司がちゃんと見てくれなかったので、転職を考えました。",
    "給料が全然上がらなくて、将来が不安になりました。",
])
def test_blame_in_spoken_phrasings(text):
    assert "blame" in analyze_text(text, "tenshoku_riyuu").content.issue_ids


def test_blame_not_found_in_a_forward_reason():
    text = "上司に任せてもらえる仕事が増え、もっと大きな案件に挑戦したいと考えて転職を決めました。"
    assert "blame" not in analyze_text(text, "tenshoku_riyuu").content.issue_ids
