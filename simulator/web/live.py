"""A practice session held in the browser: the page is the microphone, speaker and screen.

The same `Practice` loop as in the terminal runs on a worker thread. Four adapters,
each behind the interface the real hardware or terminal uses, connect it to the page:

- `BrowserMic` stands in for the sounddevice module behind `MicrophoneSource`: PCM
  blocks that the page's AudioWorklet sends over the WebSocket are handed to the
  stream's callback as PortAudio would, so resampling, the WAV on disk, streaming
  transcription and the end-of-turn rule are exactly the terminal's.
- `PageTyping` is an `AnswerSource` like `--answers-from` with .txt files: the answer
  is what the user typed in the page's text box (practice on a train, no microphone).
- `PageSpeaker` is a `tts.Speaker`: the interviewer's voice is synthesised by the
  server, fetched by the page as a WAV, and `play` returns when the page says it ended.
- `PageUI` is the loop's `UI`: each event becomes one JSON message to the page.

Messages from the page arrive on the event loop's thread; the worker thread waits on
threading events, and sends through `loop.call_soon_threadsafe`.
"""

from __future__ import annotations

import io
import secrets
import threading
import time
from typing import Any, Callable

import numpy as np
import soundfile as sf

from simulator.analysis.analyze import AnswerAnalysis
from simulator.errors import MensetsuError
from simulator.rules.bank import Question
from simulator.speech.capture import Recording, typed_answer
from simulator.speech.tts import loudest
from simulator.speech.voice import remark


class PageGone(KeyboardInterrupt):
    """The page pressed 終了, was closed or reloaded, or another tab took over: the loop
    ends exactly as on Ctrl-C (what was said is kept and analysed, the session saved)."""


class _Status:
    input_overflow = False


class BrowserMic:
    """The page's microphone behind sounddevice's three names (query_devices, InputStream, PortAudioError)."""

    PortAudioError = MensetsuError

    def __init__(self, rate: int) -> None:
        if not 8000 <= rate <= 192000:
            raise MensetsuError(f"マイクのサンプリング周波数が不正です: {rate}")
        self.rate = rate
        self._callback: Callable | None = None
        self._lock = threading.Lock()

    def query_devices(self, device=None, kind=None) -> dict:
        return {"name": "browser", "default_samplerate": float(self.rate), "max_input_channels": 1}

    def InputStream(self, device=None, channels=1, samplerate=None, dtype="float32", blocksize=0, callback=None):
        return _Stream(self, callback)

    def push(self, pcm: bytes) -> None:
        """One block of little-endian float32 mono samples from the page; dropped between answers."""
        with self._lock:
            callback = self._callback
        if callback is None or len(pcm) % 4:
            return
        block = np.frombuffer(pcm, dtype="<f4").astype(np.float32)
        if block.size:
            callback(np.clip(block, -1.0, 1.0).reshape(-1, 1), block.size, None, _Status())


    def hang_up(self) -> None:
        """The page has gone: one silent frame wakes the recording loop, which then ends
        as on Ctrl-C instead of waiting for blocks that will not come."""
        with self._lock:
            callback = self._callback
        if callback is not None:
            callback(np.zeros((1, 1), dtype=np.float32), 1, None, _Status())


class _Stream:
    def __init__(self, mic: BrowserMic, callback) -> None:
        self.mic, self.callback = mic, callback

    def __enter__(self) -> "_Stream":
        with self.mic._lock:
            self.mic._callback = self.callback
        return self

    def __exit__(self, *exc) -> None:
        with self.mic._lock:
            self.mic._callback = None


class PageTyping:
    """Typed answers from the page's text box, behind the interface of capture's sources."""

    live = False   # no audio: nothing to stream, no end of turn to detect
    heard_over_playback = False

    def __init__(self, channel: Channel, max_chars: int = 5000) -> None:
        self.channel, self.max_chars = channel, max_chars

    def record(self, dest, target_s: float, on_progress=None, on_audio=None, words=None,
               question_type=None, listener=None) -> Recording:
        if on_progress:
            on_progress(0.0, 0.0, False)   # the page is told to show the text box
        text = self.channel.wait("typed", 3600.0)   # PageGone when the page leaves
        return typed_answer(dest, str(text or "")[:self.max_chars])


class Channel:
    """The worker thread's side of the WebSocket: send JSON, wait for the page's replies."""

    def __init__(self, send: Callable[[dict], None]) -> None:
        self._send = send
        self._replies: dict[str, Any] = {}
        self._arrived = threading.Condition()
        self.closed = threading.Event()       # the page went away: nothing more can reach it
        self.quitting = threading.Event()     # the page pressed 終了: the loop ends, the page hears how
        self.stop_answer = threading.Event()  # the page's 回答を終える button (the terminal's Enter)
        self.mic: BrowserMic | None = None    # the page's microphone, for a spoken interview

    def send(self, message: dict) -> None:
        if not self.closed.is_set():
            self._send(message)

    def reply(self, key: str, value: Any) -> None:
        """Called on the event loop's thread when the page answers `key`."""
        with self._arrived:
            self._replies[key] = value
            self._arrived.notify_all()

    def close(self) -> None:
        self.closed.set()
        self.quit()

    def quit(self) -> None:
        self.quitting.set()
        with self._arrived:
            self._arrived.notify_all()

    def arrived(self, key: str) -> bool:
        """Whether the page has answered `key` (taking the answer); never waits."""
        with self._arrived:
            return self._replies.pop(key, None) is not None or key in self._replies

    def wait(self, key: str, timeout_s: float) -> Any:
        """The page's reply to `key`, None after `timeout_s`; PageGone once the page quit or went."""
        with self._arrived:
            self._arrived.wait_for(lambda: key in self._replies or self.quitting.is_set(), timeout_s)
            if self.quitting.is_set():
                raise PageGone()
            return self._replies.pop(key, None)


class PageSpeaker:
    """Plays the interviewer's voice in the page; `clips` is where the server serves it from."""

    def __init__(self, channel: Channel, clips: dict[str, bytes]) -> None:
        self.channel, self.clips = channel, clips

    def _send(self, samples: np.ndarray, rate: int) -> str:
        buf = io.BytesIO()
        sf.write(buf, samples, rate, format="WAV", subtype="PCM_16")
        clip = secrets.token_hex(8)
        self.clips[clip] = buf.getvalue()
        # the page's media player may ask for a clip again after it ended: keep the last few
        for old in list(self.clips)[:-4]:
            self.clips.pop(old, None)
        self.channel.send({"type": "speak", "clip": clip})
        return clip

    def start(self, samples: np.ndarray, rate: int) -> "PagePlayback":
        return PagePlayback(self.channel, self._send(samples, rate), len(samples) / rate, loudest(samples, rate))


class PagePlayback:
    """A sound the page is playing (tts.Playback): it says when it ended, and hushes it on request."""

    def __init__(self, channel: Channel, clip: str, length_s: float, level: float) -> None:
        self.channel, self.clip, self.length_s, self.level = channel, clip, length_s, level
        # a page whose audio cannot play (autoplay refused) still goes on after the clip's length
        self._until = time.monotonic() + length_s + 5.0
        self._done = False

    def active(self) -> bool:
        self._done = self._done or self.channel.arrived(f"played:{self.clip}") or time.monotonic() > self._until
        return not self._done

    def stop(self) -> None:
        if self.active():
            self.channel.send({"type": "hush", "clip": self.clip})
        self._done = True


def reaction_of(analysis: AnswerAnalysis, question: str, voice_rules: dict, labels: dict,
                shown: set[str] | None = None) -> dict:
    """What the terminal prints after an answer, in plain words for the page. Advice
    already in `shown` (earlier cards of this interview) is not repeated word for word."""
    d, c, words = analysis.delivery, analysis.content, labels["reaction"]
    issues = [labels["issues"].get(i, i) for i in c.issue_ids]
    lines = []
    if d:   # a typed answer has no delivery to show
        lines.append(words["length"].format(speech_s=round(d.speech_s), target_s=round(d.target_s)))
        if d.mora_per_min:
            lines.append(words["pace"].format(mora_per_min=round(d.mora_per_min),
                                              verdict=labels["pace_verdict"].get(d.pace_verdict, "")))
        lines.append(words["fillers"].format(count=len(d.fillers)) if d.fillers else words["no_fillers"])
        if analysis.voice:
            lines.append(words["voice"].format(remark=remark(analysis.voice, voice_rules)))
    if issues:
        lines.append(words["issues"].format(issues="、".join(issues)))
    shown = set() if shown is None else shown
    advice = [a for a in analysis.review.advice if a not in shown][:2]
    if not advice and analysis.review.advice and issues:
        advice = [words["again"].format(issues="、".join(issues[:2]))]
    shown.update(analysis.review.advice)
    return {"question": question, "transcript": analysis.transcript.marked_text(), "lines": lines,
            "fillers": [f.canonical for f in d.fillers] if d else [], "issues": issues, "advice": advice,
            "followup": analysis.review.followup.question.text if analysis.review.followup else None}


class PageUI:
    """The practice loop's UI as messages to the page."""

    def __init__(self, channel: Channel, voice_rules: dict, labels: dict) -> None:
        self.channel, self.voice_rules, self.labels = channel, voice_rules, labels
        self.question = ""
        self.advised: set[str] = set()   # advice on earlier cards of this interview

    def asking(self, question: Question, main: tuple[int, int], followup_reason: str | None) -> None:
        self.question = question.text
        self.channel.send({"type": "asking", "text": question.text, "n": main[0], "total": main[1],
                           "followup": followup_reason is not None, "reason": followup_reason})

    def recording(self, target_s: float) -> Callable[[float, float, bool], None]:
        self.channel.stop_answer.clear()
        self.channel.send({"type": "recording", "target_s": target_s})
        last = [-1.0]

        def progress(position_s: float, rms: float, speaking: bool) -> None:
            if self.channel.quitting.is_set():
                raise PageGone()   # the loop keeps what was said, as on Ctrl-C
            if position_s - last[0] >= 0.1:
                last[0] = position_s
                self.channel.send({"type": "level", "t": round(position_s, 1), "rms": round(rms, 4),
                                   "speaking": speaking})

        return progress

    def resumed(self) -> None:
        self.channel.send({"type": "resumed"})

    def recorded(self, recording: Recording) -> None:
        self.channel.send({"type": "recorded", "ended_by": recording.ended_by,
                           "duration_s": round(recording.duration_s, 1)})

    def reaction(self, analysis: AnswerAnalysis) -> None:
        self.channel.send({"type": "reaction", **reaction_of(analysis, self.question, self.voice_rules, self.labels,
                                                             self.advised)})

    def recovered(self, audio: str, analysis: AnswerAnalysis | None) -> None:
        self.channel.send({"type": "recovered", "audio": audio})

    def no_voice(self, recording: Recording) -> str:
        self.channel.send({"type": "no_voice", "no_input": recording.no_input})
        return self.channel.wait("choice", 120.0) or "skip"
