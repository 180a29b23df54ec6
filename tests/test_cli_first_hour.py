"""The small things a new user meets on the first evening (issue: the first hour of a real user)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from simulator.analysis.record import SavedAnswer
from simulator.rules import bank


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


def _sessions(tmp_path, n: int = 3) -> list[str]:
    from simulator.analysis.analyze import analyze_text
    from simulator.store.storage import Store

    store = Store(tmp_path)
    ids = []
    for track in ("shinsotsu", "specialist", "career-change")[:n]:
        s = store.begin({"track": track})
        store.add_answer(s, SavedAnswer(1, "jiko_pr", "あなたの強みを教えてください。", "01_jiko_pr.wav",
                                        analysis=analyze_text("私の強みは粘り強さです。", "jiko_pr")))
        ids.append(s.id)
    return ids


@pytest.mark.slow
def test_history_fits_80_columns_and_shows_ids_that_work(tmp_path):
    from rich.cells import cell_len

    from simulator.store.storage import short_ids

    ids = _sessions(tmp_path)
    p = mensetsu("history", "--data-dir", str(tmp_path), columns=80)
    assert p.returncode == 0, p.stderr
    assert all(cell_len(line) <= 80 for line in p.stdout.splitlines()), p.stdout
    assert "…" not in p.stdout
    short = short_ids(ids)
    for sid in ids:
        assert short[sid] in p.stdout and len(short[sid]) < len(sid)
    # the short id works where the full one does
    target = ids[1]
    exported = mensetsu("export", short[target], "--data-dir", str(tmp_path))
    assert exported.returncode == 0 and target in exported.stdout
    assert mensetsu("report", short[target], "--data-dir", str(tmp_path)).returncode == 0
    assert mensetsu("export", target[:15], "--data-dir", str(tmp_path)).returncode == 0 or len(
        {i[:15] for i in ids}) < len(ids)   # a unique prefix, like git
    assert mensetsu("delete", short[target], "--data-dir", str(tmp_path)).returncode == 0
    assert target not in mensetsu("history", "--json", "--data-dir", str(tmp_path)).stdout


@pytest.mark.parametrize("args, needle", [
    (("--device", "cuda"), "GPU（CUDA）が見つかりません"),
    (("--model", "no-such-model"), "モデル 'no-such-model' を知りません"),
    (("--model", "."), "model.bin がありません"),
])
def test_practice_checks_model_and_device_before_the_first_question(args, needle, tmp_path):
    answers = tmp_path / "answers"
    answers.mkdir()
    (answers / "a.wav").write_bytes(b"")   # never reached: the check comes first
    p = mensetsu("practice", *args, "--tts", "none", "--answers-from", str(answers), "--data-dir", str(tmp_path / "d"))
    assert p.returncode == 2 and needle in p.stderr and "Traceback" not in p.stderr
    assert "質問 1" not in p.stdout and not (tmp_path / "d" / "sessions").exists() or \
        not any((tmp_path / "d" / "sessions").iterdir())


def test_practice_checks_the_data_folder_before_the_first_question(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    p = mensetsu("practice", "--tts", "none", "--answers-from", str(tmp_path), "--data-dir", str(blocker / "data"))
    assert p.returncode == 2 and "保存先フォルダに書き込めません" in p.stderr and "Traceback" not in p.stderr
    assert "質問 1" not in p.stdout


def test_the_meter_and_spinner_never_draw_under_the_summary():
    """Ctrl-C while the meter is live: the summary is the last thing on the screen."""
    import io

    from rich.console import Console

    from simulator.practice.terminal import TerminalUI

    buf = io.StringIO()
    ui = TerminalUI(Console(file=buf, force_terminal=True, width=80, highlight=False))
    q = bank.questions()["jiko_pr"]
    ui.asking(q, (1, 3), None)
    assert "面接官が話しています" in buf.getvalue() or ui._status is not None
    progress = ui.recording(60)
    for t in range(5):
        progress(t * 0.1, 0.05, True)
    # Ctrl-C arrives here: no `recorded` call, straight to the summary
    ui.summary([SavedAnswer(1, q.id, q.text, "01.wav")])
    out = buf.getvalue()
    assert out.rfind("目安 60 秒") < out.rfind("今回のセッション")
    assert "質問 1/3" in out


def test_alsa_library_messages_do_not_reach_the_terminal():
    """ALSA prints its own lines ("underrun occurred", unknown PCM) on stderr unless told not to."""
    probe = ("import ctypes, ctypes.util, sys\n"
             "quiet = sys.argv[1] == 'quiet'\n"
             "if quiet:\n"
             "    from simulator.speech.capture import portaudio; portaudio()\n"
             "lib = ctypes.CDLL(ctypes.util.find_library('asound'))\n"
             "pcm = ctypes.c_void_p()\n"
             "lib.snd_pcm_open(ctypes.byref(pcm), b'no_such_pcm_device', 0, 0)\n")
    loud = subprocess.run([sys.executable, "-c", probe, "loud"], capture_output=True, text=True)
    quiet = subprocess.run([sys.executable, "-c", probe, "quiet"], capture_output=True, text=True)
    assert "ALSA lib" in loud.stderr          # the probe does make ALSA talk…
    assert "ALSA lib" not in quiet.stderr, quiet.stderr   # …and mensetsu silences it


def test_library_modules_do_not_print(monkeypatch, capsys, caplog):
    """Notices go through logging: a second front end (the web page) decides how to show them."""
    import logging

    from simulator.speech import tts

    monkeypatch.setattr(tts, "_BY_NAME", {**tts._BY_NAME, "openjtalk": _Unavailable, "pyttsx3": _Unavailable})
    with caplog.at_level(logging.INFO, logger="simulator"):
        engine = tts.make_engine("auto")
    assert engine.name == "none"
    assert capsys.readouterr() == ("", "")
    assert any("音声合成が使えない" in r.getMessage() for r in caplog.records)


class _Unavailable:
    def __init__(self):
        from simulator.speech.tts import TTSError

        raise TTSError("not here")


def test_no_print_calls_outside_the_front_ends():
    from pathlib import Path

    import simulator

    package = Path(simulator.__file__).parent
    front_ends = ("cli/", "practice/terminal.py")
    printing = [str(p.relative_to(package)) for p in package.rglob("*.py")
                if not str(p.relative_to(package)).startswith(front_ends) and "print(" in p.read_text()]
    assert printing == []
