"""The CI guard: a skipped test fails the run when MENSETSU_FORBID_SKIPS is set."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _run(tmp_path, forbid: bool) -> int:
    (tmp_path / "test_one_skip.py").write_text(
        "import pytest\n\ndef test_skips():\n    pytest.skip('no device')\n", encoding="utf-8")
    (tmp_path / "conftest.py").write_text("from support.ci_guard import pytest_sessionfinish\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "MENSETSU_FORBID_SKIPS"} | {"PYTHONPATH": str(ROOT / "tests")}
    if forbid:
        env["MENSETSU_FORBID_SKIPS"] = "1"
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)],
                          cwd=tmp_path, env=env, capture_output=True).returncode


@pytest.mark.slow
def test_a_skip_fails_the_run_only_under_the_guard(tmp_path):
    assert _run(tmp_path, forbid=False) == 0
    assert _run(tmp_path, forbid=True) == 1
