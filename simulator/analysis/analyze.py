"""One answer through the pipeline: audio → speech regions → transcript → metrics → review.

This is the library entry point (`Analyzer`, `review`) that the CLI, the practice loop
and the benchmarks share, so all of them measure exactly the same thing.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, replace
from typing import Any, Mapping

import numpy as np

from simulator.interviewer import dig
from simulator.interviewer.followup import FollowUp, choose_followup
from simulator.judge import fit
from simulator.judge.advice import advise
from simulator.judge.company import CompanyProfile
from simulator.judge.confidence import Confidence
from simulator.judge.consistency import Fact, extract_facts
from simulator.judge.content import ContentAnalysis, analyze_content
from simulator.judge.delivery import DeliveryMetrics, measure
from simulator.lang.japanese import count_mora, normalise
from simulator.rules import bank
from simulator.rules.bank import Question
from simulator.speech import audio
from simulator.speech.asr import Transcriber, Transcript, Word
from simulator.speech.audio import Region
from simulator.speech.models import ModelInfo
from simulator.speech.streaming import StreamingTranscriber
from simulator.speech.voice import VoiceMetrics, analyze_voice


@dataclass(frozen=True)
class Review:
    """What an interviewer makes of the words: content, advice and the next question."""

    content: ContentAnalysis
    advice: tuple[str, ...]
    followup: FollowUp | None
    facts: tuple[Fact, ...] = ()

    def to_dict(self) -> dict:
        """The review's keys of the analysis JSON: content (with advice), follow-up, facts."""
        return {"content": {**self.content.to_dict(), "advice": list(self.advice)},
                "followup": self.followup.to_dict() if self.followup else None,
                "facts": [f.to_dict() for f in self.facts]}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Review:
        """Read back the review keys of an analysis's JSON."""
        content = d.get("content") or {}
        followup = FollowUp.from_dict(d["followup"], bank.questions()) if d.get("followup") else None
        return cls(ContentAnalysis.from_dict(content), tuple(content.get("advice", [])), followup,
                   tuple(Fact.from_dict(f) for f in d.get("facts", [])))


@dataclass(frozen=True)
class AnswerAnalysis:
    """Everything measured about one answer; `to_dict()` is the one JSON schema."""

    file: str | None
    question_id: str | None
    question_text: str | None
    transcript: Transcript
    delivery: DeliveryMetrics | None   # None for a written draft
    review: Review
    model: ModelInfo | None = None
    voice: VoiceMetrics | None = None
    original_transcript: str | None = None   # what Whisper heard, once the user corrected `transcript`

    @property
    def content(self) -> ContentAnalysis:
        return self.review.content

    @property
    def corrected(self) -> bool:
        return self.original_transcript is not None

    def to_dict(self) -> dict:
        d = {"file": self.file, "question_id": self.question_id, "question": self.question_text,
             "transcript": self.transcript.text}
        if self.delivery:
            d.update(self.delivery.to_dict())
        d.update(self.review.to_dict())
        if self.delivery:
            d["words"] = [w.to_dict() for w in self.transcript.words]
            d["dropped_segments"] = list(self.transcript.dropped)
            d["holes"] = [h.to_dict() for h in self.transcript.holes]
            d["model"] = self.model.to_dict() if self.model else None
            d["voice"] = self.voice.to_dict() if self.voice else None
        if self.corrected:
            d.update(corrected=True, transcript_original=self.original_transcript)
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> AnswerAnalysis:
        """The inverse of `to_dict()` (figures keep the rounding they were stored with)."""
        transcript = Transcript(d.get("transcript", ""), tuple(Word.from_dict(w) for w in d.get("words", [])),
                                tuple(d.get("dropped_segments", [])),
                                tuple(audio.Region.from_dict(h) for h in d.get("holes", [])))
        spoken = "duration_s" in d
        return cls(d.get("file"), d.get("question_id"), d.get("question"), transcript,
                   DeliveryMetrics.from_dict(d) if spoken else None, Review.from_dict(d),
                   ModelInfo.from_dict(d["model"]) if d.get("model") else None,
                   VoiceMetrics.from_dict(d["voice"]) if d.get("voice") else None,
                   d.get("transcript_original") if d.get("corrected") else None)


def find_question(id_or_text: str | None) -> Question | None:
    """A bank question by id, by its text, or of the same kind (prompts/question_hints.toml)."""
    if not id_or_text:
        return None
    questions = bank.questions()
    if id_or_text in questions:
        return questions[id_or_text]
    key = normalise(id_or_text).strip().rstrip("。？?")
    for q in questions.values():
        if normalise(q.text).strip().rstrip("。？?") == key:
            return q
    for pattern, qid in bank.load("question_hints")["hints"]:
        if re.search(pattern, key):
            return questions[qid]
    return None


def resolve_question(id_or_text: str | None) -> tuple[Question | None, str | None]:
    """The bank question for an id or text, and the text to show Whisper (the words actually asked)."""
    q = find_question(id_or_text)
    if q is None:
        return None, id_or_text
    return q, (q.text if id_or_text == q.id else id_or_text)


def review(text: str, question: Question | None, asked: frozenset[str] = frozenset(),
           track: str | None = None, confidence: Confidence = Confidence(),
           company: CompanyProfile | None = None, spoken_s: float | None = None,
           topic: dig.Topic | None = None) -> Review:
    """Content analysis, advice and follow-up for a transcript or a written draft.

    `confidence` names the words heard unsurely: advice and follow-up reasons mark them
    where they quote the user, and facts built on an unsure figure are flagged.
    `company`: the user's profile of the company practised for; the motivation, reverse
    questions and required skills are judged against it, and follow-ups use its words.
    `spoken_s`: seconds of speech of an answer whose transcript has holes (length is
    then judged from the time, not from the words heard).
    `topic`: the main question and the earlier answers when `text` answers a follow-up;
    the next follow-up digs on from them (dig.py). A main question is a topic of its own.
    """
    content = analyze_content(text, question, bank.load("content"), track, spoken_s)
    if company is not None:
        content = fit.judge(content, text, company, bank.load("company"), bank.load("content"))
        question = fit.word(question, company, bank.load("company")) if question else None   # as it was asked
    templates = bank.load("advice")
    followup = _next_question(text, question, content, asked, confidence, templates, topic)
    if followup is not None and company is not None:
        extra = dict(found.extra) if (found := content.issue(followup.trigger)) else {}
        followup = replace(followup, question=fit.word(followup.question, company, bank.load("company"), extra,
                                                       track))
    facts = tuple(replace(f, uncertain=confidence.touches(f.quote, figures_only=True))
                  for f in extract_facts(text, bank.load("consistency")))
    return Review(content, tuple(advise(content, templates, bank.load("content"), confidence)), followup, facts)


def _next_question(text: str, question: Question | None, content: ContentAnalysis, asked: frozenset[str],
                   confidence: Confidence, templates: dict, topic: dig.Topic | None) -> FollowUp | None:
    """The interviewer's next question: a stock probe when the answer is too short to dig
    into (or misses the posting's skill), else the next rung of the topic's ladder, else
    (a type with no ladder, or an unknown topic) the question's stock follow-ups."""
    if question is None:
        return None
    stock = lambda: choose_followup(question, content, asked, bank.questions(), bank.load("content"),  # noqa: E731
                                    templates, confidence)
    if topic is None:
        if question.type == "followup":
            return stock()
        topic = dig.Topic(question)
    turns = (*topic.turns, dig.Turn.of(question, text, content.issue("blame") is not None))
    found = dig.claims([text], question.type, confidence)
    skill = content.issue("skill_not_shown") and "fu_company_skill" not in asked
    # a strength word with no episode and no figure is dug into before the posting's skill
    abstract = content.issue("abstract") or (not content.has_numbers and any(c.kind == "strength" for c in found))
    # Too short to dig into (no claim to pick up), a 短所 the job needs daily, a plan with
    # no goal in it (its 五年後 covers the goal rung in words only), or the posting's skill
    # not shown: a stock probe.
    if len(turns) == 1 and (content.issue("tansho_collides") or content.issue("vague_plan") or (skill and not abstract)
                            or (content.issue("too_short") and not found)):
        return stock()
    try:
        nxt = dig.next_followup(replace(topic, turns=turns), frozenset(content.issue_ids)
                                | frozenset(f.id for f in content.findings), confidence)
    except KeyError:   # no ladder for this type
        return stock()
    return nxt if nxt is not None or not skill else stock()


def analyze_text(text: str, question: str | Question | None = None, track: str | None = None,
                 company: CompanyProfile | None = None, asked: frozenset[str] = frozenset(),
                 topic: dig.Topic | None = None) -> AnswerAnalysis:
    """A written draft or a typed answer: content and follow-up, no audio and no model."""
    if isinstance(question, Question):
        q, qtext = question, question.text
    else:
        q, qtext = resolve_question(question)
    return AnswerAnalysis(None, q.id if q else None, qtext, Transcript(text.strip(), ()), None,
                          review(text, q, asked, track=track, company=company, topic=topic))


class Analyzer:
    """Analyses spoken answers with one shared Transcriber."""

    def __init__(self, transcriber: Transcriber, model_info: ModelInfo | None = None) -> None:
        self.transcriber = transcriber
        self.model_info = model_info
        self.rules = bank.delivery()
        count_mora("準備")  # load the reading dictionary now, not after the first answer

    def analyze_samples(self, samples: np.ndarray, question: str | None = None, file: str | None = None,
                        asked: frozenset[str] = frozenset(), streamed: StreamingTranscriber | None = None,
                        track: str | None = None, company: CompanyProfile | None = None,
                        topic: dig.Topic | None = None) -> AnswerAnalysis:
        """`streamed`, fed with exactly `samples`, has already transcribed most of the answer;
        `topic`: the earlier answers when this one answers a follow-up (see `review`)."""
        q, text = resolve_question(question)
        if streamed is not None:
            transcript, speech = streamed.finish()
        else:
            speech = audio.speech_regions(samples)
            transcript = self.transcriber.transcribe(samples, speech, text) if speech else Transcript("", ())
        transcript, speech = self._candidate_only(samples, transcript, speech)
        lvl = audio.level(samples, speech)
        metrics = measure(transcript, speech, audio.duration(samples), self.rules,
                          q.target_s if q else None, lvl)
        voice = (analyze_voice(samples, speech, transcript.words, metrics.speech_start_s, metrics.longest_pause_s,
                               bank.load("voice"), self.rules) if speech else None)
        confidence = Confidence.of(transcript.words, bank.confidence())
        spoken = metrics.speech_s if transcript.holes else None
        return AnswerAnalysis(file, q.id if q else None, text, transcript, metrics,
                              review(transcript.text, q, asked, track, confidence, company, spoken, topic),
                              self.model_info, voice)

    def _candidate_only(self, samples: np.ndarray, transcript: Transcript, speech: list[Region]
                        ) -> tuple[Transcript, list[Region]]:
        """The answer without a far voice in the room (a television, someone next door):
        its speech leaves the span, pace and pauses, and its words the transcript."""
        r = self.rules.background
        near = audio.near_speech(samples, speech, r.far_db, r.lead_s, r.tail_s)
        if near == speech:
            return transcript, speech

        def inside(a: float, b: float) -> bool:
            return any(n.start - 0.1 <= (a + b) / 2 <= n.end + 0.1 for n in near)

        words = tuple(w for w in transcript.words if inside(w.start, w.end))
        holes = tuple(h for h in transcript.holes if inside(h.start, h.end))
        return (Transcript("".join(w.text for w in words).strip(), words, transcript.dropped, holes), near)

    def analyze_file(self, path: str | os.PathLike, question: str | None = None, track: str | None = None,
                     company: CompanyProfile | None = None) -> AnswerAnalysis:
        return self.analyze_samples(audio.load_audio(path), question, file=str(path), track=track, company=company)
