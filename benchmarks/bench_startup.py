"""Time from launching `mensetsu practice` to the first question being heard (Linux).

    python benchmarks/bench_startup.py [--runs 3] [--tts openjtalk]

Starts the test suite's private PulseAudio daemon (tests/test_practice.py: a null-sink
speaker whose monitor is recorded here, block by block on the clock), launches
`mensetsu practice` with one answer file, and reports when the question text was
printed and when its first sound reached the speaker. The first run synthesises the
question (the voice cache is cleared); later runs are what a user sees on a second
start. The model must already be assembled (any earlier run does that).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from pulse_rig import Pulse  # noqa: E402
from support import practice  # noqa: E402

from simulator.paths import cache_dir  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--tts", default="openjtalk")
    a = ap.parse_args()
    tmp = Path(tempfile.mkdtemp())
    answers = tmp / "answers"
    answers.mkdir()
    dev = ROOT / "tests" / "data" / "eval" / "dev" / "dev06_gyaku_none.flac"
    shutil.copy(dev, answers / "a.flac")
    shutil.rmtree(cache_dir() / "tts", ignore_errors=True)
    pulse = Pulse(tmp / "runtime")
    try:
        os.environ.update(pulse.env, PULSE_SOURCE="speaker.monitor")
        import sounddevice as sd

        heard: list[float] = []

        def callback(indata, frames, time_info, status):
            if not heard and float(np.abs(indata).max()) > 0.01:
                heard.append(time.monotonic())

        sounds = []
        with sd.InputStream(device="pulse", channels=1, samplerate=44100, blocksize=441, callback=callback):
            time.sleep(1.0)
            for run in range(a.runs):
                heard.clear()
                launched = time.monotonic()
                proc = practice("--ids", "jikoshokai", "--tts", a.tts, "--answers-from", str(answers),
                                env=pulse.env, data=tmp / "data")
                printed = None
                for line in proc.stdout:
                    if printed is None and line.startswith("質問"):
                        printed = time.monotonic() - launched
                proc.wait()
                sound = heard[0] - launched if heard else float("nan")
                sounds.append(sound)
                print(f"run {run + 1}{' (voice not cached)' if run == 0 else ''}: question printed {printed:.2f} s, "
                      f"first sound {sound:.2f} s after launch", flush=True)
    finally:
        pulse.close()
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"launch to first question heard: max {max(sounds):.2f} s over {len(sounds)} runs")


if __name__ == "__main__":
    main()
