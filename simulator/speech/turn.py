"""When an answer is over: from the pause, how the voice ended and what was said.

A fixed silence either cuts a candidate who stops to think or leaves a finished answer
hanging. At each pause the required silence is looked up in prompts/turn.toml from two
readings: Smart Turn v3.2 (an audio end-of-turn model) on the last 8 s of audio, and the
state of the streamed transcript at that pause (a sign-off, a sentence that concludes
this kind of answer, a plain sentence, or an open clause). The model is asked once per
pause, on the recording loop's thread (about 50 ms on one core), never on PortAudio's
callback thread. At each pause (`glance_probability`), the streamed transcriber is asked
for a quick look at the last phrase, so that the words are read about 0.3 s after the
pause is heard.
"""

from __future__ import annotations

import importlib.util
import logging
import math
import re
import statistics
import threading
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache
from typing import Callable, Mapping, Protocol

import numpy as np

from simulator.lang.japanese import find_fillers, normalise, split_sentences, tokenize
from simulator.speech.audio import SAMPLE_RATE

log = logging.getLogger(__name__)


class EndState(StrEnum):
    """How an answer's words end at a pause (the keys of prompts/turn.toml's [wait])."""
    FINAL = "final"            # a sign-off: 以上です, よろしくお願いいたします
    CONCLUDED = "concluded"    # a closing sentence with the part that ends this kind of answer
    SENTENCE = "sentence"      # a plain sentence, after which more may follow
    OPEN = "open"              # mid-clause: a filler, a comma, 〜て
    PENDING = "pending"        # the words have not reached the pause yet
    RAMBLING = "rambling"      # not a reading: the interviewer took the turn back


STATES = tuple(s for s in EndState if s is not EndState.RAMBLING)
TAKE_BACK_AT = (EndState.FINAL, EndState.CONCLUDED, EndState.SENTENCE)   # where a rambling answer is taken back
SURE = (EndState.FINAL, EndState.CONCLUDED)   # words that end this kind of answer
RAMBLING = EndState.RAMBLING
MODEL_WINDOW_S = 8.0          # Smart Turn reads the last 8 s
_TAIL_CHARS = 40              # how an answer ends is in its last words; read 10 times a second
_FRESH_S = 0.4                # transcript ending this close to the VAD's speech end covers the pause
_PUNCT = "。、，,.!?！？…・「」 \u3000"


class Words(Protocol):
    """The streamed transcript, as the end-of-turn rule reads it (streaming.StreamingTranscriber)."""

    def partial(self) -> tuple[str, float] | None:
        """The text so far and the time, in seconds of audio, that it reaches."""

    def pause(self, speech_end_s: float) -> None:
        """The speaker seems to have finished at `speech_end_s`: transcribe up to there now."""


@dataclass(frozen=True, kw_only=True)
class TurnRules:
    probe_after_s: float
    complete_probability: float
    glance_probability: float
    closing_min_share: float
    final: tuple[re.Pattern, ...]
    closing: tuple[re.Pattern, ...]
    open: tuple[str, ...]
    wait: dict[EndState, tuple[float, float]]    # state → (complete, incomplete) seconds
    acknowledge: tuple[str, ...] = ()       # said as soon as an answer ends
    acknowledge_joined: str = ""            # said instead when the next question follows at once ...
    acknowledge_pause_s: float = 0.0        # ... this long after it, as one sound
    preface: tuple[re.Pattern, ...] = ()    # question forms that announce what follows: never final
    announce: re.Pattern | None = None      # "二点伺います": how many points will come
    point: re.Pattern | None = None         # "二点目は": one of them begun
    first_point: re.Pattern | None = None   # "一点目は": a second will come
    opener: tuple[re.Pattern, ...] = ()     # sign-offs said at the start too: final only later
    final_min_share: float = 0.0
    # question type → patterns for the part that ends that kind of answer ("default": the rest)
    concluding: dict[str, tuple[re.Pattern, ...]] = field(default_factory=dict)
    heard_as: tuple[tuple[str, str], ...] = ()   # (misheard, meant): base's usual mishearings
    asks: tuple[re.Pattern, ...] = ()            # a question put to the interviewer: final ...
    asks_types: frozenset[str] = frozenset()     # ... only in answer to these question types
    continuative: tuple[str, ...] = ()           # parts of speech whose 連用形 at the end leaves a clause open
    rambling_share: float = math.inf             # past this many times the target, a sentence end ...
    rambling_wait_s: float = 0.0                 # ... is taken back after this silence
    aizuchi_after_s: float = math.inf            # silence before a listening sound ...
    aizuchi_yield_s: float = 0.0                 # ... and after it, before the turn is taken
    aizuchi_paced_s: float = 0.0                 # or the candidate's usual pause between sentences, plus this
    aizuchi_paced_upto_s: float = 0.0            # (sentence pauses this long or longer are thinking, not pace)
    aizuchi_paced_after: int = 1                 # once this many sentence pauses are known
    aizuchi_sure_after_s: float = math.inf       # after words that end the answer: the reply's 「はい」 this soon
    aizuchi_states: frozenset[str] = frozenset()  # the text states whose finished-sounding pauses get one
    aizuchi_phrases: tuple[str, ...] = ()
    aizuchi_volume: float = 1.0
    barge_in_db: float = 0.0                     # the candidate's voice over the speaker: level to own level
    echo_margin_db: float = 0.0                  # ... or this much over the room's learned return of it
    echo_learn_after: int = 1                    # once this many of its sounds have been heard
    echo_floor_db: float = 0.0                   # ... but never lower than this
    echo_tail_s: float = 0.0                     # the speaker still heard in the room after it stops
    listen_on_s: float = 0.0                     # heard on this long after the end of the turn

    def rambling(self, answered_s: float, target_s: float | None, state: EndState) -> bool:
        """Whether the interviewer takes the turn back here: a sentence end of an answer
        that has run past `rambling_share` times its target. The words must say so: the
        voice alone cannot tell a comma from a full stop in fluent speech (both pauses
        0.35-0.65 s in the dev voices, Smart Turn 0.98 at either), so at a pause whose
        words come too late the answer simply goes on to the next."""
        return self.ran_long(answered_s, target_s) and state in TAKE_BACK_AT

    def ran_long(self, answered_s: float, target_s: float | None) -> bool:
        return bool(target_s) and answered_s >= self.rambling_share * target_s

    def concludes(self, sentence: str, question_type: str | None) -> bool:
        """Whether `sentence` says what ends an answer to this type of question."""
        for heard, meant in self.heard_as:
            sentence = sentence.replace(heard, meant)
        patterns = self.concluding.get(question_type or "default", self.concluding.get("default", ()))
        return any(p.search(sentence) for p in patterns)

    def wait_s(self, state: EndState, complete: bool) -> float:
        return self.wait[state][0 if complete else 1]


@lru_cache(maxsize=None)
def rules() -> TurnRules:
    """prompts/turn.toml, checked: a bad pattern or a missing wait names its file and line."""
    from simulator.rules.bank import PromptsError, load, prompt_line

    data = load("turn")

    def patterns(key: str, table: dict | None = None) -> tuple[re.Pattern, ...]:
        out = []
        for p in (table or data["text"])[key]:
            try:
                out.append(re.compile(p))
            except re.error as e:
                raise PromptsError(f"{prompt_line('turn', p)}: 正規表現が正しくありません（{e}）") from None
        return tuple(out)

    def pattern(key: str) -> re.Pattern:
        try:
            return re.compile(data["text"][key])
        except re.error as e:
            raise PromptsError(f"{prompt_line('turn', data['text'][key])}: 正規表現が正しくありません（{e}）") from None

    wait = {}
    for state in STATES:
        entry = data["wait"].get(state)
        if not isinstance(entry, Mapping) or not {"complete", "incomplete"} <= entry.keys():
            raise PromptsError(f"{prompt_line('turn', '[wait]')}: [wait] に {state} = "
                               "{{ complete = 秒, incomplete = 秒 }} がありません")
        wait[state] = (float(entry["complete"]), float(entry["incomplete"]))
    audio = data["audio"]
    parts = {name: patterns(name, data["text"]["parts"]) for name in data["text"]["parts"]}
    concluding = {}
    for kind, names in data["text"]["concluding"].items():
        unknown = [n for n in names if n not in parts]
        if unknown:
            raise PromptsError(f"{prompt_line('turn', kind + ' =')}: [text.parts] にない部分です（{', '.join(unknown)}）")
        concluding[kind] = tuple(p for n in names for p in parts[n])
    heard_as = tuple((normalise(h), normalise(meant)) for meant, heard in load("content")["asr_variants"].items()
                     for h in heard)
    text = data["text"]
    return TurnRules(
        probe_after_s=float(audio["probe_after_s"]), complete_probability=float(audio["complete_probability"]),
        glance_probability=float(audio["glance_probability"]), closing_min_share=float(text["closing_min_share"]),
        final=patterns("final"), closing=patterns("closing"), open=tuple(text["open"]), wait=wait,
        acknowledge=tuple(data["acknowledge"]["phrases"]), acknowledge_joined=str(data["acknowledge"]["before_question"]),
        acknowledge_pause_s=float(data["acknowledge"]["pause_s"]),
        preface=patterns("preface"),
        announce=pattern("announce"), point=pattern("point"), first_point=pattern("first_point"),
        opener=patterns("opener"), final_min_share=float(text["final_min_share"]), concluding=concluding,
        heard_as=heard_as, asks=patterns("asks"), asks_types=frozenset(text["asks_types"]),
        continuative=tuple(text["continuative"]), rambling_share=float(data["rambling"]["after_share"]),
        rambling_wait_s=float(data["rambling"]["wait_s"]), **_aizuchi(data["aizuchi"]))


def _aizuchi(table: Mapping) -> dict:
    from simulator.rules.bank import PromptsError, prompt_line

    unknown = set(table["states"]) - set(STATES)
    if unknown:
        raise PromptsError(f"{prompt_line('turn', 'states =')}: [aizuchi] states は {', '.join(STATES)} "
                           f"から選びます（{', '.join(sorted(unknown))}）")
    return {"aizuchi_after_s": float(table["after_s"]), "aizuchi_yield_s": float(table["yield_s"]),
            "aizuchi_paced_s": float(table["paced_margin_s"]), "aizuchi_paced_upto_s": float(table["paced_upto_s"]),
            "aizuchi_sure_after_s": float(table["sure_after_s"]), "aizuchi_paced_after": int(table["paced_after"]),
            "aizuchi_states": frozenset(table["states"]), "aizuchi_phrases": tuple(table["phrases"]),
            "aizuchi_volume": float(table["volume"]), "barge_in_db": float(table["barge_in_db"]),
            "echo_margin_db": float(table["echo_margin_db"]), "echo_learn_after": int(table["echo_learn_after"]),
            "echo_floor_db": float(table["echo_floor_db"]),
            "echo_tail_s": float(table["echo_tail_s"]), "listen_on_s": float(table["listen_on_s"])}


def text_state(text: str, answered_s: float, target_s: float | None, r: TurnRules | None = None,
               question_type: str | None = None) -> EndState:
    """What the words so far say about the end of the answer: final, concluded, sentence
    or open. A question put to the interviewer is final only in answer to the reverse
    question (`asks_types`). A sentence in a closing form is `concluded` when it also says the part that
    ends this type of answer (a strength's use at the company, a failure's lesson); without
    it, it is a sentence like any other, after which more may follow."""
    r = r or rules()
    raw = normalise(text[-_TAIL_CHARS:]).rstrip(" \u3000")
    core = raw.rstrip(_PUNCT)
    if not core or raw[-1:] in "、,，":
        return EndState.OPEN
    tokens = tokenize(core)
    fillers = find_fillers(core, tokens)
    if fillers and fillers[-1].end >= len(core):
        return EndState.OPEN
    finals = r.final + (r.asks if question_type in r.asks_types else ())
    if any(p.search(core) for p in finals) and not any(p.search(core) for p in r.preface) \
            and not _points_left(normalise(text), r):
        opening = answered_s < r.final_min_share * (target_s or 0.0)
        if not (opening and any(p.search(_last_sentence(core)) for p in r.opener)):
            return EndState.FINAL
        return EndState.SENTENCE
    last = next((t for t in reversed(tokens) if not t.is_punct), None)
    if core.endswith(r.open) or (last is not None and last.pos in r.continuative and last.form.startswith("連用")):
        return EndState.OPEN
    if any(p.search(core) for p in r.closing) and answered_s >= r.closing_min_share * (target_s or 0.0):
        if r.concludes(_last_sentence(core), question_type) and not _points_left(normalise(text), r):
            return EndState.CONCLUDED
    return EndState.SENTENCE


def _last_sentence(core: str) -> str:
    """The last sentence of `core` (which has no final punctuation)."""
    return (split_sentences(core) or [""])[-1]


_COUNTS = {"二": 2, "2": 2, "２": 2, "三": 3, "3": 3, "３": 3, "四": 4, "4": 4, "４": 4, "いくつか": 2, "何点か": 2}


def _points_left(text: str, r: TurnRules) -> bool:
    """Whether the answer announced more points than it has begun (二点伺います … 一点目は …)."""
    if r.announce is None or r.point is None:
        return False
    m = r.announce.search(text)
    if m is not None:
        return len(r.point.findall(text[m.end():])) < _COUNTS.get(m.group(1), 2)
    first = r.first_point.search(text) if r.first_point is not None else None
    return first is not None and len(r.point.findall(text[first.start():])) < 2


class SmartTurn:
    """Smart Turn v3.2 (pipecat-ai, BSD-2-Clause): P(turn complete) from the last 8 s.

    The ONNX file and its feature extractor come from the installed pipecat-ai wheel; the
    file is copied into the user cache with its sha256 checked, like the embedded Whisper
    model. pipecat itself is never imported (its import takes a second and logs a banner).
    Loading starts at once in the background; a failure is logged and the answers then
    end on the words alone.
    """

    def __init__(self) -> None:
        self._session = None
        self._features = None
        self._ready = threading.Event()
        threading.Thread(target=self._load, name="smart-turn", daemon=True).start()

    def _load(self) -> None:
        from simulator.speech.models import ModelError, smart_turn_files

        try:
            import onnxruntime as ort

            onnx_path, features_path = smart_turn_files()
            spec = importlib.util.spec_from_file_location("_smart_turn_features", features_path)
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            so = ort.SessionOptions()
            so.intra_op_num_threads = 1   # Whisper has the other threads
            so.inter_op_num_threads = 1
            so.log_severity_level = 3
            self._session = ort.InferenceSession(str(onnx_path), sess_options=so,
                                                 providers=["CPUExecutionProvider"])
            self._features = module.compute_whisper_log_mel_features
        except (ImportError, OSError, ModelError) as e:
            log.warning("話し終わりの判定モデルを読み込めませんでした（%s）。言葉だけで判定します", e)
        finally:
            self._ready.set()

    def probability(self, samples: np.ndarray) -> float | None:
        """P(complete) for audio ending now; None when the model is unavailable."""
        self._ready.wait()
        if self._session is None:
            return None
        n = int(MODEL_WINDOW_S * SAMPLE_RATE)
        x = samples[-n:]
        x = np.pad(x, (n - len(x), 0)) if len(x) < n else x
        features = self._features(x.astype(np.float32), do_normalize=True)[None]
        return float(np.asarray(self._session.run(None, {"input_features": features})[0]).reshape(-1)[0])


@dataclass(frozen=True)
class TurnDecision:
    """Why an answer ended: kept with the answer for the record and the benchmark."""

    state: EndState
    probability: float | None
    wait_s: float      # the silence the rule asked for
    silence_s: float   # the silence when it was decided (later than wait_s while the words were pending)
    ending: str = ""   # the last words read, when they had reached the pause
    aizuchi: bool = False   # a listening sound was said at this pause, and the candidate did not go on

    def to_dict(self) -> dict:
        return {"state": self.state, "probability": None if self.probability is None else round(self.probability, 3),
                "wait_s": round(self.wait_s, 2), "silence_s": round(self.silence_s, 2), "ending": self.ending,
                "aizuchi": self.aizuchi}


class AnswerTurn:
    """End-of-turn state for one answer; `Endpointer` asks it how long this pause must last.

    `cue` starts the interviewer's listening sound (相槌) and returns its length in
    seconds, or None when it cannot be said; without it every pause waits out its table."""

    def __init__(self, model: SmartTurn | None, target_s: float | None, words: Words | None,
                 r: TurnRules | None = None, question_type: str | None = None,
                 cue: Callable[[], float | None] | None = None) -> None:
        self.model, self.target_s, self.words, self.question_type = model, target_s, words, question_type
        self.rules = r or rules()
        self.cue = cue
        self._probed_for: float | None = None
        self._probability: float | None = None
        self._unread: float | None = None   # a pause of a rambling answer whose words were late
        self._cued: tuple[float, float] | None = None   # (pause, silence when its 相槌 ends)
        self.cues: list[float] = []   # where each 相槌 began, seconds of the recording's audio
        self.decision: TurnDecision | None = None
        self._pause: tuple[float, EndState, float] | None = None   # (end of speech, state read, longest silence)
        self.sentence_pauses: list[float] = []   # how long this candidate paused between sentences, and went on

    def required_silence(self, tail: np.ndarray, speech_end_s: float, answered_s: float, silence_s: float) -> float:
        """Seconds of silence this pause needs before the answer ends (inf: not yet known).

        `answered_s`: from the first speech to this pause, pauses included."""
        if self._took_back_late(answered_s, silence_s):
            return 0.0
        if silence_s < self.rules.probe_after_s:
            return math.inf
        if self._probed_for != speech_end_s:   # a new pause: ask the voice once
            self._went_on_after()
            self._probed_for = speech_end_s
            self._probability = self.model.probability(tail) if self.model else None
            if self.words and (self._probability is None or self._probability >= self.rules.glance_probability):
                self.words.pause(speech_end_s)
        p = self._probability
        complete = True if p is None else p >= self.rules.complete_probability
        state, ending = EndState.PENDING, ""
        said = self.words.partial() if self.words else None
        if said is not None and said[1] >= speech_end_s - _FRESH_S:
            state, ending = text_state(said[0], answered_s, self.target_s, self.rules, self.question_type), said[0][-12:]
        wait = self.rules.wait_s(state, complete)
        if self.rules.rambling(answered_s, self.target_s, state):
            state, wait = RAMBLING, min(wait, self.rules.rambling_wait_s)
        ran_long = self.rules.ran_long(answered_s, self.target_s)
        self._unread = speech_end_s if state == EndState.PENDING and ran_long else None
        cued = self._yield_after(speech_end_s, silence_s, state, complete and not ran_long, wait)
        if cued is not None:
            wait = cued
        self.decision = TurnDecision(state, p, wait, silence_s, ending, aizuchi=cued is not None)
        self._pause = (speech_end_s, state, silence_s)
        return wait

    def _went_on_after(self) -> None:
        """The candidate spoke again after the last pause: if it followed a sentence, its
        length is this candidate's pace between sentences."""
        if self._pause is not None and self._pause[1] == EndState.SENTENCE \
                and self._pause[2] < self.rules.aizuchi_paced_upto_s:
            self.sentence_pauses.append(self._pause[2])
        self._pause = None

    def aizuchi_after_s(self) -> float:
        """The silence after a sentence before the 相槌: `aizuchi_after_s`, or longer for a
        candidate who pauses longer between sentences (a person listening waits out the
        speaker's own rhythm): their median pause so far plus `aizuchi_paced_s`, once
        `aizuchi_paced_after` are known (one thinking pause is not a rhythm)."""
        r = self.rules
        if len(self.sentence_pauses) < r.aizuchi_paced_after:
            return r.aizuchi_after_s
        return max(r.aizuchi_after_s, statistics.median(self.sentence_pauses) + r.aizuchi_paced_s)

    def _yield_after(self, speech_end_s: float, silence_s: float, state: str, finished: bool,
                     wait: float) -> float | None:
        """The silence this pause needs once the interviewer has said its 相槌 here (saying
        it when the pause has lasted `aizuchi_after_s()`), or None when it gets none: a pause
        that does not sound finished, words that leave the answer open, a wait that is
        shorter anyway. Only one per pause: the candidate going on starts a new one."""
        r = self.rules
        if self._cued is not None and self._cued[0] == speech_end_s:
            if state in SURE:
                return wait
            # words read after the 相槌 that leave the answer open keep the interviewer listening
            return min(wait, self._cued[1] + r.aizuchi_yield_s) if state in r.aizuchi_states else None
        if self.cue is None or not finished:
            return None
        if state in SURE:
            # The words end the answer: the reply's 「はい」 starts before the turn is sure,
            # as a person's does; should the candidate go on, it was a 相槌.
            if silence_s < r.aizuchi_sure_after_s or wait <= r.aizuchi_sure_after_s:
                return None
            return None if self._say_aizuchi(speech_end_s, silence_s) is None else wait
        after_s = self.aizuchi_after_s()
        if state not in r.aizuchi_states or wait <= after_s + r.aizuchi_yield_s or silence_s < after_s:
            return None
        length = self._say_aizuchi(speech_end_s, silence_s)
        return None if length is None else min(wait, silence_s + length + r.aizuchi_yield_s)

    def _say_aizuchi(self, speech_end_s: float, silence_s: float) -> float | None:
        """Say the listening sound now, noted for this pause; its length, or None when it cannot be said."""
        length = self.cue()
        if length is not None:
            self._cued = (speech_end_s, silence_s + length)
            self.cues.append(speech_end_s + silence_s)
        return length

    def _took_back_late(self, answered_s: float, silence_s: float) -> bool:
        """Whether the words of a rambling answer's last pause, read only after the
        candidate went on, show that it was a sentence end: then the interviewer takes the
        turn back now, as a person does a moment after such a sentence. On two CPU cores
        the words of a pause in a long answer come 1-2 s late, after the 0.4-0.7 s that
        fluent speech pauses between sentences."""
        said = self.words.partial() if self.words and self._unread is not None else None
        if said is None or said[1] < self._unread - _FRESH_S:
            return False
        self._unread = None
        state = text_state(said[0], answered_s, self.target_s, self.rules, self.question_type)
        if not self.rules.rambling(answered_s, self.target_s, state):
            return False
        self.decision = TurnDecision(RAMBLING, self._probability, 0.0, silence_s, said[0][-12:])
        return True
