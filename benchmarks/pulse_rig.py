"""A private PulseAudio daemon that gives sounddevice a virtual microphone and speaker.

Shared by the end-to-end tests and benchmarks/bench_turns.py. Sink `speaker` is the
default output; source `mic` (the default input) is what is played into `micsink`.
Sink `probe` records both sides on one clock: its left channel hears the microphone,
its right channel the speaker, so gaps between them are measured without two streams'
start-up offsets.
"""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path


class Pulse:
    def __init__(self, runtime: Path) -> None:
        self.env = {**os.environ, "XDG_RUNTIME_DIR": str(runtime), "PULSE_RUNTIME_PATH": str(runtime / "pulse")}
        runtime.mkdir(mode=0o700, parents=True, exist_ok=True)
        modules = ["module-native-protocol-unix", "module-null-sink sink_name=speaker",
                   "module-null-sink sink_name=micsink", "module-remap-source source_name=mic master=micsink.monitor"]
        args = ["pulseaudio", "-n", "--daemonize=no", "--exit-idle-time=-1", "--disallow-exit", "--log-target=stderr"]
        args += [f"--load={m}" for m in modules]
        self.proc = subprocess.Popen(args, env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(100):
            if subprocess.run(["pactl", "info"], env=self.env, capture_output=True).returncode == 0:
                break
            time.sleep(0.1)
        else:
            self.close()
            raise RuntimeError("pulseaudio did not start")
        self.pactl("set-default-sink", "speaker")
        self.pactl("set-default-source", "mic")
        # A null sink nobody listens to buffers up to 2 s, so a sound "ends" 2 s after its
        # last sample; a real speaker plays it within tens of milliseconds. A listener
        # asking for 20 ms holds the speaker's latency there.
        self.pactl("load-module", "module-null-sink", "sink_name=ear")
        self.pactl("load-module", "module-loopback", "source=speaker.monitor", "sink=ear", "latency_msec=20",
                   "source_dont_move=true", "sink_dont_move=true")

    def pactl(self, *args: str) -> None:
        subprocess.run(["pactl", *args], env=self.env, check=True, capture_output=True)

    def play_into_mic(self, wav: Path) -> int:
        return subprocess.run(["paplay", "--device=micsink", str(wav)], env=self.env, capture_output=True).returncode

    def play_into_mic_async(self, wav: Path) -> subprocess.Popen:
        return subprocess.Popen(["paplay", "--device=micsink", str(wav)], env=self.env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def record_speaker(self, out: Path) -> subprocess.Popen:
        return subprocess.Popen(["parecord", "--device=speaker.monitor", "--rate=16000", "--channels=1",
                                 "--file-format=wav", str(out)], env=self.env)

    def echo_into_mic(self, volume: float) -> None:
        """The room: what the speaker plays reaches the microphone too, at `volume` of its
        amplitude (0.25: 12 dB down, a speaker at arm's length) and 30 ms later."""
        index = subprocess.run(["pactl", "load-module", "module-loopback", "source=speaker.monitor", "sink=micsink",
                                "latency_msec=30", "source_dont_move=true", "sink_dont_move=true"],
                               env=self.env, check=True, capture_output=True, text=True).stdout.strip()
        for _ in range(50):
            listing = subprocess.run(["pactl", "list", "sink-inputs"], env=self.env, check=True,
                                     capture_output=True, text=True).stdout
            mine = [block.split()[0] for block in listing.split("Sink Input #")[1:]
                    if f"Owner Module: {index}\n" in block]
            if mine:
                # PulseAudio volumes are cubic: amplitude = (v / 65536) ** 3
                self.pactl("set-sink-input-volume", mine[0], str(round(65536 * volume ** (1 / 3))))
                return
            time.sleep(0.1)
        raise RuntimeError("the loopback did not start")

    def record_both(self, out: Path) -> subprocess.Popen:
        """Stereo WAV: left = microphone, right = speaker, one stream and one clock."""
        self.pactl("load-module", "module-null-sink", "sink_name=probe", "channels=2", "channel_map=front-left,front-right")
        for name, source, channel in (("probe_mic", "micsink.monitor", "front-left"),
                                      ("probe_speaker", "speaker.monitor", "front-right")):
            self.pactl("load-module", "module-remap-sink", f"sink_name={name}", "master=probe", "channels=1",
                       f"master_channel_map={channel}", "channel_map=mono", "remix=no")
            self.pactl("load-module", "module-loopback", f"source={source}", f"sink={name}", "latency_msec=20",
                       "source_dont_move=true", "sink_dont_move=true")
        return subprocess.Popen(["parecord", "--device=probe.monitor", "--rate=16000", "--channels=2",
                                 "--file-format=wav", str(out)], env=self.env)

    def close(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
