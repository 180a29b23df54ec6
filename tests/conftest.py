"""Shared fixtures: one real model for the whole run, real audio made on the fly."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

ROOT = Path(__file__).resolve().parents[1]
EVAL = ROOT / "tests" / "data" / "eval"
# The dev answers live in the repository (lossless FLAC), so a plain clone runs every test.
DEV = Path(os.environ.get("MENSETSU_DEV_SET", EVAL / "dev"))


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


RENDERED = EVAL / "rendered"


@pytest.fixture(scope="session")
def rendered_truth() -> list[dict]:
    """Answers rendered by benchmarks/render_eval.py: other voices, engines and recording conditions."""
    return json.loads((RENDERED / "truth.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def rendered_results(analyzer, rendered_truth) -> dict:
    return {r["file"]: analyzer.analyze_file(RENDERED / r["file"], r["question"]) for r in rendered_truth}


def write_wav(path: Path, samples: np.ndarray, rate: int = 16000) -> Path:
    sf.write(str(path), samples.astype(np.float32), rate, subtype="PCM_16")
    return path


def as_wav(src: Path, dest: Path) -> Path:
    """A repository answer (FLAC) written as the 16 kHz WAV a recording would be."""
    from simulator.speech.audio import load_audio

    return write_wav(dest, load_audio(src))


def noise(seconds: float, dbfs: float = -55.0, rate: int = 16000, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return (rng.standard_normal(int(seconds * rate)) * 10 ** (dbfs / 20)).astype(np.float32)


class QuietUI:
    """The practice loop's UI, showing nothing; remembers which recordings were recovered."""

    def __init__(self) -> None:
        self.recovered_files: list[str] = []

    def asking(self, *a): pass
    def recording(self, target_s): return None
    def recorded(self, recording): pass
    def reaction(self, analysis): pass
    def recovered(self, audio, analysis): self.recovered_files.append(audio)
    def no_voice(self, recording): return "skip"


def pytest_sessionfinish(session, exitstatus):
    """With MENSETSU_FORBID_SKIPS=1 (.ci/run sets it) a skipped test fails the run."""
    if not os.environ.get("MENSETSU_FORBID_SKIPS"):
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter else []
    if skipped:
        reporter.write_line(f"{len(skipped)} test(s) skipped; CI requires every test to run", red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
