"""Company profiles (企業研究), ES notes (一貫性) and the prep sheet, with two invented companies.

株式会社ハコブ (logistics software) and ミドリ食品 (food) live in tests/data/companies;
the same answers are judged against each.
"""

from __future__ import annotations

import json
import re
import shutil
import stat
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from answers import saved
from conftest import QuietUI, as_wav
from simulator import bank
from simulator.analyze import analyze_text
from simulator.capture import FileSource
from simulator.company import CompanyError, load_profile
from simulator.notes import new_note
from simulator.prep import prep_items, render_prep
from simulator.report import export, render
from simulator.session import Practice, company_plan, plan_questions
from simulator.storage import Store
from simulator.tts import SilentEngine, Voice

DATA = Path(__file__).parent / "data" / "companies"
HAKOBU, MIDORI = load_profile(DATA / "hakobu.toml"), load_profile(DATA / "midori.toml")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

# concrete, but concrete about ハコブ only
MOTIVATION = ("御社を志望したのは、物流の現場をデータで変えたいからです。特にハコブ便の配車計画の仕組みに惹かれました。"
              "前職の法人営業の経験を活かし、配送の待ち時間を減らす提案をしたいと考えています。")


@pytest.mark.parametrize("text, where, says", [
    ('name = 3\n', ":1:", "name（会社名）"),
    ('name = "x"\nproducts = "a\n', ":2:", "TOML の書き方"),
    ('name = "x"\n\nproduct = ["a"]\n', ":3:", "知らない項目です: product"),
    ('name = "x"\nvalues = [1, 2]\n', ":2:", "values は文字列のリスト"),
])
def test_a_broken_profile_names_its_file_and_line(tmp_path, text, where, says):
    path = tmp_path / "c.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CompanyError) as e:
        load_profile(path)
    assert f"{path}{where}" in str(e.value) and says in str(e.value)


def test_the_same_motivation_is_specific_for_one_company_and_generic_for_the_other():
    for_hakobu = analyze_text(MOTIVATION, "shibou_douki", company=HAKOBU)
    for_midori = analyze_text(MOTIVATION, "shibou_douki", company=MIDORI)
    assert "generic_motivation" not in for_hakobu.content.issue_ids
    assert "配車計画サービス「ハコブ便」" in [i.text for i in for_hakobu.content.company.used]
    assert "generic_motivation" in for_midori.content.issue_ids and not for_midori.content.company.used
    # the advice names two things of this company the answer could have used
    advice = next(a for a in for_midori.review.advice if "ミドリ食品ならでは" in a)
    assert "「まいにちグリーン」" in advice and "「冷凍野菜スープ」" in advice
    # and the interviewer asks in the company's words
    assert for_midori.review.followup.question.text == "同じ事業の会社は他にもありますが、なぜミドリ食品なのですか。"


def test_a_fact_of_the_company_said_with_its_name_and_a_figure_is_specific():
    fact = "私は成長できる環境で働きたいと考えています。ハコブが昨年10月に始めた冷凍品の共同配送に関わりたいです。"
    assert "generic_motivation" not in analyze_text(fact, "shibou_douki", company=HAKOBU).content.issue_ids
    assert "generic_motivation" in analyze_text(fact, "shibou_douki", company=MIDORI).content.issue_ids


def test_without_a_profile_the_verdicts_are_as_before():
    plain = analyze_text(MOTIVATION, "shibou_douki")
    assert plain.content.company is None and "generic_motivation" not in plain.content.issue_ids
    assert plain.review.followup.question.text == "同じ事業の会社は他にもありますが、なぜ当社なのですか。"
    generic = "私は成長できる環境で働きたいと考え、御社の理念に共感して志望しました。社会に貢献したいです。"
    for company in (None, HAKOBU, MIDORI):
        assert "generic_motivation" in analyze_text(generic, "shibou_douki", company=company).content.issue_ids


def test_a_profile_still_empty_judges_as_without_one(tmp_path):
    blank = load_profile(Store(tmp_path).create_profile("株式会社ハコブ"))   # as `company add` leaves it
    assert blank.name == "株式会社ハコブ" and not blank.items()
    generic = "私は成長できる環境で働きたいと考え、御社の理念に共感して志望しました。社会に貢献したいです。"
    assert (analyze_text(generic, "shibou_douki", company=blank).content.issue_ids
            == analyze_text(generic, "shibou_douki").content.issue_ids == ["generic_motivation", "too_short"])


def test_names_base_mishears_still_count():
    # what base writes for 御社 and ハコブ便: a misspelt name is still the company's product
    heard = "温者を志望したのは、物流の現場をデータで変えたいからです。特にハコブビンの配車の仕組みに引かれました。"
    assert "generic_motivation" not in analyze_text(heard, "shibou_douki", company=HAKOBU).content.issue_ids
    assert "generic_motivation" in analyze_text(heard, "shibou_douki", company=MIDORI).content.issue_ids


def test_a_reverse_question_the_profile_answers_is_flagged_quoting_where():
    text = "入社後に活躍している方に共通する特徴を教えてください。それと、残業は月にどのくらいありますか。"
    hakobu = analyze_text(text, "gyaku_shitsumon", company=HAKOBU)
    [issue] = [i for i in hakobu.content.issues if i.id == "answered_by_company_info"]
    assert "残業" in issue.quote and dict(issue.extra)["source"] == "平均残業時間は月12時間です"
    advice = next(a for a in hakobu.review.advice if "平均残業時間は月12時間です" in a)
    assert "公開情報（採用ページ・FAQ）" in advice
    # ミドリ食品 publishes nothing on overtime; neither company answers the first question
    assert "answered_by_company_info" not in analyze_text(text, "gyaku_shitsumon", company=MIDORI).content.issue_ids
    asks_work = "入社後に活躍している方に共通する特徴を教えてください。"
    assert "answered_by_company_info" not in analyze_text(asks_work, "gyaku_shitsumon",
                                                          company=HAKOBU).content.issue_ids


def test_a_required_skill_the_answer_never_shows_becomes_the_follow_up():
    strength = ("私の強みは粘り強さです。大学時代、飲食店のアルバイトで新人の教育係を任され、作業の手順書を作りました。"
                "その結果、新人が一人で店に立てるまでの期間を二か月から一か月に縮めました。この粘り強さを仕事でも活かしたいです。")
    fu = analyze_text(strength, "jiko_pr", company=HAKOBU).review.followup
    assert fu.question.id == "fu_company_skill" and fu.trigger == "skill_not_shown"
    assert fu.question.text == "募集要項にある「法人営業の経験」について、これまでの経験を具体的に教えてください。"
    assert "法人営業の経験" in fu.reason
    assert analyze_text(strength, "jiko_pr").review.followup.question.id != "fu_company_skill"


def test_a_company_interview_always_asks_the_motivation_in_its_words():
    plan = plan_questions(ids=["jikoshokai", "jiko_pr", "tansho", "jisseki", "gyaku_shitsumon"])
    asked = company_plan(plan, HAKOBU)
    assert [q.id for q in asked] == ["jikoshokai", "shibou_douki", "jiko_pr", "tansho", "gyaku_shitsumon"]
    assert asked[1].text == "数ある会社の中で、なぜハコブを志望されたのですか。"
    # a plan that already holds the motivation keeps its questions, in the company's words
    usual = plan_questions("tenshoku", 5)
    assert [q.id for q in company_plan(usual, HAKOBU)] == [q.id for q in usual]
    # one question answered again stays one question
    assert [q.id for q in company_plan(plan_questions(ids=["gyaku_shitsumon"]), HAKOBU)] == ["gyaku_shitsumon"]


def _store_with_answers(root: Path, *texts: tuple[str, str, str | None]) -> Store:
    """Sessions of one answer each: (question id, what was said, company)."""
    store = Store(root)
    for qid, text, company in texts:
        session = store.begin({"track": "tenshoku", **({"company": company} if company else {})})
        profile = HAKOBU if company == HAKOBU.name else None
        answer = saved(text, qid)
        store.add_answer(session, replace(answer, analysis=replace(
            answer.analysis, review=analyze_text(text, qid, company=profile).review)))
        store.finish(session)
    return store


def test_a_figure_a_strength_and_a_role_that_differ_from_the_es_are_shown_quoting_both(tmp_path):
    store = Store(tmp_path)
    store.add_note(new_note("私の強みは粘り強さです。前職では月間の売上は200万円でした。"
                            "テニスサークルでは副部長として新入生の勧誘を担当しました。", "es", HAKOBU.name))
    _store_with_answers(tmp_path, ("jiko_pr", "私の強みは周りを巻き込む力です。前職では月間の売上は150万円でした。"
                                              "テニスサークルの部長を務め、練習の仕組みを変えました。", None))
    html = render(store, sorted(store.sessions_dir.iterdir())[-1]).read_text(encoding="utf-8")
    section = html[html.index("一貫性のチェック"):html.index("これまでの推移")]
    assert "<b>売上（月）</b> の数字が食い違っています" in section and "<b>強み</b> の内容が食い違っています" in section
    assert "<b>役割（サークル）</b> の内容が食い違っています" in section
    assert "エントリーシート（株式会社ハコブ、" in section                  # where each side came from
    assert "「私の強みは粘り強さです。」" in section and "「前職では月間の売上は150万円でした」" in section


def test_the_same_facts_as_the_es_raise_no_alarm(tmp_path):
    store = Store(tmp_path)
    store.add_note(new_note("私の強みは粘り強さです。前職では月間の売上は200万円でした。"
                            "テニスサークルでは副部長を務めました。", "es"))
    _store_with_answers(tmp_path, ("jiko_pr", "私の強みは、粘り強いところです。前職の月間の売上は200万円です。"
                                              "テニスサークルの副部長として新入生を迎えました。", None))
    html = render(store, sorted(store.sessions_dir.iterdir())[-1]).read_text(encoding="utf-8")
    assert "食い違っています" not in html and "食い違いはありません" in html


def test_profiles_and_notes_are_private_exported_and_deleted_from_the_command_line(tmp_path):
    run = (lambda *a: subprocess.run([sys.executable, "-m", "simulator", *a, "--data-dir", str(tmp_path)],
                                     capture_output=True, text=True))
    p = run("company", "add", "株式会社ハコブ")
    assert p.returncode == 0, p.stderr
    path = tmp_path / "companies" / "株式会社ハコブ.toml"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and load_profile(path).name == "株式会社ハコブ"
    assert run("company", "add", "株式会社ハコブ").returncode != 0            # never overwrites the user's work
    path.write_text((DATA / "hakobu.toml").read_text(encoding="utf-8"), encoding="utf-8")
    for company, generic in (("株式会社ハコブ", False), (str(DATA / "midori.toml"), True)):
        p = run("analyze", "--text", MOTIVATION, "--question", "shibou_douki", "--company", company, "--json")
        assert p.returncode == 0, p.stderr
        assert ("generic_motivation" in json.loads(p.stdout)["content"]["issues"]) is generic
    p = run("analyze", "--text", MOTIVATION, "--company", "存在しない会社")
    assert p.returncode == 2 and p.stderr.count("\n") == 1 and "mensetsu company add" in p.stderr
    es = tmp_path / "es.txt"
    es.write_text("私の強みは粘り強さです。前職では月間の売上は200万円でした。", encoding="utf-8")
    p = run("notes", "add", "--file", str(es), "--company", "株式会社ハコブ")
    assert p.returncode == 0 and "売上（月）: 2,000,000円" in p.stdout and "強み: 粘り強さ" in p.stdout
    [note] = (tmp_path / "notes").glob("*.json")
    assert stat.S_IMODE(note.stat().st_mode) == 0o600
    store = _store_with_answers(tmp_path, ("shibou_douki", MOTIVATION, HAKOBU.name))
    session = sorted(store.sessions_dir.iterdir())[-1]
    (session / "session.json").write_text(json.dumps({**json.loads((session / "session.json").read_text("utf-8")),
                                                      "company_file": str(path)}), encoding="utf-8")
    exported = json.loads(export(session, "json"))
    assert exported["company_profile"]["name"] == "株式会社ハコブ" and exported["notes"][0]["company"] == "株式会社ハコブ"
    outside = tmp_path / "mine.toml"
    outside.write_text((DATA / "midori.toml").read_text(encoding="utf-8"), encoding="utf-8")
    p = run("company", "delete", str(outside))            # the user's own file, outside the data folder
    assert p.returncode == 2 and "削除しません" in p.stderr and outside.exists()
    assert run("company", "delete", "株式会社ハコブ").returncode == 0
    assert not path.exists() and not list((tmp_path / "notes").glob("*.json"))    # its notes go with it


def _pdf_pages(pdf: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page[^s]", pdf))


@pytest.mark.skipif(CHROMIUM is None, reason="needs Debian's chromium")
def test_the_prep_sheet_keeps_the_best_attempt_and_prints_on_a4(tmp_path):
    weak = "御社を志望したのは、成長できる環境だと思ったからです。"
    store = _store_with_answers(tmp_path, ("shibou_douki", MOTIVATION, HAKOBU.name),
                                ("shibou_douki", weak, HAKOBU.name),
                                ("shibou_douki", "御社の理念に共感しました。", MIDORI.name))   # another company's practice
    [item] = prep_items(store, HAKOBU)
    assert item.attempts == 2 and item.best.answer.analysis.transcript.text == MOTIVATION
    out = render_prep(store, HAKOBU)
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    html = out.read_text(encoding="utf-8")
    assert MOTIVATION in html and weak not in html and "理念に共感" not in html
    assert "同業他社ではなく、ハコブを選ぶ理由は何ですか。" in html               # the follow-ups it invites
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page()
        page.goto(out.as_uri())
        assert page.locator("section h2").count() == 1
        pdf = page.pdf(format="A4")
        browser.close()
    assert _pdf_pages(pdf) == 1


def test_a_spoken_motivation_practised_for_a_company(analyzer, tmp_path):
    """The whole loop on audio: asked in the company's words, judged against its profile."""
    answers = tmp_path / "answers"
    answers.mkdir()
    as_wav(DATA / "shibou_hakobu.flac", answers / "01.wav")
    store = Store(tmp_path / "data")
    plan = company_plan(plan_questions(ids=["shibou_douki"]), HAKOBU)
    practice = Practice(store, Voice(SilentEngine(), None), FileSource(answers), lambda: analyzer, QuietUI(),
                        max_followups=0, company=HAKOBU)
    result = practice.run(plan, {"track": "tenshoku", "company": HAKOBU.name, "company_file": HAKOBU.path})
    [answer] = result.answers
    assert answer.question == "数ある会社の中で、なぜハコブを志望されたのですか。"
    heard = answer.analysis
    assert heard.content.company.company == HAKOBU.name and heard.content.company.used
    assert "generic_motivation" not in heard.content.issue_ids
    # the same recording, judged for the other company, names nothing of it
    other = analyzer.analyze_file(answers / "01.wav", "shibou_douki", company=MIDORI)
    assert "generic_motivation" in other.content.issue_ids
    html = render_prep(store, HAKOBU).read_text(encoding="utf-8")
    assert heard.transcript.text in html and "聞かれそうな深掘り" in html
    assert "会社: 株式会社ハコブ" in render(store, result.session.path).read_text(encoding="utf-8")


def test_resuming_after_the_profile_was_deleted_goes_on_without_it(tmp_path, dev_dir):
    store = Store(tmp_path / "data")
    session = store.begin({"track": "tenshoku", "plan": ["gyaku_shitsumon"], "company": HAKOBU.name,
                           "company_file": str(tmp_path / "gone.toml")})
    answers = tmp_path / "answers"
    answers.mkdir()
    as_wav(dev_dir / "dev06_gyaku_none.flac", answers / "01.wav")
    p = subprocess.run([sys.executable, "-m", "simulator", "practice", "--resume", session.id, "--answers-from",
                        str(answers), "--tts", "none", "--data-dir", str(store.root)],
                       capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    assert "会社のプロフィールが見つかりません" in p.stdout and "照らさずに続けます" in p.stdout
    [answer] = json.loads((session.path / "session.json").read_text(encoding="utf-8"))["answers"]
    assert answer["question_id"] == "gyaku_shitsumon" and answer["content"]["company"] is None
