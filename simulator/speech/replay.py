"""A microphone that speaks recorded answers, for benchmarks and tests.

`ReplayDevice` stands in for the sounddevice module behind `MicrophoneSource`: it
delivers a clip at 48 kHz in 100 ms blocks on PortAudio's schedule (each block when
its last sample would have been spoken), then silence, as a real microphone does. So
everything after the sound card — resampling, the WAV on disk, endpointing and
transcribing while recording — runs exactly as in practice, in real time.
"""

from __future__ import annotations

import threading
import time

import numpy as np

from simulator.errors import MensetsuError
from simulator.speech.audio import SAMPLE_RATE


class ReplayError(MensetsuError):
    pass


class ReplayDevice:
    """Plays one clip per `InputStream`; `finished()` is the user pressing Enter at its end."""

    PortAudioError = ReplayError

    def __init__(self, rate: int = 48000) -> None:
        self.rate = rate
        self._clip = np.zeros(0, np.float32)
        self._unplug_after: int | None = None
        self._done = threading.Event()
        self.started_at = 0.0   # time.monotonic() when the clip started

    def load(self, samples: np.ndarray, unplug_after_s: float | None = None) -> None:
        """The next answer to speak, as 16 kHz mono; `unplug_after_s` stops delivering
        blocks from then on, as a USB microphone pulled out does."""
        import soxr

        self._clip = soxr.resample(samples, SAMPLE_RATE, self.rate).astype(np.float32)
        self._unplug_after = None if unplug_after_s is None else int(unplug_after_s * self.rate)
        self._done.clear()

    def finished(self) -> bool:
        return self._done.is_set()

    def query_devices(self, device=None, kind=None) -> dict:
        return {"name": "replay", "default_samplerate": float(self.rate), "max_input_channels": 1}

    def InputStream(self, device=None, channels=1, samplerate=None, dtype="float32", blocksize=0, callback=None):
        return _Stream(self, blocksize or self.rate // 10, callback)


class _Status:
    input_overflow = False


class _Stream:
    def __init__(self, device: ReplayDevice, blocksize: int, callback) -> None:
        self.device, self.blocksize, self.callback = device, blocksize, callback
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._play, name="replay", daemon=True)

    def __enter__(self) -> "_Stream":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    def _play(self) -> None:
        dev, n = self.device, self.blocksize
        clip = dev._clip
        start = time.monotonic()
        dev.started_at = start
        k = 0
        while not self._stop.is_set():
            due = start + (k + 1) * n / dev.rate
            time.sleep(max(0.0, due - time.monotonic()))
            unplugged = dev._unplug_after is not None and k * n >= dev._unplug_after
            if not unplugged:
                block = clip[k * n:(k + 1) * n]
                if len(block) < n:
                    block = np.pad(block, (0, n - len(block)))
                self.callback(block.reshape(-1, 1), n, None, _Status())
                if (k + 1) * n >= len(clip):
                    dev._done.set()
            k += 1
