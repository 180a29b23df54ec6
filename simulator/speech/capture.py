"""Recording an answer: microphone or files, one interface, written to disk as it comes.

The microphone is opened at its native rate (PortAudio devices distort badly when asked
for 16 kHz) and resampled with soxr; every block is appended to a 16 kHz WAV whose
header is rewritten each time (stdlib `wave`), so a crash or a kill keeps all that was
said. The answer ends when the end-of-turn rule (turn.py) says so, or after a fixed silence
(`--silence`), on Enter, or at a hard cap.
"""

from __future__ import annotations

import logging
import os
import queue
import select
import sys
import threading
import time
import wave
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Callable, Protocol

import numpy as np

from simulator.errors import MensetsuError
from simulator.paths import open_private
from simulator.speech.audio import (
    SAMPLE_RATE,
    VAD_WINDOW,
    VoiceDoubt,
    load_audio,
    speech_regions,
    vad_gain,
    window_levels_db,
)
from simulator.speech.turn import (
    MODEL_WINDOW_S,
    RAMBLING,
    AnswerTurn,
    SmartTurn,
    TurnDecision,
    Words,
)
from simulator.speech.turn import rules as turn_rules

log = logging.getLogger(__name__)

_MIN_SPEECH_S = 0.3         # speech needed before silence can end the answer
_MIN_RUN = 5                # speech windows (0.16 s, about a mora) among the last _RECENT that make a burst
_RECENT = 10                # 0.32 s
_JOIN_S = 0.5               # a gap this short is inside speech (a closure, a breath), not a pause
# From a word's first sound to its burst being sure: a block (0.1 s) reaches the loop,
# _MIN_RUN of the last _RECENT windows must be speech, and Silero's onset lags a window or two.
_CONFIRM_S = 0.45
_ONSET_LAG_S = 0.15         # where a burst is found to begin lags the word's first sound by up to this


class CaptureError(MensetsuError):
    """No usable microphone or audio system; the message says what to do."""


# PortAudio's stream calls are not thread-safe, and streams are opened and closed on three
# threads here (the recording loop, the listener after the turn, the interviewer's
# player): opening the acknowledgement's output while the listener closed the input
# failed on ALSA with "Illegal combination of I/O devices".
STREAMS = threading.Lock()


def portaudio():
    """Import sounddevice, turning a missing PortAudio into a message a user can act on."""
    try:
        import sounddevice
    except (OSError, ImportError):  # sounddevice raises OSError when libportaudio is absent
        raise CaptureError(
            "PortAudio が見つかりません。Debian/Ubuntu では `sudo apt install libportaudio2`、"
            "Fedora では `sudo dnf install portaudio` で入れてください。"
            "マイクを使わずに練習するには --answers-from DIR で録音済みの音声を指定できます") from None
    _quiet_alsa()
    return sounddevice


_ALSA_HANDLER = None  # kept alive: ALSA calls it for as long as the process runs


def _quiet_alsa() -> None:
    """Stop ALSA's library from writing its own lines ("underrun occurred", unknown PCM
    cards) into the practice screen; PortAudio still reports real errors to us."""
    global _ALSA_HANDLER
    if _ALSA_HANDLER is not None or not sys.platform.startswith("linux"):
        return
    import ctypes
    import ctypes.util

    name = ctypes.util.find_library("asound")
    if not name:
        return
    try:
        lib = ctypes.CDLL(name)
    except OSError:
        return
    handler_type = ctypes.CFUNCTYPE(None, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_int,
                                    ctypes.c_char_p)
    _ALSA_HANDLER = handler_type(lambda *args: None)
    lib.snd_lib_error_set_handler(_ALSA_HANDLER)


class EndedBy(StrEnum):
    """How an answer's recording ended (saved in session.json as the plain string)."""

    SILENCE = "silence"          # the end-of-turn rule (or --silence) heard the answer end
    ENTER = "enter"              # Enter, or 「回答を終える」 in the browser
    CAP = "cap"                  # the one-answer limit (--max-seconds)
    FILE = "file"                # an answer file (--answers-from)
    INTERRUPTED = "interrupted"  # Ctrl-C, a lost device or a closed page
    NO_VOICE = "no_voice"        # nothing heard within the first seconds
    RECOVERED = "recovered"      # a recording found on disk by --resume
    TYPED = "typed"              # a typed answer (.txt or the page's text box): no audio


@dataclass(frozen=True)
class Recording:
    """One answer as captured: where it is on disk and how it ended."""

    path: Path
    samples: np.ndarray          # 16 kHz mono float32
    ended_by: EndedBy
    speech_end_s: float | None   # end of the last speech heard (microphone only)
    stopped_s: float             # when recording stopped, seconds from its start
    turn: TurnDecision | None = None   # why the last pause ended the answer (end-of-turn rule)
    typed: str | None = None           # a typed answer (a .txt file): the text, and no audio
    aizuchi: tuple[float, ...] = ()    # where the interviewer said a listening sound (s of this audio)
    barge_ins: tuple[float, ...] = ()  # each one the candidate spoke over: seconds from their voice to its stop

    @property
    def duration_s(self) -> float:
        return len(self.samples) / SAMPLE_RATE

    def turn_facts(self) -> dict | None:
        """How the turn went, for session.json: the end-of-turn decision, where the
        interviewer said 相槌 and how fast it stopped when spoken over."""
        facts = self.turn.to_dict() if self.turn is not None else {}
        if self.aizuchi or self.barge_ins:
            facts |= {"aizuchi_at": [round(t, 2) for t in self.aizuchi],
                      "barge_in_s": [round(t, 2) for t in self.barge_ins]}
        return facts or None

    @property
    def acknowledged(self) -> bool:
        """Whether the interviewer said a 相槌 after the last speech: it acknowledged the answer."""
        return self.speech_end_s is not None and any(t >= self.speech_end_s for t in self.aizuchi)

    @property
    def no_input(self) -> bool:
        """Nothing at all arrived (peak under −60 dBFS): a muted or wrong input, not a soft voice."""
        return not self.samples.size or float(np.abs(self.samples).max()) < 10 ** (-60 / 20)


class AnswerSource(Protocol):
    live: bool  # audio arrives in real time, so it is worth transcribing while it comes

    @property
    def heard_over_playback(self) -> bool:
        """Whether a candidate speaking at an ordinary level is heard over the interviewer
        (a live source whose echo gate has learned the room)."""

    def record(self, dest: Path, target_s: float, on_progress: Callable[[float, float, bool], None] | None = None,
               on_audio: Callable[[np.ndarray], None] | None = None, words: Words | None = None,
               question_type: str | None = None, listener: Listener | None = None) -> Recording | None:
        """Capture one answer into `dest` (a .wav); None when there is nothing more to answer.

        `on_audio` receives every 16 kHz block as soon as it is on disk; `words` is the
        streamed transcript, which the end-of-turn rule reads with the question's type
        (what ends an answer depends on what was asked); `listener` is the interviewer
        (相槌, echo, barge-in). A live source keeps hearing after the end of the turn
        until `resume`.
        """

    def went_on(self, until: float = 0.0) -> bool:
        """Live sources, after `record`: whether the candidate went on speaking after the
        end of the turn, while the interviewer replied, waiting for it until `until`
        (time.monotonic()). If not, the microphone is let go."""

    def resume(self, on_audio: Callable[[np.ndarray], None] | None = None,
               words: Words | None = None) -> Recording:
        """Live sources, once `went_on`: the same answer recorded on to its new end;
        `on_audio` gets the whole answer so far first."""

    def let_go(self) -> None:
        """Live sources: stop hearing an answer whose turn has ended."""


class Listener(Protocol):
    """The interviewer's side while the candidate speaks (practice.session gives it a voice)."""

    def aizuchi(self) -> float | None:
        """Start a listening sound (相槌); its length in seconds, or None when none can be said now."""

    def level(self) -> float:
        """The level (RMS) of what the interviewer is saying now, as played; 0 when silent."""

    def hush(self) -> bool:
        """Stop saying anything at once; whether something was being said."""


class WavAppender:
    """A 16 kHz mono 16-bit WAV that is valid on disk after every append."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._file = open_private(path)
        self._wav = wave.open(self._file, "wb")
        self._wav.setnchannels(1)
        self._wav.setsampwidth(2)
        self._wav.setframerate(SAMPLE_RATE)

    def append(self, samples: np.ndarray) -> None:
        pcm = (np.clip(samples, -1.0, 1.0) * 32767.0).astype("<i2").tobytes()
        self._wav.writeframes(pcm)  # patches the RIFF and data sizes every time
        self._file.flush()
        os.fsync(self._file.fileno())

    def close(self) -> None:
        try:
            self._wav.close()
        except OSError:  # the header could not be patched (disk full): the last good one stands
            pass
        finally:
            self._file.close()


class SpeechDetector:
    """Streaming voice activity with Silero (the model faster-whisper bundles).

    The model's recurrent state and each window's 64-sample context are carried from one
    block to the next, as in one pass over the whole file. faster-whisper's own call
    starts from a blank state every time: fed 0.1 s blocks, it heard a telephone-band
    voice in one window of four where the whole-file pass heard all of them, and a pause
    opened in the middle of a sentence. Where Silero doubts the voice, its level helps
    (audio.VoiceDoubt), as in the whole-file pass.
    """

    _CONTEXT = 64   # samples of the previous window that Silero reads before each window

    def __init__(self, threshold: float = 0.5) -> None:
        from faster_whisper.vad import get_vad_model

        self._session = get_vad_model().session
        self._threshold = threshold
        self._buffer = np.zeros(0, dtype=np.float32)
        self._peak = 0.0
        self._h = np.zeros((1, 1, 128), dtype=np.float32)
        self._c = np.zeros((1, 1, 128), dtype=np.float32)
        self._context = np.zeros(self._CONTEXT, dtype=np.float32)
        self._doubt = VoiceDoubt()

    def feed(self, samples: np.ndarray) -> list[tuple[bool, float]]:
        """Speech or not, and the RMS level, for each complete 32 ms window in the audio fed so far.

        Brought to the level the whole-file VAD uses (audio.vad_gain, from the loudest
        moment so far): with a microphone's gain far too low (peak −30 dBFS) Silero heard
        one window in ten of a clear sentence, and the answer ended in mid-question.
        """
        self._buffer = np.concatenate([self._buffer, samples])
        n = len(self._buffer) // VAD_WINDOW * VAD_WINDOW
        if n == 0:
            return []
        chunk, self._buffer = self._buffer[:n], self._buffer[n:]
        self._peak = max(self._peak, float(np.max(np.abs(chunk))))
        windows = (chunk * vad_gain(self._peak)).astype(np.float32).reshape(-1, VAD_WINDOW)
        before = np.concatenate([self._context[None], windows[:-1, -self._CONTEXT:]])
        probs, self._h, self._c = self._session.run(
            None, {"input": np.concatenate([before, windows], axis=1), "h": self._h, "c": self._c})
        self._context = windows[-1, -self._CONTEXT:].copy()
        levels = window_levels_db(chunk)
        return [(self._doubt.lift(float(p), db) > self._threshold, float(10 ** (db / 20)))
                for p, db in zip(np.asarray(probs).reshape(-1), levels)]


class EchoGate:
    """Whether a window heard while the interviewer is sounding is the candidate's voice.

    The microphone hears the speaker as loud as the room returns it: 10 dB or more down
    at arm's length, nothing through headphones. Until the room is known, a window is the
    candidate's only at `barge_in_db` of the played sound's loudest level or louder
    (Geigel's double-talk test, on the known playback), which hears only a candidate
    nearly as loud as the sound is played. Each interviewer sound begins while the
    candidate is silent (a 相槌 in a pause, a reply after the turn), so its first
    `_LEARN_WINDOWS` at the microphone are its echo alone: their loudest level against the
    sound's is the room's return for that sound. After `learn_after` sounds, a window is
    the candidate's at `margin_db` over the lowest return: the room returns each sound
    alike, and a candidate speaking as a sound began (a 相槌 said into their next
    sentence) only makes that sound's return louder. Never stricter than the first rule,
    and never below `floor_db`, so an echo that comes back after the learning window (a
    slow output: a Bluetooth speaker) is not taken for the candidate. One gate lasts a
    session: the room does not change between answers.
    """

    # 0.26 s: past an output's usual latency (tens of milliseconds), and before most
    # candidates going on under a 相槌 are heard (in a held-out run, 0.35-0.4 s into it)
    _LEARN_WINDOWS = 8

    def __init__(self, barge_in_db: float, margin_db: float, learn_after: int, floor_db: float) -> None:
        self.first, self.margin, self.learn_after = 10 ** (barge_in_db / 20), 10 ** (margin_db / 20), learn_after
        self.floor = 10 ** (floor_db / 20)
        self.returns: list[float] = []   # the room's return of each sound heard, played level to heard
        self._window = -1                # the window of the sound sounding now, -1 when silent
        self._loudest = 0.0

    def voice(self, rms: float, played: float) -> bool:
        """Whether a window of level `rms` is the candidate's, while the interviewer's
        sound is at `played` (its loudest level; 0 when silent)."""
        if played <= 0:
            self._window = -1
            return True
        self._window += 1
        if self._window < self._LEARN_WINDOWS:
            self._loudest = max(self._loudest if self._window else 0.0, rms / played)
            if self._window == self._LEARN_WINDOWS - 1:
                self.returns.append(self._loudest)
        return rms >= self.threshold() * played

    @property
    def learned(self) -> bool:
        """Whether the room is known: a candidate at an ordinary level is heard over a sound."""
        return len(self.returns) >= self.learn_after

    def threshold(self) -> float:
        """The level, against the played sound's, from which a window is the candidate's."""
        if not self.learned:
            return self.first
        return min(self.first, max(self.floor, min(self.returns) * self.margin))


class Endpointer:
    """Decides when an answer is over: the end of the turn, no voice at all, or the hard cap.

    With `turn` (turn.AnswerTurn) the silence a pause needs depends on how the voice
    ended and what was said; without it (`--silence S`) it is the fixed `silence_s`.
    `no_voice_s`: with no speech at all by then, the microphone is not reaching the
    program (muted, the wrong input, a cable); waiting for the cap would cost minutes.
    `echo` gives the level (RMS) of what the speaker plays now, 0 when silent: the
    microphone hears it too, so while it sounds `gate` (EchoGate) tells the candidate's
    voice from its echo.
    """

    def __init__(self, silence_s: float | None, cap_s: float, no_voice_s: float | None = None,
                 turn: AnswerTurn | None = None, echo: Callable[[], float] | None = None,
                 gate: EchoGate | None = None) -> None:
        self.silence_s, self.cap_s, self.no_voice_s, self.turn = silence_s, cap_s, no_voice_s, turn
        self.echo, self.gate = echo, gate
        self.burst_start_s: float | None = None   # where the speech going on now began
        self.detector = SpeechDetector()
        self.heard_s = 0.0
        self.speech_start_s: float | None = None
        self.speech_end_s: float | None = None
        self.position_s = 0.0
        self.speaking = False
        self._recent: list[bool] = []          # the last VAD windows
        self._tail = np.zeros(0, np.float32)   # the last seconds, for the end-of-turn model

    def stirring(self) -> bool:
        """Whether any of the last windows was speech: a word may be beginning."""
        return any(self._recent)

    def feed(self, samples: np.ndarray) -> EndedBy | None:
        if self.turn is not None:
            self._tail = np.concatenate([self._tail, samples])[-int(MODEL_WINDOW_S * SAMPLE_RATE):]
        window_s = VAD_WINDOW / SAMPLE_RATE
        echo = self.echo() if self.echo is not None else 0.0
        for is_speech, rms in self.detector.feed(samples):
            self.position_s += window_s
            # the gate hears every window: it learns the room from those that are echo alone
            is_speech = (self.gate is None or self.gate.voice(rms, echo)) and is_speech
            # After a pause, a blip shorter than a syllable (a fan, a click, a chair) is not
            # speech going on: counted, it would hold every pause open and the answer would
            # never end. A new burst needs _MIN_RUN speech windows among the last _RECENT
            # (Silero flickers on some voices, so they need not be consecutive); within
            # speech (a gap under _JOIN_S) every window counts at once.
            self._recent = (self._recent + [is_speech])[-_RECENT:]
            joined = self.speech_end_s is not None and self.position_s - self.speech_end_s <= _JOIN_S
            self.speaking = is_speech and (joined or sum(self._recent) >= _MIN_RUN)
            if self.speaking:
                counted = window_s if joined else sum(self._recent) * window_s   # a new burst from its start
                self.heard_s += counted
                if self.speech_start_s is None:
                    self.speech_start_s = self.position_s - _RECENT * window_s
                if not joined:
                    self.burst_start_s = self.position_s - counted
                self.speech_end_s = self.position_s
        if self.position_s >= self.cap_s:
            return EndedBy.CAP
        if self.no_voice_s is not None and self.heard_s < _MIN_SPEECH_S and self.position_s >= self.no_voice_s:
            return EndedBy.NO_VOICE
        if self.heard_s >= _MIN_SPEECH_S and self.speech_end_s is not None:
            silence = self.position_s - self.speech_end_s
            need = (self.silence_s if self.turn is None
                    else self.turn.required_silence(self._tail, self.speech_end_s,
                                                    self.speech_end_s - self.speech_start_s, silence))
            if silence >= need:
                return EndedBy.SILENCE
        return None


def _enter_pressed() -> bool:
    """True when the user pressed Enter; never blocks, never reads a non-terminal stdin."""
    if not sys.stdin or not sys.stdin.isatty():
        return False
    try:
        ready, _, _ = select.select([sys.stdin], [], [], 0)
    except (OSError, ValueError):  # Windows consoles are not selectable
        return False
    if ready:
        sys.stdin.readline()
        return True
    return False


class MicrophoneSource:
    """Answers spoken into a microphone through PortAudio.

    `backend` is the sounddevice module, or a stand-in with the same three names
    (query_devices, InputStream, PortAudioError) such as replay.ReplayDevice; `stop`
    says whether the user asked to end the answer (Enter on a terminal). `silence_s`
    None ends answers by the end-of-turn rule (turn.py); a number, after that fixed silence.
    """

    live = True

    def __init__(self, device: str | int | None = None, silence_s: float | None = None, cap_s: float = 180.0,
                 backend=None, stop: Callable[[], bool] | None = None, no_voice_s: float | None = 8.0,
                 first_block_s: float = 10.0) -> None:
        self.sd = backend or portaudio()
        # PortAudio can take a second or more to deliver the first block; a browser page
        # whose microphone failed says so itself and offers a retry, so it is waited for longer
        self.first_block_s = first_block_s
        self.stop = stop or _enter_pressed
        self.device = _parse_device(device)
        self.silence_s, self.cap_s, self.no_voice_s = silence_s, cap_s, no_voice_s
        try:
            info = self.sd.query_devices(self.device, "input")
        except (ValueError, self.sd.PortAudioError) as e:
            raise CaptureError(f"マイクが見つかりません（{e}）。`mensetsu check` で入力デバイスを確認し、"
                               "--input-device で指定するか、--answers-from DIR を使ってください") from None
        self.rate = int(info["default_samplerate"])
        self.name = info["name"]
        # loads while the question is spoken; only once there is a microphone, since the
        # process exiting while onnxruntime starts up aborts it ("terminate called …")
        self.turn_model = SmartTurn() if silence_s is None else None
        r = turn_rules()
        self.echo_gate = EchoGate(r.barge_in_db, r.echo_margin_db, r.echo_learn_after, r.echo_floor_db)
        self._take: _Take | None = None   # an answer whose turn has ended, still heard

    @property
    def heard_over_playback(self) -> bool:
        return self.echo_gate.learned

    def record(self, dest: Path, target_s: float, on_progress=None, on_audio=None, words=None,
               question_type=None, listener=None) -> Recording:
        self.let_go()
        self._take = _Take(self, dest, target_s, on_progress, on_audio, words, question_type, listener)
        return self.resume()

    def went_on(self, until: float = 0.0) -> bool:
        if self._take is not None and self._take.went_on(until):
            return True
        self.let_go(hush=False)   # the interviewer's reply goes on: the next question may be in it
        return False

    def resume(self, on_audio=None, words=None) -> Recording:
        take, self._take = self._take, None
        recording = take.run(on_audio, words)
        if recording.ended_by == EndedBy.SILENCE and take.listener is not None and not take.taken_back:
            self._take = take   # the turn may not be over: heard on while the interviewer replies
            take.listen_on()
        else:
            take.close()
        return recording

    def let_go(self, hush: bool = True) -> None:
        """Stop hearing an answer that has ended (the next question is being asked); with
        `hush`, the interviewer stops too (the session is ending)."""
        if self._take is not None:
            self._take.close(hush)
            self._take = None


class _Take:
    """One answer from an open input stream. After the end of the turn the stream stays
    open (`listen_on`): a candidate who goes on while the interviewer replies makes it
    stop (barge-in), and `run` then records on into the same WAV, with the seconds between."""

    def __init__(self, source: MicrophoneSource, dest: Path, target_s: float, on_progress, on_audio,
                 words: Words | None, question_type: str | None, listener: Listener | None) -> None:
        import soxr

        self.source, self.dest, self.on_progress, self.on_audio = source, dest, on_progress, on_audio
        self.listener = listener
        self.blocks: queue.Queue = queue.Queue()
        self.resampler = soxr.ResampleStream(source.rate, SAMPLE_RATE, 1, dtype="float32")
        self.writer = WavAppender(dest)
        self.turn = (AnswerTurn(source.turn_model, target_s, words, question_type=question_type,
                                cue=listener.aizuchi if listener is not None else None)
                     if source.silence_s is None else None)
        self.endpoint = Endpointer(source.silence_s, source.cap_s, source.no_voice_s, self.turn,
                                   echo=listener.level if listener is not None else None, gate=source.echo_gate)
        self.kept: list[np.ndarray] = []
        self.heard: list[np.ndarray] = []   # blocks heard after the end of the turn, not yet written
        self.barge_ins: list[float] = []
        self.start = time.monotonic()
        self.stream = None
        self._open = self._closed = False
        self._went_on = threading.Event()
        self._listening: threading.Thread | None = None
        self._stop_listening = threading.Event()
        self._ended = (0.0, 0.0)   # listen_on: the audio position and the clock at the end of the turn

    @property
    def taken_back(self) -> bool:
        return self.turn is not None and self.turn.decision is not None and self.turn.decision.state == RAMBLING

    def _callback(self, indata, frames, time_info, status) -> None:   # PortAudio's thread: hand over only
        self.blocks.put(indata[:, 0].copy())

    def _next_block(self, wait_s: float) -> np.ndarray:
        try:
            return self.resampler.resample_chunk(self.blocks.get(timeout=wait_s))
        except queue.Empty:
            raise CaptureError("マイクから音声が届きません（デバイスが外れた可能性があります）。"
                               "ここまでの録音は保存しました") from None

    def _keep(self, samples: np.ndarray) -> None:
        self.writer.append(samples)
        self.kept.append(samples)
        if self.on_audio:
            self.on_audio(samples)

    def _hush(self) -> None:
        """The candidate is speaking: the interviewer stops at once if it was saying something."""
        if self.listener is not None and self.endpoint.speaking and self.listener.hush():
            self.barge_ins.append(self.endpoint.position_s - self.endpoint.burst_start_s)

    def run(self, on_audio=None, words: Words | None = None) -> Recording:
        """Record until the end of the turn (or Enter, the cap, no voice); when resumed,
        the audio so far goes to the new `on_audio` first and `words` is read from then on."""
        if self._open:   # resumed: what was heard meanwhile is part of the answer
            self.on_audio = on_audio
            if on_audio:
                on_audio(np.concatenate(self.kept))
            if self.turn is not None:
                self.turn.words = words
            for samples in self.heard:
                self._keep(samples)
            self.heard = []
        ended_by = EndedBy.INTERRUPTED
        try:
            if not self._open:
                src = self.source
                with STREAMS:
                    self.stream = src.sd.InputStream(device=src.device, channels=1, samplerate=src.rate,
                                                     dtype="float32", blocksize=int(src.rate * 0.1),
                                                     callback=self._callback)
                    self.stream.__enter__()
                self._open = True
            wait_s = self.source.first_block_s if not self.kept else 2.0
            while True:
                block = self._next_block(wait_s)
                wait_s = 2.0
                self._keep(block)
                verdict = self.endpoint.feed(block)
                self._hush()
                if self.on_progress:
                    self.on_progress(self.endpoint.position_s, float(np.sqrt(np.mean(block ** 2))),
                                     self.endpoint.speaking)
                if verdict or self.source.stop():
                    ended_by = verdict or EndedBy.ENTER
                    break
        except self.source.sd.PortAudioError as e:
            self.close()
            raise CaptureError(f"録音中にオーディオエラーが起きました（{e}）。ここまでの録音は保存しました") from None
        except BaseException:
            self.close()
            raise
        turn = self.turn
        return Recording(self.dest, np.concatenate(self.kept) if self.kept else np.zeros(0, np.float32), ended_by,
                         self.endpoint.speech_end_s, time.monotonic() - self.start,
                         turn.decision if turn is not None and ended_by == EndedBy.SILENCE else None,
                         aizuchi=tuple(turn.cues) if turn is not None else (), barge_ins=tuple(self.barge_ins))

    def listen_on(self) -> None:
        """Hear on after the end of the turn, in the background, until the candidate speaks
        (the interviewer is hushed) or `close`."""
        turn = self.turn

        def listen() -> None:
            if turn is not None:   # no 相槌 while the interviewer has the turn
                cue, turn.cue = turn.cue, None
            try:
                while not self._stop_listening.is_set():
                    try:
                        block = self.resampler.resample_chunk(self.blocks.get(timeout=0.2))
                    except queue.Empty:
                        continue
                    self.heard.append(block)
                    self.endpoint.feed(block)
                    if self.endpoint.speaking:
                        self._hush()
                        self._went_on.set()
                        return
            except Exception:   # a device gone between answers: the answer as it was stands
                log.debug("listening after the turn failed", exc_info=True)
            finally:
                if turn is not None:
                    turn.cue = cue

        self._went_on.clear()
        # where the turn ended, in the audio and on the clock: the audio reaches this loop
        # in real time, so a moment on the clock is a position in the audio
        self._ended = (self.endpoint.position_s, time.monotonic())
        self._listening = threading.Thread(target=listen, name="listen-on", daemon=True)
        self._listening.start()

    def went_on(self, until: float = 0.0) -> bool:
        """Whether the candidate began speaking after the end of the turn, by `until`
        (time.monotonic()) at the latest; stops listening either way. A word begun just
        before `until` is only sure `_CONFIRM_S` later, so that much more is heard (and a
        burst that began after `until` does not count): measured on the clock alone, the
        listening second held 0.6-0.8 s of audio, and a candidate going on after 0.7 s was cut."""
        position, clock = self._ended
        window_end = position + (until - clock)
        self._went_on.wait(max(0.0, until - time.monotonic()))
        while not self._went_on.is_set() and time.monotonic() < until + _CONFIRM_S:
            if self.endpoint.position_s >= window_end + 0.1 and not self.endpoint.stirring():
                break   # the window's audio is all heard, and no word is beginning in it
            self._went_on.wait(0.02)
        self._stop_listening.set()
        if self._listening is not None:
            self._listening.join()
        self._stop_listening.clear()
        began = self.endpoint.burst_start_s
        return self._went_on.is_set() and began is not None and began <= window_end + _ONSET_LAG_S

    def close(self, hush: bool = True) -> None:
        if self._closed:
            return
        self._closed = True
        self._stop_listening.set()
        if self._listening is not None and self._listening is not threading.current_thread():
            self._listening.join()
        if self._open:
            self._open = False
            try:
                with STREAMS:
                    self.stream.__exit__(None, None, None)
            except self.source.sd.PortAudioError:   # the device went at the very end: the audio is on disk
                pass
        if hush and self.listener is not None:
            self.listener.hush()
        try:
            tail = self.resampler.resample_chunk(np.zeros(0, dtype=np.float32), last=True)
            if tail.size and not self.heard:
                self._keep(tail)
        except OSError:  # a full disk: what was appended before is on disk with a valid header
            pass
        self.writer.close()


class FileSource:
    """Answers recorded beforehand (a phone, another app): the files of a folder, by name."""

    SUFFIXES = {".wav", ".flac", ".mp3", ".m4a", ".aac", ".ogg", ".opus", ".webm", ".txt"}
    live = False
    heard_over_playback = False

    def __init__(self, folder: str | os.PathLike) -> None:
        folder = Path(folder)
        if not folder.is_dir():
            raise CaptureError(f"--answers-from のフォルダが見つかりません: {folder}")
        self.files = sorted(p for p in folder.iterdir() if p.suffix.lower() in self.SUFFIXES)
        if not self.files:
            raise CaptureError(f"{folder} に音声ファイル（{', '.join(sorted(self.SUFFIXES))}）がありません")

    def record(self, dest: Path, target_s: float, on_progress=None, on_audio=None, words=None,
               question_type=None, listener=None) -> Recording | None:
        if not self.files:
            return None
        source = self.files.pop(0)
        if source.suffix.lower() == ".txt":   # a typed answer, rehearsed without a microphone
            try:
                text = source.read_text(encoding="utf-8").strip()
            except UnicodeDecodeError:
                raise CaptureError(f"文字コードが UTF-8 ではありません: {source}") from None
            return typed_answer(dest, text)
        samples = load_audio(source)
        if on_progress:
            on_progress(0.0, 0.0, False)
        writer = WavAppender(dest)
        writer.append(samples)
        writer.close()
        if on_audio:
            on_audio(samples)
        # the microphone's rule for an answer with no voice, so that a muted phone
        # recording is kept but never analysed, scored or followed up either
        ended_by = EndedBy.FILE if voiced(samples) else EndedBy.NO_VOICE
        return Recording(dest, samples, ended_by, None, len(samples) / SAMPLE_RATE)


def typed_answer(dest: Path, text: str) -> Recording:
    """A typed answer (a .txt file, the web page's text box), kept beside the recordings
    as <dest>.txt: content and follow-ups as usual, no delivery. An empty one is no answer."""
    text = text.strip()
    typed = dest.with_suffix(".txt")
    typed.parent.mkdir(parents=True, exist_ok=True)
    typed.write_text(text + "\n", encoding="utf-8")
    if not text:
        return Recording(typed, np.zeros(0, np.float32), "no_voice", None, 0.0)
    return Recording(typed, np.zeros(0, np.float32), EndedBy.TYPED, None, 0.0, typed=text)


def voiced(samples: np.ndarray) -> bool:
    """Whether a whole recording holds the speech an answer needs (as Endpointer judges live)."""
    return sum(r.length for r in speech_regions(samples)) >= _MIN_SPEECH_S


def _parse_device(device: str | int | None) -> str | int | None:
    if isinstance(device, str) and device.isdigit():
        return int(device)
    return device


def list_devices() -> list[dict]:
    sd = portaudio()
    return [dict(d, index=i) for i, d in enumerate(sd.query_devices())]


def record_seconds(device: str | int | None, seconds: float) -> np.ndarray:
    """A fixed-length recording for `mensetsu check`, at the device's rate, returned at 16 kHz."""
    import soxr

    sd = portaudio()
    device = _parse_device(device)
    rate = int(sd.query_devices(device, "input")["default_samplerate"])
    data = sd.rec(int(seconds * rate), samplerate=rate, channels=1, dtype="float32", device=device, blocking=True)
    return soxr.resample(data[:, 0], rate, SAMPLE_RATE).astype(np.float32)

