"""Whisper decoding tuned for practice: keep every filler and hesitation verbatim.

Whisper was trained on subtitles and cleans speech up: えーと becomes 絵と or vanishes.
Showing it a filler-bearing Japanese context (`initial_prompt`) makes it write what was
said. faster-whisper applies that prompt to the first 30 s window only when
conditioning on previous text is off, so an answer is cut at pauses into chunks of at
most ~25 s and each chunk is decoded with the prompt. Conditioning stays off, which
stops one bad window from looping into the next. Whisper also invents text in silence
and repeats itself; `_guard` drops both.

Every word must be kept: a stretch of speech that the decoding left without words (a
window Whisper gave up on, a seam) is decoded again with other options, and what stays
empty is recorded as a hole (`Transcript.holes`) that the report shows and the rates
leave out (`Transcriber.cover`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Mapping

import numpy as np

from simulator.rules import bank
from simulator.speech.audio import SAMPLE_RATE, Region

MAX_CHUNK_S = 28.0  # below Whisper's 30 s window, so one chunk is one decoding window
_CHUNK_PAD_S = 0.3
SPLIT_PAUSE_S = 1.5  # a pause this long always ends a chunk
_MIN_LEFT_S = 1.5  # speech left after the last decoded word that means Whisper stopped early
GLANCE_CONTEXT_S = 10.0   # the quick look's encoder window (Whisper's own is 30 s)
_GLANCE_SILENCE_S = 6.0   # padding the quick look keeps after its speech at least
_GLANCE_TOKENS_PER_S = 12  # Japanese speech runs at 4-8 tokens a second; more is a loop


@dataclass(frozen=True)
class Word:
    text: str
    start: float
    end: float
    probability: float

    def to_dict(self) -> dict:
        return {"text": self.text, "start_s": round(self.start, 2), "end_s": round(self.end, 2),
                "probability": round(self.probability, 3)}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Word:
        return cls(d["text"], d["start_s"], d["end_s"], d.get("probability", 1.0))


@dataclass(frozen=True)
class Transcript:
    """The recognised answer: text and timed words, after the hallucination guard."""

    text: str
    words: tuple[Word, ...]
    dropped: tuple[str, ...] = field(default=())  # segments removed by the guard, for the record
    holes: tuple[Region, ...] = field(default=())   # speech that no decoding put words to

    @property
    def hole_s(self) -> float:
        return sum(h.length for h in self.holes)

    def marked_text(self) -> str:
        """The text with each hole marked where it falls, for people to read."""
        if not self.holes:
            return self.text
        out, holes = [], list(self.holes)
        for w in self.words:
            while holes and holes[0].start < w.start:
                out.append(hole_mark(holes.pop(0)))
            out.append(w.text)
        out.extend(hole_mark(h) for h in holes)
        return "".join(out).strip()

    def to_dict(self) -> dict:
        return {"text": self.text, "words": [w.to_dict() for w in self.words],
                "dropped": list(self.dropped), "holes": [h.to_dict() for h in self.holes]}


def hole_mark(hole: Region) -> str:
    return f"（聞き取れなかった部分 {hole.start:.1f}–{hole.end:.1f} 秒）"


def context_prompt(question: str | None = None) -> str:
    """The text shown to Whisper before each window: fillers, the question, interview words."""
    data = bank.decoding()
    return "".join([data.filler_context, question or "", data.vocabulary_context])


def decode_options(question: str | None = None, prompt: bool = True) -> dict:
    """Keyword arguments for WhisperModel.transcribe on one chunk of speech.

    `prompt=False` is the second try at a stretch the first decoding left empty: no
    context (a context can lead Whisper to end a window early) and faster-whisper's own
    temperature fallback.
    """
    return dict(language="ja", beam_size=5, word_timestamps=True, without_timestamps=True, vad_filter=False,
                condition_on_previous_text=False, initial_prompt=context_prompt(question) if prompt else None)


def chunk_regions(speech: list[Region], max_s: float = MAX_CHUNK_S, min_s: float = MAX_CHUNK_S) -> list[Region]:
    """Group speech regions into chunks no longer than `max_s`, cut only at pauses.

    A long silence always ends a chunk: inside one window it invites Whisper to stop
    early or to fill the silence with invented text. Once a chunk is `min_s` long, any
    pause ends it (streaming wants short chunks; a whole file wants few windows).
    """
    chunks: list[Region] = []
    for r in speech:
        if (chunks and r.end - chunks[-1].start <= max_s and r.start - chunks[-1].end < SPLIT_PAUSE_S
                and chunks[-1].length < min_s):
            chunks[-1] = Region(chunks[-1].start, r.end)
        else:
            chunks.append(r)
    return chunks


def _norm(s: str) -> str:
    return re.sub(r"[\s、。,.!?！？]", "", s)


def _silence_phrase(t: str) -> bool:
    """`t` (normalised) is little more than a phrase Whisper invents over silence."""
    return any(p and p in t and len(t) <= len(p) + 4
               for p in (_norm(h) for h in bank.decoding().hallucinations))


def _guard(segments: list[tuple[str, list[Word]]], speech: list[Region]) -> tuple[list[Word], list[str]]:
    """Drop known silence phrases, segments outside speech, and re-decoded repeats.

    A repeat is dropped only when it follows the previous segment closely: a user who
    starts an answer again after a pause really did say it twice.
    """
    lone = {_norm(heard): filler for filler, spellings in bank.decoding().lone_fillers.items()
            for heard in spellings}
    kept: list[Word] = []
    dropped: list[str] = []
    previous, previous_end = "", -1.0
    for text, words in segments:
        t = _norm(text)
        if not t or not words:
            continue
        s, e = words[0].start, words[-1].end
        overlap = sum(max(0.0, min(e, r.end) - max(s, r.start)) for r in speech)
        heard = overlap >= 0.25 * max(e - s, 0.1)
        repeat = bool(previous) and previous.endswith(t) and s < previous_end + 1.0
        if not heard or repeat or _silence_phrase(t):
            dropped.append(text.strip())
            continue
        if t in lone:  # a filler alone in its chunk, heard as a sound-alike
            words = [Word(lone[t] + "、", s, e, min(w.probability for w in words))]
        kept.extend(_collapse_loops(words))
        previous, previous_end = t, e
    return kept, dropped


_MAX_MORA_PER_S = 12.0   # faster than any speaker: more text than this was not heard


def plausible(text: str, speech_s: float) -> bool:
    """Whether `text` could have been said in `speech_s` seconds of speech and is not a
    known silence phrase: the check for a decode that has no word times to guard."""
    from simulator.lang.japanese import count_mora

    t = _norm(text)
    if not t or _silence_phrase(t):
        return False
    return count_mora(t) <= _MAX_MORA_PER_S * speech_s + 2


def _collapse_loops(words: list[Word], max_repeats: int = 2) -> list[Word]:
    """Cut a phrase repeated more than `max_repeats` times in a row (a decoding loop)."""
    out: list[Word] = []
    for w in words:
        out.append(w)
        for n in range(1, 9):
            if len(out) < n * (max_repeats + 1):
                break
            tail = [_norm(x.text) for x in out[-n:]]
            if not "".join(tail):
                continue
            if all([_norm(x.text) for x in out[-n * (k + 1):len(out) - n * k]] == tail
                   for k in range(1, max_repeats + 1)):
                del out[-n:]
                break
    return out


class Transcriber:
    """One loaded model, shared by every answer of a session (loading is the slow part)."""

    def __init__(self, model) -> None:
        self.model = model
        self._glance_tokens = None   # (tokenizer, suppressed token ids) of the quick look

    def transcribe_chunk(self, samples: np.ndarray, chunk: Region, question: str | None = None,
                         prompt: bool = True) -> list[tuple[str, list[Word]]]:
        """Decode one chunk as one Whisper window; word times are absolute.

        Without timestamp tokens a window decodes to a single segment. faster-whisper
        would then seek to the last word and decode the leftover tail (padding,
        breath) as a new window, where Whisper hallucinates and falls back through
        every temperature; the chunk already fits one window, so only the first
        segment is taken from the lazy generator and the tail is never decoded.
        """
        a = max(0, int((chunk.start - _CHUNK_PAD_S) * SAMPLE_RATE))
        b = min(len(samples), int((chunk.end + _CHUNK_PAD_S) * SAMPLE_RATE))
        offset = a / SAMPLE_RATE
        segments, _ = self.model.transcribe(samples[a:b], **decode_options(question, prompt))
        seg = next(iter(segments), None)
        # A segment from a later window means the first was skipped as silence. (Its
        # start time says nothing: speech that begins late in the window, after a
        # breath or a television's murmur, is still the first window's.)
        if seg is None or seg.seek > 0:
            return []
        return [(seg.text, [Word(w.word, w.start + offset, w.end + offset, w.probability)
                            for w in (seg.words or [])])]

    def glance(self, samples: np.ndarray, chunk: Region, question: str | None = None) -> str:
        """The words of a short stretch, quickly (greedy, no word times): enough to read how
        a phrase ends while the full decoding of the answer follows.

        Whisper's encoder always reads a 30 s window, padding included, and that pass is
        most of the cost of any decoding: 0.65 s of 0.8 s for a 3 s phrase on two CPU
        threads. CTranslate2 also takes a shorter window, so the stretch is encoded in
        `GLANCE_CONTEXT_S` seconds of context instead (0.1 s for 10 s). Whisper was trained on
        30 s windows and loops when the padding is too short, so the context keeps
        several seconds of silence after the speech; the text is guarded like any other.
        """
        from faster_whisper.audio import pad_or_trim
        from faster_whisper.tokenizer import Tokenizer
        from faster_whisper.transcribe import get_suppressed_tokens

        a = max(0, int((chunk.start - _CHUNK_PAD_S) * SAMPLE_RATE))
        b = min(len(samples), int((chunk.end + _CHUNK_PAD_S) * SAMPLE_RATE))
        model = self.model
        features = model.feature_extractor(samples[a:b])
        per_s = SAMPLE_RATE / model.feature_extractor.hop_length
        frames = min(3000, max(int(GLANCE_CONTEXT_S * per_s), features.shape[-1] + int(_GLANCE_SILENCE_S * per_s)))
        encoded = model.encode(pad_or_trim(features, frames))
        if self._glance_tokens is None:   # built once per model: the look runs at every pause
            tokenizer = Tokenizer(model.hf_tokenizer, model.model.is_multilingual, task="transcribe", language="ja")
            self._glance_tokens = (tokenizer, get_suppressed_tokens(tokenizer, [-1]))
        tokenizer, suppressed = self._glance_tokens
        prompt = model.get_prompt(tokenizer, tokenizer.encode(" " + context_prompt(question)), without_timestamps=True)
        most = len(prompt) + int(_GLANCE_TOKENS_PER_S * (b - a) / SAMPLE_RATE) + 8   # a loop stops here
        result = model.model.generate(encoded, [prompt], beam_size=1, max_length=min(most, model.max_length),
                                      suppress_blank=True, suppress_tokens=suppressed)[0]
        return tokenizer.decode([t for t in result.sequences_ids[0] if t < tokenizer.eot]).strip()

    def transcribe(self, samples: np.ndarray, speech: list[Region], question: str | None = None
                   ) -> Transcript:
        """Transcribe 16 kHz mono audio whose speech regions are `speech` (audio.speech_regions)."""
        raw = []
        for chunk in chunk_regions(speech):
            raw.extend(self.transcribe_until_done(samples, chunk, speech, question))
        return self.cover(samples, finish(raw, speech), speech, question)

    def transcribe_until_done(self, samples: np.ndarray, chunk: Region, speech: list[Region],
                              question: str | None = None, prompt: bool = True) -> list[tuple[str, list[Word]]]:
        """Decode a chunk one window at a time; where Whisper stopped early, go on from its
        last word, so that speech longer than a window (one unbroken region in a noisy
        room) or left after an early stop is decoded too."""
        out: list[tuple[str, list[Word]]] = []
        start = chunk.start
        while start < chunk.end - 0.3:
            window = Region(start, min(chunk.end, start + MAX_CHUNK_S))
            segs = self.transcribe_chunk(samples, window, question, prompt)
            out.extend(segs)
            heard = [w.end for _, ws in segs for w in ws if w.end > start]
            after = heard[-1] if heard else window.end   # nothing heard: `cover` judges this window
            left = [Region(max(r.start, after), r.end) for r in speech
                    if r.end > after + 0.3 and r.start < chunk.end + 0.01 and r.end > chunk.start]
            if not left or (sum(r.length for r in left) < _MIN_LEFT_S and window.end >= chunk.end):
                break
            start = max(left[0].start, start + 1.0)   # always forward: no loop can form
        return out

    def cover(self, samples: np.ndarray, transcript: Transcript, speech: list[Region],
              question: str | None = None) -> Transcript:
        """Check that the words cover the speech; decode each stretch of speech left
        without words again, with no prompt, and record what is still empty as a hole.

        The rule: no speech is silently lost. A stretch that decodes only to a known
        silence phrase or to a repeat stays a hole, not text. A word said alone before a
        thinking pause is decoded again by itself first (`_hear_lone_words`)."""
        transcript = self._hear_lone_words(samples, transcript, speech, question)
        gaps = uncovered(transcript.words, speech)
        if not gaps:
            return transcript
        raw = []
        for gap in gaps:
            inside = [Region(max(r.start, gap.start), min(r.end, gap.end)) for r in speech
                      if r.end > gap.start and r.start < gap.end]
            raw.extend(self.transcribe_until_done(samples, gap, inside, question, prompt=False))
        found, dropped = _guard(raw, speech)
        # the padding lets a re-decode reach into the words either side: those are had already
        found = [w for w in _snap(found, speech) if any(g.start - 0.2 <= w.start and w.end <= g.end + 0.2 for g in gaps)]
        words = tuple(sorted(transcript.words + tuple(found), key=lambda w: w.start))
        return Transcript("".join(w.text for w in words).strip(), words, transcript.dropped + tuple(dropped),
                          tuple(uncovered(words, speech)))

    def _hear_lone_words(self, samples: np.ndarray, transcript: Transcript, speech: list[Region],
                         question: str | None = None) -> Transcript:
        """A short stretch of speech alone before a thinking pause (prompts/decoding.toml
        [lone_words]) is most often a filler said while thinking. Inside its chunk Whisper
        drops it, runs it into the next word (あのーエネルギー) or hears a sound-alike;
        decoded by itself with the filler context it comes out as the filler. Only a
        decode that is a filler and nothing else replaces the words there (any other word
        is surer read in its context), and a filler there ends with the pause's comma."""
        from simulator.lang.japanese import find_fillers, normalise

        def filler_only(words: list[Word]) -> bool:
            text = normalise("".join(w.text for w in words))
            spoken = len(_norm(text))
            return spoken > 0 and sum(f.end - f.start for f in find_fillers(text)) >= spoken

        r = bank.decoding().lone_words
        words = list(transcript.words)
        for i, region in enumerate(speech):
            before = region.start - (speech[i - 1].end if i else 0.0)
            after = speech[i + 1].start - region.end if i + 1 < len(speech) else 0.0   # the end: no pause after it
            if region.length > r.max_s or before < r.before_s or after < r.after_s:
                continue
            said = [w for w in words if region.start - _WORD_REACH_S <= (w.start + w.end) / 2 <= region.end + _WORD_REACH_S]
            there = said
            if not (there and filler_only(there)):
                heard, _ = _guard(self.transcribe_chunk(samples, region, question), [region])
                if not (heard and filler_only(heard)):
                    continue
                there = _snap(heard, [region])
            last = there[-1]
            if not re.search(r"[、。,.!?！？]$", last.text):
                there = [*there[:-1], Word(last.text + "、", last.start, last.end, last.probability)]
            words = sorted([w for w in words if w not in said] + there, key=lambda w: w.start)
        if words == list(transcript.words):
            return transcript
        return Transcript("".join(w.text for w in words).strip(), tuple(words), transcript.dropped, transcript.holes)


HOLE_MIN_S = 2.0      # speech without words for this long is a hole, not words Whisper ran together
_WORD_REACH_S = 0.4   # speech this close to a word is that word's (Whisper's word times drift)
_HOLE_BRIDGE_S = 1.2  # uncovered speech across a shorter stretch (a pause, one stray word) is one hole
_S_PER_CHAR = 0.4     # the longest a written character takes to say (one kanji, two or three mora)


def uncovered(words: tuple[Word, ...] | list[Word], speech: list[Region], min_s: float = HOLE_MIN_S) -> list[Region]:
    """Stretches of speech with no word near them that hold at least `min_s` of speech.

    A word covers no more than it could take to say: over noise Whisper stretches one
    word across seconds (点 from 15.2 to 18.9 s), which would hide the hole it sits in.
    """
    covered = sorted((max(w.start, w.end - _S_PER_CHAR * max(len(w.text.strip(" 、。,.!?！？")), 1)) - _WORD_REACH_S,
                      w.end + _WORD_REACH_S) for w in words)
    pieces: list[Region] = []
    for r in speech:
        t = r.start
        for a, b in covered:
            if b <= t or a >= r.end:
                continue
            if a > t:
                pieces.append(Region(t, a))
            t = max(t, b)
        if t < r.end:
            pieces.append(Region(t, r.end))
    stretches: list[tuple[Region, float]] = []   # (stretch, speech inside it)
    for piece in pieces:
        if stretches and piece.start - stretches[-1][0].end < _HOLE_BRIDGE_S:
            last, spoken = stretches[-1]
            stretches[-1] = (Region(last.start, piece.end), spoken + piece.length)
        else:
            stretches.append((piece, piece.length))
    return [s for s, spoken in stretches if spoken >= min_s]


def _snap(words: list[Word], speech: list[Region]) -> list[Word]:
    """Move word edges that fall in silence onto the nearest speech edge.

    Whisper's word times drift by a few hundred milliseconds, most at the start of a
    chunk; the voice-activity regions are sample-accurate.
    """
    if not speech:
        return words

    edges = [e for r in speech for e in (r.start, r.end)]

    def clamp(t: float) -> float:
        if any(r.start <= t <= r.end for r in speech):
            return t
        return min(edges, key=lambda e: abs(e - t))

    out = []
    for w in words:
        start = clamp(w.start)
        end = max(clamp(w.end), start)
        out.append(Word(w.text, start, end, w.probability))
    return out


def finish(raw: list[tuple[str, list[Word]]], speech: list[Region]) -> Transcript:
    """Guard the decoded segments and join them into a Transcript."""
    words, dropped = _guard(raw, speech)
    words = _snap(words, speech)
    return Transcript("".join(w.text for w in words).strip(), tuple(words), tuple(dropped))
