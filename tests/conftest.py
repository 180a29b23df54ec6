"""Shared fixtures: one real model for the whole run, real audio made on the fly."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from support import DEV, RENDERED
from support.ci_guard import pytest_sessionfinish  # noqa: F401 (a hook: CI fails on a skip)


@pytest.fixture(scope="session")
def dev_truth() -> list[dict]:
    if not (DEV / "truth.json").is_file():
        pytest.fail(f"the dev eval set is missing at {DEV}")
    return json.loads((DEV / "truth.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def model_bundle():
    """The embedded base model, loaded once (2 threads, as on the target laptops)."""
    from simulator.speech.models import load_model

    return load_model("base", "cpu", "default", 2)


@pytest.fixture(scope="session")
def analyzer(model_bundle):
    from simulator.analysis.analyze import Analyzer
    from simulator.speech.asr import Transcriber

    model, info = model_bundle
    return Analyzer(Transcriber(model), info)


@pytest.fixture(scope="session")
def dev_results(analyzer, dev_truth) -> dict:
    """Every dev answer analysed once, shared by all accuracy tests."""
    return {r["file"]: analyzer.analyze_file(DEV / r["file"], r["question"]) for r in dev_truth}


@pytest.fixture(scope="session")
def dev_dir(dev_truth) -> Path:
    return DEV


@pytest.fixture(scope="session")
def rendered_truth() -> list[dict]:
    """Answers rendered by benchmarks/render_eval.py: other voices, engines and recording conditions."""
    return json.loads((RENDERED / "truth.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def rendered_results(analyzer, rendered_truth) -> dict:
    return {r["file"]: analyzer.analyze_file(RENDERED / r["file"], r["question"]) for r in rendered_truth}


# Markers follow from the fixtures a test uses, so they cannot drift from what it needs.
# `slow` (left out of the fast loop) also covers the fixtures that analyse whole answer
# sets or hold a session (a minute or more each), and is set by hand on tests of seconds.
_BY_FIXTURE = {"audio": {"evaluated", "model_bundle", "analyzer", "dev_results", "rendered_results", "dev_dir", "dev_truth"},
               "browser": {"browser"}, "pulse": {"pulse"}}
_SLOW_FIXTURES = {"evaluated", "dev_results", "rendered_results", "rooms", "replayed", "recorded_session", "store"}


def pytest_collection_modifyitems(config, items):
    for item in items:
        used = set(getattr(item, "fixturenames", ()))
        for marker, fixtures in _BY_FIXTURE.items():
            if used & fixtures:
                item.add_marker(marker)
        if used & (_BY_FIXTURE["browser"] | _BY_FIXTURE["pulse"] | _SLOW_FIXTURES):
            item.add_marker("slow")


@pytest.fixture
def pulse(tmp_path):
    """A private PulseAudio daemon: a virtual microphone and speaker (benchmarks/pulse_rig.py)."""
    from benchmarks.pulse_rig import Pulse

    if not shutil.which("pulseaudio"):
        if os.environ.get("CI"):
            pytest.fail("pulseaudio is not installed (.ci/run installs it)")
        pytest.skip("pulseaudio not installed")
    p = Pulse(tmp_path / "runtime")
    yield p
    p.close()
