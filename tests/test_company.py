"""Company profiles (企業研究), ES notes (一貫性) and the prep sheet, with three invented companies.

株式会社ハコブ and ツナグ物流テック (both logistics software) and ミドリ食品 (food) live in
tests/data/companies; the same answers are judged against each.
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
from support import QuietUI, as_wav
from support.answers import saved

from simulator.analysis.analyze import analyze_text
from simulator.judge import fit
from simulator.judge.company import CompanyError, load_profile, with_rivals
from simulator.practice.session import Practice, company_plan, plan_questions
from simulator.present.prep import prep_items, render_prep
from simulator.present.report import export, render
from simulator.speech.capture import FileSource
from simulator.speech.tts import SilentEngine, Voice
from simulator.store.notes import new_note
from simulator.store.storage import Store

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


@pytest.mark.slow
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


@pytest.mark.slow
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


@pytest.mark.slow
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


# --- Only this company: two companies in the same business (issue 30) -------------------
# ツナグ物流テック is in ハコブ's business; each is judged with the others as its rivals.
SAME_FIELD = {p.name: with_rivals(p, DATA) for p in (HAKOBU, load_profile(DATA / "tsunagu.toml"), MIDORI)}
H, T, M = SAME_FIELD.values()
# industry words only: true of ハコブ and ツナグ alike
INDUSTRY = ("御社を志望したのは、物流の人手不足をデータとクラウドで解決したいからです。配車の効率化や需要予測で、"
            "ドライバーの負担を減らせる点に惹かれました。前職の法人営業の経験を活かし、運送会社の課題に寄り添った"
            "提案をしたいと考えています。")
OWN_TSUNAGU = ("御社を志望したのは、ツナグ配車で地方の運送会社を支えたいからです。説明会で佐藤さんから、九州の顧客を"
               "毎週訪ねていると伺い、顧客と一緒に考える姿勢に惹かれました。前職の法人営業の経験を活かし、"
               "運送会社の経営者と一緒に配車の課題を解きたいと考えています。")


def _issue(text: str, qid: str, profile, track: str | None = None):
    return analyze_text(text, qid, track=track, company=profile)


def test_rivals_are_the_other_saved_profiles():
    assert {r.name for r in H.rivals} == {T.name, M.name} and H not in H.rivals
    assert H == HAKOBU   # rivals do not change what the profile is
    assert "rivals" not in H.to_dict()


def test_industry_words_pass_the_swap_test_for_both_companies_and_say_so():
    for profile, rival in ((H, T), (T, H)):
        result = _issue(INDUSTRY, "shibou_douki", profile)
        [swap] = [i for i in result.content.issues if i.id == "swap_passes"]
        assert dict(swap.extra)["rival"] == rival.name and "generic_motivation" not in result.content.issue_ids
        advice = result.review.advice[0]
        assert advice.startswith(f"この志望動機は{rival.name}でもそのまま通ります。")
        assert result.review.followup.question.text == \
            f"同じ事業の会社は他にもありますが、なぜ{fit.short_name(profile.name)}なのですか。"
    # the company in another business fits none of it: plainly generic there
    assert "generic_motivation" in _issue(INDUSTRY, "shibou_douki", M).content.issue_ids
    # the posting's own words (法人営業) are not what makes it specific
    assert "swap_passes" in _issue(INDUSTRY.replace("運送会社", "法人営業の顧客"), "shibou_douki", H).content.issue_ids


def test_a_comparison_with_a_term_of_its_own_is_specific():
    compared = "御社を志望したのは、他社と違い、中小の運送会社に絞って需要予測まで提供している点に惹かれたからです。"
    assert not {"swap_passes", "generic_motivation"} & set(_issue(compared, "shibou_douki", T).content.issue_ids)
    assert "generic_motivation" in _issue(compared, "shibou_douki", H).content.issue_ids


def test_another_companys_product_and_person_are_flagged_quoting_both():
    mine = _issue(OWN_TSUNAGU, "shibou_douki", T).content
    assert not {"swap_passes", "generic_motivation", "other_company_name"} & set(mine.issue_ids)
    for profile in (H, M):
        result = _issue(OWN_TSUNAGU, "shibou_douki", profile)
        [other] = [i for i in result.content.issues if i.id == "other_company_name"]
        assert other.quote == "ツナグ配車" and dict(other.extra)["rival"] == T.name
        assert "generic_motivation" in result.content.issue_ids
        assert any(a.startswith(f"「ツナグ配車」は{T.name}のことで") for a in result.review.advice)
    # the person met at ツナグ's briefing, said alone, is ツナグ's too
    person = "説明会で佐藤さんから、顧客を毎週訪ねていると伺い、顧客と一緒に考える姿勢に惹かれました。"
    assert [i.quote for i in _issue(person, "shibou_douki", H).content.issues if i.id == "other_company_name"] \
        == ["佐藤さん"]
    # and ハコブ's product in an answer for ツナグ, the other way round
    assert "ハコブ便" in [i.quote for i in _issue(MOTIVATION, "shibou_douki", T).content.issues
                          if i.id == "other_company_name"]


def test_a_reverse_question_building_on_a_published_fact_is_praised_not_flagged():
    builds = "九州に物流センターを開設されたと拝見しました。提案の進め方は変わりましたか。"
    result = _issue(builds, "gyaku_shitsumon", T)
    assert "answered_by_company_info" not in result.content.issue_ids
    [praise] = [f for f in result.content.findings if f.id == "researched_question"]
    assert dict(praise.extra)["source"] == "2025年に九州に物流センターを開設した"
    assert "踏まえて一歩踏み込んだ質問" in result.review.advice[0]
    # the same question for ハコブ cites ツナグ's news
    other = _issue(builds, "gyaku_shitsumon", H).content
    assert "other_company_name" in other.issue_ids and "researched_question" not in [f.id for f in other.findings]
    # asking for the published fact itself is still flagged
    asks = "残業は月にどのくらいありますか。"
    assert "answered_by_company_info" in _issue(asks, "gyaku_shitsumon", T).content.issue_ids


def test_posting_skills_are_asked_per_track():
    strength = ("私の強みは粘り強さです。大学時代、飲食店のアルバイトで新人の教育係を任され、作業の手順書を作りました。"
                "その結果、新人が一人で店に立てるまでの期間を二か月から一か月に縮めました。この粘り強さを仕事でも活かしたいです。")
    student = _issue(strength, "jiko_pr", T, "shinsotsu").review.followup.question.text
    assert student == "ツナグ物流テックの募集要項では「新規開拓営業の経験」が求められていますが、学生時代に近い経験はありますか。"
    worker = _issue(strength, "jiko_pr", T, "tenshoku").review.followup.question.text
    assert worker == "募集要項にある「新規開拓営業の経験」について、これまでの経験を具体的に教えてください。"
    # an abstract strength is dug into first
    abstract = ("私の強みはコミュニケーション能力です。誰とでもすぐに打ち解けることができ、周りを巻き込んで"
                "物事を進めることが得意です。この力を御社でも活かしたいと考えています。")
    fu = _issue(abstract, "jiko_pr", T, "shinsotsu").review.followup
    assert fu.question.id != "fu_company_skill" and "コミュニケーション能力" in fu.question.text


def test_a_weakness_the_postings_daily_work_needs_is_a_red_flag():
    weakness = ("私の短所は、初対面の人と話すのが苦手なところです。知らない人の前だと緊張してしまい、ゼミの最初の発表では"
                "声が小さくなりました。そこで毎週のゼミで必ず一回は発言すると決め、半年続けました。")
    result = _issue(weakness, "tansho", T, "shinsotsu")
    [clash] = [i for i in result.content.issues if i.id == "tansho_collides"]
    assert "初対面" in clash.quote and dict(clash.extra)["says"] == "初対面のお客様と話すこと"
    assert result.review.followup.question.text == \
        "ツナグ物流テックの仕事では、初対面のお客様と話すことが毎日求められますが、その短所とどう向き合いますか。"
    # ハコブ's posting (proposals to its own logistics clients) and ミドリ食品's need no cold calls
    for profile in (H, M):
        assert "tansho_collides" not in _issue(weakness, "tansho", profile, "shinsotsu").content.issue_ids


def test_a_vague_career_plan_is_flagged_and_the_questions_own_years_are_no_figure():
    vague = ("五年後には、いろいろな経験を積んで、様々な分野で貢献できる人材になっていたいと考えています。"
             "そのために、まずは目の前の仕事に全力で取り組み、周りの方から信頼される存在になりたいです。"
             "十年後には、チームを引っ張れるような存在として、会社の成長に貢献したいと考えています。")
    result = analyze_text(vague, "career_plan")
    assert "vague_plan" in result.content.issue_ids and not result.content.has_numbers
    assert result.review.followup.question.id == "fu_vague_plan"
    concrete = ("三年後には、物流の法人営業で年間20社の新規顧客を担当したいです。そのために一年目は先輩に同行し、"
                "提案書を月に5本書きます。")
    assert "vague_plan" not in analyze_text(concrete, "career_plan").content.issue_ids


def test_the_prep_sheet_shows_the_swap_verdict_and_where_each_follow_up_comes_from(tmp_path):
    store = Store(tmp_path)
    for text in (INDUSTRY,):
        session = store.begin({"track": "tenshoku", "company": H.name})
        answer = saved(text, "shibou_douki")
        store.add_answer(session, replace(answer, analysis=replace(answer.analysis,
                                                                   review=analyze_text(text, "shibou_douki").review)))
        store.finish(session)
    [item] = prep_items(store, H)
    assert item.swap == f"同じ事業の{T.name}でもそのまま通ります"
    assert "他社でも通る志望動機" in item.weak
    html = render_prep(store, H).read_text(encoding="utf-8")
    assert f"同じ事業の{T.name}でもそのまま通ります" in html and "大きな弱点はありません" not in html
    assert "同じ事業の会社は他にもありますが、なぜハコブなのですか。" in html
    assert "この質問のあとによく聞かれること" in html
    # with no other profile to compare, the field's words alone are still any company's
    [alone] = prep_items(store, HAKOBU)
    assert alone.swap == "どの会社にも言える志望動機です"
    # a motivation that names ハコブ's own product passes (its own store: two sessions begun
    # in one second have no order)
    store = Store(tmp_path / "own")
    session = store.begin({"track": "tenshoku", "company": H.name})
    store.add_answer(session, saved(MOTIVATION, "shibou_douki"))
    store.finish(session)
    [best] = prep_items(store, H)
    assert best.swap == f"ハコブならではの理由があります（{M.name}、{T.name}とは入れ替わりません）"
