"""The small things a new user meets on the first evening (issue: the first hour of a real user)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from simulator import bank


def mensetsu(*args: str, columns: int = 80) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "simulator", *args], capture_output=True, text=True,
                          env={**os.environ, "COLUMNS": str(columns)}, timeout=120)


def test_questions_lists_ids_types_and_texts():
    p = mensetsu("questions")
    assert p.returncode == 0, p.stderr
    for q in bank.questions().values():
        if q.type != "followup":
            assert q.id in p.stdout
    assert "逆質問" in p.stdout and "gyaku_shitsumon" in p.stdout
    assert "fu_" not in p.stdout   # follow-ups only with --followups


def test_questions_by_track():
    manager = mensetsu("questions", "--track", "manager").stdout
    student = mensetsu("questions", "--track", "shinsotsu").stdout
    assert "mgr_team" in manager and "mgr_team" not in student
    assert "gakuchika" in student and "gakuchika" not in manager
    assert "fu_" in mensetsu("questions", "--followups").stdout


@pytest.mark.parametrize("args", [
    ("analyze", "--text", "私の強みは粘り強さです。", "--question", "bogus_id"),
    ("practice", "--ids", "jikoshokai,bogus_id", "--tts", "none", "--answers-from", "."),
])
def test_an_unknown_question_id_is_an_error(args, tmp_path):
    p = mensetsu(*args, "--data-dir", str(tmp_path)) if args[0] == "practice" else mensetsu(*args)
    assert p.returncode != 0 and "Traceback" not in p.stderr
    assert "bogus_id" in p.stderr and "mensetsu questions" in p.stderr


def test_question_text_is_still_allowed():
    p = mensetsu("analyze", "--text", "私の強みは粘り強さです。", "--question", "あなたの強みは何ですか？", "--json")
    assert p.returncode == 0, p.stderr


SUBCOMMANDS = ("analyze", "practice", "report", "history", "reindex", "export", "delete", "questions", "check")
ARGPARSE_ENGLISH = ("usage:", "positional arguments", "options:", "show this help", "show program's",
                    "invalid choice", "error:", "required")


@pytest.mark.parametrize("command", ("", *SUBCOMMANDS))
def test_help_is_japanese_and_describes_every_command(command):
    p = mensetsu(*filter(None, [command]), "--help")
    assert p.returncode == 0
    assert not [w for w in ARGPARSE_ENGLISH if w in p.stdout], p.stdout
    assert p.stdout.startswith("使い方: ")
    description = p.stdout.split("\n\n")[1]   # the paragraph after the usage lines
    assert not description.startswith(("引数", "オプション", "コマンド")) and len(description) > 10, p.stdout


@pytest.mark.parametrize("args", [("analyze", "--track", "student"), ("nosuchcommand",), ("history", "--bogus")])
def test_argument_errors_are_one_japanese_line(args):
    p = mensetsu(*args)
    assert p.returncode == 2
    lines = [line for line in p.stderr.splitlines() if not line.startswith(("使い方", " "))]
    assert len(lines) == 1 and lines[0].startswith("エラー: "), p.stderr
    assert not [w for w in ARGPARSE_ENGLISH if w in p.stderr], p.stderr
