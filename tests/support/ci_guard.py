"""The CI guard, a pytest hook: with MENSETSU_FORBID_SKIPS=1 (.ci/run sets it) a skip fails the run."""

from __future__ import annotations

import os

import pytest


def pytest_sessionfinish(session, exitstatus):
    """With MENSETSU_FORBID_SKIPS=1 (.ci/run sets it) a skipped test fails the run."""
    if not os.environ.get("MENSETSU_FORBID_SKIPS"):
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter else []
    if skipped:
        reporter.write_line(f"{len(skipped)} test(s) skipped; CI requires every test to run", red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
