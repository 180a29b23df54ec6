"""Faults at every stage: nothing already said is lost, the database stays consistent,
and `practice --resume`, `report` and `reindex` recover. Real model, real files, real
SQLite; the microphone is replay.ReplayDevice behind the real MicrophoneSource."""

from __future__ import annotations

import errno
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from support import QuietUI, assert_clean_failure, mensetsu, practice

from simulator.practice.session import Practice
from simulator.rules.bank import questions
from simulator.speech.audio import load_audio
from simulator.speech.capture import (
    CaptureError,
    FileSource,
    MicrophoneSource,
    WavAppender,
)
from simulator.speech.replay import ReplayDevice
from simulator.speech.tts import SilentEngine, Voice
from simulator.store import storage
from simulator.store.storage import Store


def answers_dir(path: Path, *files: Path) -> Path:
    path.mkdir()
    for n, f in enumerate(files):
        shutil.copy(f, path / f"{n:02d}_{f.name}")
    return path


def the_session(data: Path) -> tuple[Path, dict]:
    [folder] = list((data / "sessions").iterdir())
    return folder, json.loads((folder / "session.json").read_text(encoding="utf-8"))


def db_rows(data: Path) -> tuple[int, int]:
    with sqlite3.connect(data / "mensetsu.db") as con:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        return (con.execute("SELECT COUNT(*) FROM sessions").fetchone()[0],
                con.execute("SELECT COUNT(*) FROM answers").fetchone()[0])


def run_killed(script: str, *args: str) -> int:
    """Run `script` in a fresh interpreter that SIGKILLs itself where the script says."""
    return subprocess.run([sys.executable, "-c", script, *args], capture_output=True, timeout=300).returncode


@pytest.mark.slow
def test_kill_during_transcription_then_resume_report_and_reindex(dev_dir, tmp_path):
    data = tmp_path / "data"
    first = answers_dir(tmp_path / "a", dev_dir / "dev04_tenshoku_blame.flac")
    proc = practice("--ids", "tenshoku_riyuu,gyaku_shitsumon", "--tts", "none", "--answers-from", str(first),
                    env=dict(os.environ), data=data)
    for line in proc.stdout:
        if line.startswith("録音終了"):
            break
    time.sleep(0.3)                      # the model is loading or the answer is being transcribed
    proc.kill()
    assert proc.wait(10) == -9
    folder, meta = the_session(data)
    assert meta["answers"] == []         # killed before the analysis was saved ...
    audio = load_audio(folder / "01_tenshoku_riyuu.wav")
    assert abs(len(audio) / 16000 - 20.7) < 0.2   # ... but the whole answer is on disk
    assert db_rows(data) == (1, 0)
    assert mensetsu("report", "latest", "--data-dir", str(data)).returncode == 0

    second = answers_dir(tmp_path / "b", dev_dir / "dev06_gyaku_none.flac")
    resumed = practice("--resume", "--tts", "none", "--answers-from", str(second), env=dict(os.environ), data=data)
    out, err = resumed.communicate(timeout=300)
    assert resumed.returncode == 0 and "Traceback" not in err, err
    assert "前回の録音 01_tenshoku_riyuu.wav を分析しました" in out
    _, meta = the_session(data)
    first_answer = meta["answers"][0]
    assert first_answer["recording"]["ended_by"] == "recovered" and first_answer["question_id"] == "tenshoku_riyuu"
    assert "blame" in first_answer["content"]["issues"] and first_answer["filler_count"] >= 5
    assert [a["question_id"] for a in meta["answers"][1:2]] == ["gyaku_shitsumon"]
    assert meta["resumed_at"] and meta["ended_at"]
    assert db_rows(data) == (1, len(meta["answers"]))
    report = mensetsu("report", "latest", "--data-dir", str(data))
    assert report.returncode == 0 and "前回" not in report.stderr
    assert mensetsu("reindex", "--data-dir", str(data)).returncode == 0
    assert db_rows(data) == (1, len(meta["answers"]))


@pytest.fixture
def one_session(dev_dir, tmp_path) -> Path:
    data = tmp_path / "data"
    answers = answers_dir(tmp_path / "a", dev_dir / "dev06_gyaku_none.flac")
    p = practice("--ids", "gyaku_shitsumon", "--followups", "0", "--tts", "none", "--answers-from", str(answers),
                 env=dict(os.environ), data=data)
    assert p.wait(300) == 0, p.stderr.read()
    return data


KILL_IN_REPORT = """
import os, signal, sys
os.replace = lambda *a: os.kill(os.getpid(), signal.SIGKILL)   # just before the report would appear
from simulator.cli import main
main(["report", "latest", "--data-dir", sys.argv[1]])
"""


@pytest.mark.slow
def test_kill_while_writing_the_report_keeps_the_old_one(one_session):
    data = one_session
    assert mensetsu("report", "latest", "--data-dir", str(data)).returncode == 0
    folder, _ = the_session(data)
    before = (folder / "report.html").read_bytes()
    assert run_killed(KILL_IN_REPORT, str(data)) == -9
    assert (folder / "report.html").read_bytes() == before       # never half a report
    again = mensetsu("report", "latest", "--data-dir", str(data))
    assert again.returncode == 0 and "<html" in (folder / "report.html").read_text(encoding="utf-8")


KILL_IN_DB_WRITE = """
import os, signal, sys
from simulator.store import storage
store = storage.Store(sys.argv[1])
session = store.reopen(next((store.sessions_dir).iterdir()))
from simulator.judge.content import ContentAnalysis
ContentAnalysis.score = property(lambda self: os.kill(os.getpid(), signal.SIGKILL))  # inside the index transaction
from dataclasses import replace
store.add_answer(session, replace(session.answers[0], idx=2))
"""


@pytest.mark.slow
def test_kill_during_a_database_write_rolls_back_and_reindex_restores(one_session):
    data = one_session
    assert db_rows(data) == (1, 1)
    assert run_killed(KILL_IN_DB_WRITE, str(data)) == -9
    _, meta = the_session(data)
    assert len(meta["answers"]) == 2       # the folder (the truth) was written first
    assert db_rows(data) == (1, 1)         # the index is the consistent state before the write
    assert mensetsu("history", "--data-dir", str(data)).returncode == 0
    assert mensetsu("reindex", "--data-dir", str(data)).returncode == 0
    assert db_rows(data) == (1, 2)


def _practice(data: Path, source, analyzer) -> tuple[Practice, QuietUI]:
    ui = QuietUI()
    return Practice(Store(data), Voice(SilentEngine(), None), source, lambda: analyzer, ui, max_followups=0), ui


@pytest.mark.slow
def test_disk_full_while_recording_keeps_the_audio_and_resume_recovers(analyzer, dev_dir, tmp_path, monkeypatch):
    data = tmp_path / "data"
    device = ReplayDevice()
    device.load(load_audio(dev_dir / "dev04_tenshoku_blame.flac"))
    mic = MicrophoneSource(None, backend=device, stop=device.finished)
    full = {"after": 40}   # blocks of 0.1 s that still fit on the disk

    def append(self, samples, _real=WavAppender.append):
        full["after"] -= 1
        if full["after"] < 0:
            raise OSError(errno.ENOSPC, "No space left on device")
        _real(self, samples)

    def write_json(path, data, _real=storage.write_json):
        if full["after"] < 0:
            raise OSError(errno.ENOSPC, "No space left on device")
        _real(path, data)

    monkeypatch.setattr(WavAppender, "append", append)
    monkeypatch.setattr(storage, "write_json", write_json)
    practice_run, _ = _practice(data, mic, analyzer)
    with pytest.raises(OSError) as err:
        practice_run.run([questions()["tenshoku_riyuu"]], {"track": "tenshoku"})
    assert err.value.errno == errno.ENOSPC
    folder, meta = the_session(data)
    kept = load_audio(folder / "01_tenshoku_riyuu.wav")
    assert 3.5 < len(kept) / 16000 < 4.5          # everything written before the disk filled
    assert meta["answers"] == [] and db_rows(data) == (1, 0)

    monkeypatch.undo()                             # space freed
    resumed, ui = _practice(data, FileSource(answers_dir(tmp_path / "b", dev_dir / "dev06_gyaku_none.flac")),
                            analyzer)
    resumed.run([questions()["tenshoku_riyuu"]], {}, resume=Store(data).reopen(folder))
    assert ui.recovered_files == ["01_tenshoku_riyuu.wav"]
    _, meta = the_session(data)
    assert meta["answers"][0]["recording"]["ended_by"] == "recovered" and "転職" in meta["answers"][0]["transcript"]
    assert db_rows(data) == (1, 1)


def test_disk_full_gives_one_line_and_exit_code(dev_dir, tmp_path, monkeypatch, capsys):
    from simulator.cli import main

    def full(*a):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(storage, "write_json", full)
    answers = answers_dir(tmp_path / "a", dev_dir / "dev06_gyaku_none.flac")
    code = main(["practice", "--ids", "gyaku_shitsumon", "--tts", "none", "--answers-from", str(answers),
                 "--data-dir", str(tmp_path / "data")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 1 and len(err) == 1 and "ディスクの空き" in err[0]


@pytest.mark.slow
def test_microphone_unplugged_mid_answer(analyzer, dev_dir, tmp_path):
    data = tmp_path / "data"
    device = ReplayDevice()
    device.load(load_audio(dev_dir / "dev04_tenshoku_blame.flac"), unplug_after_s=5.0)
    run, _ = _practice(data, MicrophoneSource(None, backend=device, stop=device.finished), analyzer)
    with pytest.raises(CaptureError, match="外れた"):
        run.run([questions()["tenshoku_riyuu"], questions()["gyaku_shitsumon"]], {"track": "tenshoku"})
    folder, meta = the_session(data)
    [answer] = meta["answers"]
    assert answer["recording"]["ended_by"] == "interrupted" and meta["interrupted"] is False and meta["ended_at"]
    assert 4.5 < len(load_audio(folder / answer["audio"])) / 16000 < 5.5
    assert db_rows(data) == (1, 1)

    resumed, _ = _practice(data, FileSource(answers_dir(tmp_path / "b", dev_dir / "dev04_tenshoku_blame.flac",
                                                        dev_dir / "dev06_gyaku_none.flac")), analyzer)
    resumed.run([questions()["tenshoku_riyuu"], questions()["gyaku_shitsumon"]], {},
                resume=Store(data).reopen(folder))
    _, meta = the_session(data)
    assert [a["question_id"] for a in meta["answers"]] == ["tenshoku_riyuu", "tenshoku_riyuu", "gyaku_shitsumon"]
    assert [a["idx"] for a in meta["answers"]] == [1, 2, 3]
    assert db_rows(data) == (1, 3)


def test_resuming_a_damaged_session_fails_in_one_line(tmp_path):
    folder = tmp_path / "data" / "sessions" / "20260101-000000-abcd"
    folder.mkdir(parents=True)
    (folder / "session.json").write_text("{cut here", encoding="utf-8")
    p = mensetsu("practice", "--resume", "--tts", "none", "--answers-from", str(tmp_path),
                 "--data-dir", str(tmp_path / "data"))
    assert_clean_failure(p, "壊れていて読めません")
