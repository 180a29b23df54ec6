"""Transcribing an answer while it is still being spoken.

Whisper decodes a window in about a second on a laptop CPU, whatever its length, so
waiting for the end of a one-minute answer before decoding it costs ten seconds of
silence. Here the recording is fed block by block; a worker thread finds speech with
the same VAD, cuts the answer into chunks at pauses and decodes each chunk as soon as it closes.
Whenever the speaker falls silent and the worker is free, the speech not yet decoded
is decoded at once: if the answer is over, nothing is left to decode when the
recording stops; if it goes on, that pause ends a chunk. When the worker falls
behind, a chunk closes at the first pause once it holds `min_chunk_s` of speech.

At each pause the end-of-turn rule (turn.py) calls `pause()` (`glance_probability`):
a second thread then takes a quick greedy look at the last phrase (`Transcriber.glance`,
on the model's second worker, in a short encoder window) so that the rule can read how
the answer ends about 0.3 s after the pause is heard; `partial()` gives the words so far to the rule, guarded like the final
transcript.

Decoding and guarding are `asr.Transcriber`'s, so a chunk reads the same however it
was reached; only the cut points differ from a whole-file transcription, and
benchmarks/bench_latency.py measures what that changes.
"""

from __future__ import annotations

import threading
from typing import Callable

import numpy as np

from simulator.speech.asr import (
    SPLIT_PAUSE_S,
    Transcriber,
    Transcript,
    chunk_regions,
    finish,
    plausible,
)
from simulator.speech.audio import SAMPLE_RATE, Region, speech_regions

MIN_CHUNK_S = 5.0      # shorter chunks waste encoder passes; longer ones leave more to decode at the end
_STEP_S = 0.1          # new audio that makes the worker look again (one microphone block)
_CLOSED_S = 0.3        # silence after a region that shows it has ended (the VAD's own minimum)
_PAUSE_PAD_S = 0.1     # the live VAD's speech end lags the voice by up to a window or two
_GLANCE_MAX_S = 4.0    # the quick look reads only the last seconds: the ending is what it is for
_KEEP_AHEAD_S = 1.5    # speech decoded ahead at a pause stays a chunk of its own if at least this long


class StreamingTranscriber:
    """Feed 16 kHz blocks with `feed()` as they are recorded, then call `finish()` once.

    `get_transcriber` may block (the model can still be loading when the first answer
    starts); audio is buffered meanwhile. Only the worker thread touches the model.
    """

    def __init__(self, get_transcriber: Callable[[], Transcriber], question: str | None = None,
                 min_chunk_s: float = MIN_CHUNK_S, on_text: Callable[[str], None] | None = None) -> None:
        self._get_transcriber = get_transcriber
        self.question = question
        self.min_chunk_s = min_chunk_s
        self.on_text = on_text   # called on the worker thread with the text so far, whenever it grows
        self._partial: tuple[str, float] | None = None
        self._pause_at: float | None = None   # where the live VAD heard the speaker stop
        self._glancing = False
        self._buffer = np.zeros(30 * SAMPLE_RATE, np.float32)   # grows by doubling: appends stay O(1)
        self._n = 0
        self._cond = threading.Condition()
        self._ended = self._cancelled = False
        self._error: BaseException | None = None
        # worker state: everything before `_t0` is decoded and final
        self._t0 = 0.0
        self._speech: list[Region] = []
        self._raw: list = []
        self._ahead: tuple[list[Region], list] | None = None   # regions decoded ahead, their segments
        self._result: tuple[Transcript, list[Region]] | None = None
        self.decodes = 0   # chunk decodes, counting those done ahead and thrown away
        self._thread = threading.Thread(target=self._run, name="stream-asr", daemon=True)
        self._thread.start()
        # the quick look at a pause runs beside the worker, not after its current decode
        self._glancer = threading.Thread(target=self._glance_loop, name="stream-glance", daemon=True)
        self._glancer.start()

    def feed(self, samples: np.ndarray) -> None:
        with self._cond:
            end = self._n + len(samples)
            if end > len(self._buffer):
                grown = np.zeros(max(end, 2 * len(self._buffer)), np.float32)
                grown[:self._n] = self._buffer[:self._n]
                self._buffer = grown
            self._buffer[self._n:end] = samples
            self._n = end
            self._cond.notify_all()

    def finish(self) -> tuple[Transcript, list[Region]]:
        """Wait for the last chunk; the transcript and the speech regions of the whole answer."""
        with self._cond:
            self._ended = True
            self._cond.notify_all()
        self._thread.join()
        self._glancer.join()   # a quick look still running returns within a second
        if self._error is not None:
            raise self._error
        assert self._result is not None
        return self._result

    def partial(self) -> tuple[str, float] | None:
        """The words so far (decoded ahead included) and the time, in seconds of audio,
        that they reach; None before the first decode. Safe from any thread."""
        return self._partial

    def pause(self, speech_end_s: float) -> None:
        """The live VAD heard the speaker stop at `speech_end_s` and the voice sounded
        finished: decode up to there at once, without waiting for the offline VAD to see a
        whole pause, so that the end-of-turn rule reads the last words sooner."""
        with self._cond:
            self._pause_at = speech_end_s
            self._cond.notify_all()

    def _publish(self) -> None:
        segments = self._raw + (self._ahead[1] if self._ahead else [])
        end = self._ahead[0][-1].end if self._ahead else self._t0
        # the guard the final transcript gets: text Whisper invented over a noise blip
        # (「ありがとうございました」) must not end the answer either
        text = finish(segments, self._speech + (self._ahead[0] if self._ahead else [])).text
        if self._partial is None or end >= self._partial[1]:   # never behind a quick look
            self._partial = (text, end)   # one assignment: readers see the old or the new pair
        if self.on_text:
            self.on_text(text)

    def cancel(self, wait_s: float = 30.0) -> None:
        """Stop without decoding the rest (the answer was interrupted), and wait for a decode
        in progress to end: a CTranslate2 call still running when Python exits aborts the
        process ("terminate called without an active exception")."""
        with self._cond:
            self._ended = self._cancelled = True
            self._cond.notify_all()
        for thread in (self._thread, self._glancer):
            if thread is not threading.current_thread():
                thread.join(wait_s)

    def _audio(self) -> tuple[np.ndarray, bool]:
        with self._cond:
            # a view: later feeds write past its end, or into a new array if the buffer grows
            return self._buffer[:self._n], self._ended

    def _run(self) -> None:
        try:
            transcriber = self._get_transcriber()
            seen, paused = 0, None
            while True:
                with self._cond:
                    self._cond.wait_for(lambda: self._ended or self._n - seen >= _STEP_S * SAMPLE_RATE
                                        or self._pause_at != paused)
                    paused = self._pause_at
                    if self._cancelled:
                        return
                samples, ended = self._audio()
                seen = len(samples)
                if ended:
                    self._result = self._final(transcriber, samples)
                    return
                self._step(transcriber, samples)
        except BaseException as e:  # handed to finish(), which runs in the caller's thread
            self._error = e

    def _glance_loop(self) -> None:
        try:
            transcriber = self._get_transcriber()
            done = None
            while True:
                with self._cond:
                    self._cond.wait_for(lambda: self._ended or self._pause_at != done)
                    if self._ended:
                        return
                    done = self._pause_at
                    self._glancing = True
                try:
                    self._glance(transcriber, self._audio()[0], done)
                finally:
                    self._glancing = False
        except Exception:  # a hint only: the worker's own decoding is what the analysis uses
            return

    def _glance(self, transcriber: Transcriber, samples: np.ndarray, pause: float) -> None:
        """Publish the last phrase before a pause the live VAD heard, decoded quickly: the
        end-of-turn rule needs how the answer ends long before the full decoding is done."""
        regions = [r for r in self._tail_regions(samples) if r.start < pause]
        if not regions:
            return
        end = pause + _PAUSE_PAD_S
        window = Region(max(regions[-1].start, end - _GLANCE_MAX_S), end)
        text = transcriber.glance(samples, window, self.question)
        spoken = sum(max(0.0, min(r.end, window.end) - max(r.start, window.start)) for r in regions)
        if text and plausible(text, spoken):
            self._partial = (finish(self._raw, self._speech).text + text, end)

    def _tail_regions(self, samples: np.ndarray) -> list[Region]:
        """Speech after `_t0`; the VAD restarts in the silence where the last chunk ended."""
        start = int(self._t0 * SAMPLE_RATE)
        return [Region(r.start + self._t0, r.end + self._t0) for r in speech_regions(samples[start:])]

    def _step(self, transcriber: Transcriber, samples: np.ndarray) -> None:
        now = len(samples) / SAMPLE_RATE
        regions = self._tail_regions(samples)
        pause = self._pause_at
        if pause is not None and regions and regions[-1].start < pause < regions[-1].end:
            # the offline VAD still counts the last 0.3 s as speech; the live one heard it end
            regions[-1] = Region(regions[-1].start, pause + _PAUSE_PAD_S)
        closed = [r for r in regions if r.end + _CLOSED_S <= now or (pause is not None and r.end <= pause + _PAUSE_PAD_S)]
        if not closed:
            return
        ahead = self._ahead
        if ahead and len(regions) > len(ahead[0]) and regions[:len(ahead[0])] == ahead[0] \
                and ahead[0][-1].end - ahead[0][0].start >= _KEEP_AHEAD_S:
            self._commit(transcriber, samples, ahead[0])  # speech went on: the pause decoded ahead ends a chunk
            return
        chunks = chunk_regions(closed, min_s=self.min_chunk_s)
        first = chunks[0]
        inside = [r for r in closed if first.start <= r.start < first.end]
        speaking = len(closed) < len(regions)
        done = (len(chunks) > 1 or first.length >= self.min_chunk_s
                or (not speaking and now - first.end >= SPLIT_PAUSE_S))
        if done:
            self._commit(transcriber, samples, inside)
        elif not speaking and not self._glancing and (self._ahead is None or self._ahead[0] != inside):
            # (while a quick look runs, the full decode waits: the end-of-turn rule needs the look first)
            self._ahead = (inside, self._decode(transcriber, samples, inside))
            self._publish()

    def _decode(self, transcriber: Transcriber, samples: np.ndarray, regions: list[Region]) -> list:
        self.decodes += 1
        chunk = Region(regions[0].start, regions[-1].end)
        return transcriber.transcribe_until_done(samples, chunk, regions, self.question)

    def _commit(self, transcriber: Transcriber, samples: np.ndarray, regions: list[Region]) -> None:
        ahead = self._ahead
        segments = ahead[1] if ahead and ahead[0] == regions else self._decode(transcriber, samples, regions)
        self._raw.extend(segments)
        self._speech.extend(regions)
        self._t0 = regions[-1].end
        self._ahead = None
        self._publish()

    def _final(self, transcriber: Transcriber, samples: np.ndarray) -> tuple[Transcript, list[Region]]:
        rest = self._tail_regions(samples)
        if rest and self._ahead and self._ahead[0] == rest:
            self._raw.extend(self._ahead[1])
        else:
            for chunk in chunk_regions(rest):
                inside = [r for r in rest if chunk.start <= r.start < chunk.end]
                self._raw.extend(self._decode(transcriber, samples, inside))
        speech = self._speech + rest
        return transcriber.cover(samples, finish(self._raw, speech), speech, self.question), speech

