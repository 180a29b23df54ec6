"""Helpers shared by test modules (plain functions; fixtures live in conftest.py).

Tests import shared code from here only, never from conftest or from each other:
support.web (a server and Chromium), support.answers (saved answers from text),
support.variants (voice and room variants of an answer), support.llm_server (a local
OpenAI-style endpoint).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import soundfile as sf

from simulator.rules import bank

ROOT = Path(__file__).resolve().parents[2]
EVAL = ROOT / "tests" / "data" / "eval"
# The dev answers live in the repository (lossless FLAC), so a plain clone runs every test.
DEV = Path(os.environ.get("MENSETSU_DEV_SET", EVAL / "dev"))
RENDERED = EVAL / "rendered"
PROMPTS = ROOT / "prompts"


def edited_prompts(tmp_path: Path, name: str, old: str, new: str) -> str:
    """A copy of prompts/ in `tmp_path` whose <name>.toml has its first `old` replaced by
    `new` (a typo a user might make); returns the folder for a loader's `folder`."""
    folder = tmp_path / "prompts"
    if not folder.exists():
        shutil.copytree(PROMPTS, folder)
    text = (PROMPTS / f"{name}.toml").read_text(encoding="utf-8")
    assert old in text, old
    (folder / f"{name}.toml").write_text(text.replace(old, new, 1), encoding="utf-8")
    bank.load.cache_clear()
    return str(folder)



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
    def resumed(self): pass
    def reaction(self, analysis): pass
    def recovered(self, audio, analysis): self.recovered_files.append(audio)
    def no_voice(self, recording): return "skip"


def mensetsu(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    """`python -m simulator ARGS` as a user runs it, stdin not a terminal."""
    return subprocess.run([sys.executable, "-m", "simulator", *args], capture_output=True, text=True,
                          stdin=subprocess.DEVNULL, env={**os.environ, **(env or {})}, timeout=600)


def assert_clean_failure(p: subprocess.CompletedProcess, needle: str) -> None:
    """The command failed in one clear Japanese line holding `needle`, never a traceback."""
    assert p.returncode != 0
    assert "Traceback" not in p.stderr
    errors = [line for line in p.stderr.splitlines() if line.startswith("エラー: ")]
    assert len(errors) == 1 and needle in errors[0], p.stderr  # one clear line


def as_from_a_terminal() -> None:
    """A child's Ctrl-C as in a terminal (Popen's preexec_fn): a shell starts a background
    job with SIGINT ignored and every process under it inherits that (CI may run so), where
    the foreground process of a terminal has the default action; tests send it SIGINT."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def practice(*args: str, env: dict, data: Path) -> subprocess.Popen:
    """`mensetsu practice ARGS` running in the background, its stdout line-buffered."""
    return subprocess.Popen([sys.executable, "-m", "simulator", "practice", "--data-dir", str(data), "--threads", "2",
                             *args], env={**env, "PYTHONUNBUFFERED": "1"}, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, preexec_fn=as_from_a_terminal)


# Written as a child interpreter's sitecustomize.py: every socket connection fails and is logged.
BLOCK_NETWORK = '''
import os, socket
_log = os.environ["NET_LOG"]
def _refuse(*a, **k):
    with open(_log, "a") as f:
        f.write(repr(a[:2]) + "\\n")
    raise OSError("network blocked by test")
socket.socket.connect = _refuse
socket.socket.connect_ex = _refuse
socket.getaddrinfo = _refuse
socket.create_connection = _refuse
'''


class NotingSpeaker:
    """The speaker's interface (the hardware edge): every sound lasts `length_s` (its own
    length when None), at level 0 (no echo), unless stopped; notes each sound
    (start time, samples, rate) and when one was stopped."""

    def __init__(self, length_s: float | None = None) -> None:
        self.length_s = length_s
        self.sounds: list[tuple[float, object, int]] = []
        self.stopped: list[float] = []

    @property
    def started(self) -> list[float]:
        return [t for t, _, _ in self.sounds]

    def start(self, samples, rate):
        import time

        speaker, begun = self, time.monotonic()
        self.sounds.append((begun, samples, rate))
        length = self.length_s or len(samples) / rate

        class Sound:
            length_s, level = length, 0.0
            stopped = False

            def active(self) -> bool:
                return not self.stopped and time.monotonic() - begun < length

            def stop(self) -> None:
                if self.active():
                    speaker.stopped.append(time.monotonic())
                self.stopped = True

        return Sound()


def follow(proc: subprocess.Popen, on_line) -> list[tuple[float, str]]:
    """Read the session's stdout line by line, timestamped, calling on_line for each."""
    lines = []
    for line in proc.stdout:
        lines.append((time.monotonic(), line.rstrip("\n")))
        on_line(line)
    return lines


def latest_session(data: Path) -> dict:
    folders = sorted((data / "sessions").iterdir())
    return json.loads((folders[-1] / "session.json").read_text(encoding="utf-8")) | {"_folder": folders[-1]}
