"""The interviewer digs rung by rung from the candidate's words (simulator/interviewer/dig.py), and a
whole typed interview runs end to end through `practice --answers-from` with .txt files."""

from __future__ import annotations

import json
import shutil
import sqlite3
import tomllib
from pathlib import Path

import pytest
from support import edited_prompts, mensetsu

from simulator.analysis.analyze import analyze_text, review
from simulator.interviewer import dig
from simulator.judge.confidence import Confidence
from simulator.rules import bank
from simulator.rules.bank import PromptsError

Q = bank.questions()
CHAINS = {c["id"]: c for c in tomllib.loads(
    (Path(__file__).parent / "data" / "interviews" / "chains.toml").read_text(encoding="utf-8"))["chain"]}
STRIKING = ("私の実績は、担当エリアの売上を前年比150%にしたことです。入社三年目に、既存のお客様二十社を担当しました。"
            "その結果、社内の営業表彰を受けました。御社でもこの経験を活かしたいと考えています。")


def answer(question, text, topic):
    result = analyze_text(text, question, topic=topic)
    turn = dig.Turn.of(question, text, result.content.issue("blame") is not None)
    return result.review.followup, dig.Topic(topic.main, (*topic.turns, turn))


def test_a_striking_figure_is_quoted_and_its_process_asked():
    fu = review(STRIKING, Q["jisseki"]).followup
    assert fu.question.text.startswith("前年比150%とおっしゃいましたが")
    assert fu.trigger == "dig:action" and fu.question.target_s == 30
    assert "前年比150%" in fu.reason


def test_a_strength_word_with_no_episode_asks_for_the_scene_first():
    text = "私の長所は行動力です。思い立ったらすぐに動くことができ、周りからも行動力があると言われます。"
    fu = review(text, Q["chousho"]).followup
    assert fu.question.text == "行動力とおっしゃいましたが、それが一番発揮された場面を、一つ教えてください。"


def test_an_unsure_figure_is_never_quoted():
    unsure = Confidence(("150",))
    claims = dig.claims([STRIKING], "jisseki", unsure)
    assert claims and all("150" not in c.quote for c in claims)


def test_an_answered_rung_climbs_a_dodge_is_pressed_once_then_the_story_gives_way():
    main = Q["jisseki"]
    first = review(STRIKING, main).followup
    topic = dig.Topic(main, (dig.Turn.of(main, STRIKING),))
    # dodged: pressed on the same rung
    press, after_dodge = answer(first.question, "特にありません。とにかく頑張ったとしか言えないです。", topic)
    assert press.trigger == "press:action" and press.question.text == "具体的には、あなたが何をしたのか教えてください。"
    # dodged again: the topic ends there
    end, gave_way = answer(press.question, "うーん、いろいろありましたが、とにかく一生懸命やりました。", after_dodge)
    assert end is None
    depth = dig.depth(list(gave_way.turns))
    assert (depth.asked, depth.held, depth.gave_way) == (1, 0, "自分の行動")
    # answered instead: the next rung, about a claim not quoted yet
    nxt, climbed = answer(first.question, "私が二十社すべてを月に一度訪問し、在庫の困りごとを聞いて、発注の提案書を作り直しました。", topic)
    assert nxt.trigger.startswith("dig:") and nxt.trigger != "dig:action"
    assert "前年比150%" not in nxt.question.text
    assert dig.depth(list(climbed.turns)).held == 1


def test_the_same_probe_is_asked_again_in_another_topic():
    """A probe is per topic: 「あなた自身は何を」 after one answer does not block it after the next."""
    for qid in ("jisseki", "team_role"):
        text = CHAINS["c01" if qid == "jisseki" else "c17"]["answers"][0]
        assert review(text, Q[qid], asked=frozenset({"dig_action"})).followup.trigger == "dig:action"


def test_more_blame_is_no_answer_to_what_did_you_do_about_it():
    main = Q["tenshoku_riyuu"]
    chain = CHAINS["c11"]["answers"]
    fu = review(chain[0], main).followup
    assert fu.trigger == "dig:tried_inside" and "不公平だったから" in fu.question.text
    press, _ = answer(fu.question, chain[1], dig.Topic(main, (dig.Turn.of(main, chain[0], True),)))
    assert press.trigger == "press:tried_inside"


def test_a_complete_story_ends_the_topic():
    text = ("私の短所は、心配性なところです。資料を作る時に確認に時間をかけすぎてしまうことがありました。"
            "今は、作業を始める前にチェック項目を決めて、確認する時間を30分までと区切るようにしています。"
            "そのおかげで、提出までの時間を短くできるようになりました。")
    assert review(text, Q["tansho"]).followup is None


def test_a_direct_followup_answer_in_deshita_is_conclusion_first():
    fu = review(STRIKING, Q["jisseki"]).followup
    assert analyze_text("一番効いたのは、毎月の訪問でした。", fu.question).content.conclusion_first


def test_a_typo_in_the_ladder_is_reported_with_file_and_line(tmp_path):
    folder = edited_prompts(tmp_path, "interviewer", 'jiko_pr = ["situation", "action", "why_method"',
                            'jiko_pr = ["situation", "action", "why_metod"')
    with pytest.raises(PromptsError, match=r"interviewer\.toml:\d+: .*why_metod"):
        dig.rules(folder)
    folder = edited_prompts(tmp_path, "interviewer", 'kind = "figure"', 'kinds = "figure"')
    with pytest.raises(PromptsError, match=r"interviewer\.toml:\d+: .*kinds"):
        dig.rules(folder)


@pytest.mark.slow
def test_a_typed_interview_end_to_end(tmp_path):
    """`practice --answers-from` with .txt answers: the interviewer quotes, presses, and the
    summary, the saved session and the report say where the story gave way."""
    answers = tmp_path / "answers"
    answers.mkdir()
    for n, text in enumerate([*CHAINS["c02"]["answers"], "はい、配属後の最初の三か月で、どのような成果を期待されているのかを伺いたいです。"], 1):
        (answers / f"{n:02d}.txt").write_text(text, encoding="utf-8")
    data = tmp_path / "data"
    p = mensetsu("practice", "--answers-from", str(answers), "--tts", "none", "--data-dir", str(data),
            "--ids", "jisseki,gyaku_shitsumon", "--track", "tenshoku")
    assert p.returncode == 0, p.stderr
    assert "前年比150%とおっしゃいましたが、その中で、あなた自身は何をしたのですか。" in p.stdout
    assert "具体的には、あなたが何をしたのか教えてください。" in p.stdout
    assert "深掘り 1 段中 0 段まで答えられた（「自分の行動」で詰まった）" in p.stdout
    folder = next((data / "sessions").iterdir())
    session = json.loads((folder / "session.json").read_text(encoding="utf-8"))
    assert [a["question_id"] for a in session["answers"]] == ["jisseki", "dig_action", "press_action", "gyaku_shitsumon"]
    assert (folder / "02_dig_action.txt").read_text(encoding="utf-8").startswith("特にありません")
    with sqlite3.connect(data / "mensetsu.db") as con:
        rows = con.execute("SELECT question_id, speech_s FROM answers ORDER BY idx").fetchall()
    assert [r[0] for r in rows] == ["jisseki", "dig_action", "press_action", "gyaku_shitsumon"]
    assert all(r[1] is None for r in rows)   # typed: no delivery measured
    report = mensetsu("report", session["id"], "--data-dir", str(data))
    assert report.returncode == 0, report.stderr
    html = next(folder.glob("*.html")).read_text(encoding="utf-8")
    assert "「自分の行動」で詰まった" in html


@pytest.mark.slow
def test_a_contradiction_with_the_entry_sheet_is_the_next_question(tmp_path):
    """一貫性 during the interview: the ES says 副部長, the answer 部長 — asked at once, quoting
    both; a note for another company is not on this desk; 新入部員30人 is not 部員40人."""
    data = tmp_path / "data"
    es = tmp_path / "es.txt"
    es.write_text("大学ではサークルの副部長を務め、定期ライブの運営を担当しました。新入部員は30人でした。", encoding="utf-8")
    assert mensetsu("notes", "add", "--file", str(es), "--data-dir", str(data)).returncode == 0
    other = tmp_path / "other.txt"
    other.write_text("アルバイトではリーダーとして部員40人をまとめました。", encoding="utf-8")
    shutil.copy(Path(__file__).parent / "data" / "companies" / "hakobu.toml", tmp_path / "hakobu.toml")
    assert mensetsu("notes", "add", "--file", str(other), "--company", str(tmp_path / "hakobu.toml"),
               "--data-dir", str(data)).returncode == 0
    answers = tmp_path / "answers"
    answers.mkdir()
    (answers / "01.txt").write_text("学生時代に力を入れたのは、軽音楽サークルで部長として定期ライブの運営を立て直したことです。"
                                    "部員は40人で、来場者が前の年の半分まで減っていたので、私がアンケートを取ることにしました。"
                                    "その結果、来場者は百二十人になりました。", encoding="utf-8")
    (answers / "02.txt").write_text("副部長の誤りでした。私が部長を補佐して、アンケートの設計と集計を担当しました。", encoding="utf-8")
    p = mensetsu("practice", "--answers-from", str(answers), "--tts", "none", "--ids", "gakuchika", "--data-dir", str(data))
    assert p.returncode == 0, p.stderr
    asked = [line for line in p.stdout.splitlines() if line.startswith("深掘り")]
    assert asked[0].endswith("エントリーシートでは副部長と書かれていますが、今は部長とおっしゃいました。どちらが正しいのでしょうか。")
    assert not any("30" in line or "40" in line for line in asked)
    assert len(asked) == 2 and "リーダー" not in asked[1]
