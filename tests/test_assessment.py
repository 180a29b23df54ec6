"""The interviewer's conclusion (simulator/present/assessment.py): 再現性, フィット, 本気度 with the
candidate's words as evidence, and the red flags — from whole typed sessions run through
`practice --answers-from`, real storage and the report."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from support import edited_prompts, mensetsu

from simulator.analysis.analyze import analyze_text
from simulator.present import assessment
from simulator.rules.bank import PromptsError

CHAINS = {c["id"]: c for c in tomllib.loads(
    (Path(__file__).parent / "data" / "interviews" / "chains.toml").read_text(encoding="utf-8"))["chain"]}
GOOD_QUESTION = "はい、配属後の最初の三か月で、どのような成果を期待されているのかを伺いたいです。"


def _interview(tmp_path, answers: list[str], ids: str, track: str = "tenshoku", data: Path | None = None):
    folder = tmp_path / f"answers{len(list(tmp_path.glob('answers*')))}"
    folder.mkdir()
    for n, text in enumerate(answers, 1):
        (folder / f"{n:02d}.txt").write_text(text, encoding="utf-8")
    data = data or tmp_path / "data"
    p = mensetsu("practice", "--answers-from", str(folder), "--tts", "none", "--data-dir", str(data),
            "--ids", ids, "--track", track)
    assert p.returncode == 0, p.stderr
    head, marker, rest = p.stdout.partition("面接官の見立て")
    return marker + rest, data


def test_a_striking_figure_with_no_process_is_not_good_100():
    """前年比150% and an award, and not a word of how: the first thing a manager doubts."""
    result = analyze_text(CHAINS["c01"]["answers"][0], "jisseki")
    assert "result_without_process" in result.content.issue_ids
    assert result.content.score < 100
    assert "どうやって出したか" in result.review.advice[0]
    told = analyze_text("私の実績は、担当エリアの売上を前年比150%にしたことです。二十社を毎月訪問して在庫の困りごとを聞き、"
                        "発注の提案書を作り直しました。その結果、社内の営業表彰を受けました。", "jisseki")
    assert "result_without_process" not in told.content.issue_ids


@pytest.mark.slow
def test_a_story_that_holds_and_a_reverse_question_about_the_work(tmp_path):
    out, data = _interview(tmp_path, [*CHAINS["c05"]["answers"], GOOD_QUESTION], "gakuchika,gyaku_shitsumon",
                           track="shinsotsu")
    assert "再現性: 伝わった" in out
    assert "深掘り 3 段すべてに具体的に答えられた" in out
    assert "本気度: 伝わった" in out and "仕事の中身に踏み込んだ" in out
    assert "レッドフラグ" not in out
    report = mensetsu("report", "latest", "--data-dir", str(data))
    assert report.returncode == 0, report.stderr
    html = next((data / "sessions").glob("*/report.html")).read_text(encoding="utf-8")
    assert 'id="verdict"' in html and "再現性（入社後も同じように成果を出せそうか）" in html
    assert "「なぜその方法か」を聞かれて「アンケートを選んだのは" in html   # each rung that held, quoted
    assert "深掘りに答えられた段数（平均）" in html   # 深掘り耐性 over sessions


def test_an_evasive_story_and_no_reverse_question(tmp_path):
    out, _ = _interview(tmp_path, [*CHAINS["c02"]["answers"], "特にありません。"], "jisseki,gyaku_shitsumon")
    assert "再現性: 伝わらなかった" in out
    assert "「自分の行動」に答えられなかった" in out
    assert "本気度: 伝わらなかった" in out
    assert "レッドフラグ: 逆質問がなかった（「特にありません」）" in out


def test_blaming_the_last_job_is_a_red_flag_of_fit(tmp_path):
    out, _ = _interview(tmp_path, ["転職を考えた理由は、上司が全然話を聞いてくれなかったからです。給料も安く、評価も不透明でした。"],
                        "tenshoku_riyuu")
    assert "フィット: 伝わらなかった" in out
    assert "レッドフラグ: 「" in out and "（他責）" in out


@pytest.mark.slow
def test_a_contradiction_with_an_earlier_session_is_a_red_flag(tmp_path):
    first = "学生時代に力を入れたのは、サークルの副部長として定期ライブの運営を立て直したことです。"
    _, data = _interview(tmp_path, [first], "gakuchika", track="shinsotsu")
    out, _ = _interview(tmp_path, ["学生時代に力を入れたのは、サークルの部長として定期ライブの運営を立て直したことです。"],
                        "gakuchika", track="shinsotsu", data=data)
    assert "レッドフラグ" in out and "副部長" in out and "話が食い違っている" in out


def test_a_typo_in_the_assessment_rules_names_file_and_line(tmp_path):
    folder = edited_prompts(tmp_path, "assessment", 'signal = "blame"', 'signal = "blaim"')
    with pytest.raises(PromptsError, match=r"assessment\.toml:\d+: signal 'blaim'"):
        assessment.rules(folder)
    folder = edited_prompts(tmp_path, "assessment", 'axis = "honki"', 'axis = "honky"')
    with pytest.raises(PromptsError, match=r"assessment\.toml:\d+: axis 'honky'"):
        assessment.rules(folder)
