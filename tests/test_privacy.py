"""Nothing leaves the machine, and what is stored is readable by its owner only."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys

import pytest
from support import BLOCK_NETWORK


@pytest.mark.slow
def test_a_whole_session_makes_no_connection_and_stores_private_files(dev_dir, tmp_path):
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "sitecustomize.py").write_text(BLOCK_NETWORK)
    log = tmp_path / "net.log"
    env = {**os.environ, "NET_LOG": str(log), "PYTHONUNBUFFERED": "1",
           "PYTHONPATH": os.pathsep.join([str(tmp_path / "site"), os.environ.get("PYTHONPATH", "")])}
    answers = tmp_path / "answers"
    answers.mkdir()
    for name in ("dev01_jikoshokai.flac", "dev04_tenshoku_blame.flac", "dev06_gyaku_none.flac"):
        shutil.copy(dev_dir / name, answers / name)
    data = tmp_path / "data"

    def run(*args: str) -> subprocess.CompletedProcess:
        p = subprocess.run([sys.executable, "-m", "simulator", *args, "--data-dir", str(data)], env=env,
                           capture_output=True, text=True, timeout=600, stdin=subprocess.DEVNULL)
        assert p.returncode == 0 and "Traceback" not in p.stderr, p.stderr
        return p

    run("practice", "--ids", "jikoshokai,tenshoku_riyuu,gyaku_shitsumon", "--tts", "openjtalk",
        "--answers-from", str(answers), "--threads", "2")
    run("report", "latest")
    run("history")
    run("export", "latest", "--format", "csv")
    assert not log.exists(), log.read_text()      # zero connection attempts, counted by the hook

    stored = list(data.rglob("*"))
    assert any(p.suffix == ".wav" for p in stored) and any(p.name == "report.html" for p in stored)
    assert any(p.name == "mensetsu.db" for p in stored)
    for p in [data, *stored]:
        mode = stat.S_IMODE(p.stat().st_mode)
        assert mode & 0o077 == 0, f"{p} is {oct(mode)}"
