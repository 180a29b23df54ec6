"""The code has no undefined or unused names and its imports are sorted (ruff, configured
in pyproject.toml): what moving a function between layers most often leaves behind."""

import subprocess
import sys

from support import ROOT


def test_ruff_finds_nothing():
    p = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", "simulator", "tests", "benchmarks"],
                       cwd=ROOT, capture_output=True, text=True)
    assert p.returncode == 0, p.stdout + p.stderr
