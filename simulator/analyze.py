"""One answer through the pipeline: audio → speech regions → transcript → metrics.

This is the library entry point (`Analyzer`) that the CLI, the practice loop and the
benchmarks share, so all of them measure exactly the same thing.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from . import audio, bank
from .asr import Transcriber, Transcript
from .bank import Question
from .delivery import DeliveryMetrics, measure
from .models import ModelInfo


@dataclass(frozen=True)
class AnswerAnalysis:
    """Everything measured about one answer; `to_dict()` is the one JSON schema."""

    file: str | None
    question_id: str | None
    question_text: str | None
    transcript: Transcript
    delivery: DeliveryMetrics
    model: ModelInfo | None = None

    def to_dict(self) -> dict:
        d = {"file": self.file, "question_id": self.question_id, "question": self.question_text,
             "transcript": self.transcript.text}
        d.update(self.delivery.to_dict())
        d["words"] = [w.to_dict() for w in self.transcript.words]
        d["dropped_segments"] = list(self.transcript.dropped)
        d["model"] = self.model.to_dict() if self.model else None
        return d


def resolve_question(id_or_text: str | None) -> tuple[Question | None, str | None]:
    """The bank question for an id or text; free text that is not in the bank is kept as is."""
    q = bank.find_question(id_or_text)
    return (q, q.text) if q else (None, id_or_text)


class Analyzer:
    """Analyses answers with one shared Transcriber."""

    def __init__(self, transcriber: Transcriber, model_info: ModelInfo | None = None) -> None:
        self.transcriber = transcriber
        self.model_info = model_info
        self.rules = bank.load("delivery")

    def analyze_samples(self, samples: np.ndarray, question: str | None = None,
                        file: str | None = None) -> AnswerAnalysis:
        q, text = resolve_question(question)
        speech = audio.speech_regions(samples)
        lvl = audio.level(samples, speech)
        transcript = self.transcriber.transcribe(samples, speech, text) if speech else Transcript("", ())
        metrics = measure(transcript, speech, audio.duration(samples), self.rules,
                          q.target_s if q else None, lvl)
        return AnswerAnalysis(file, q.id if q else None, text, transcript, metrics, self.model_info)

    def analyze_file(self, path: str | os.PathLike, question: str | None = None) -> AnswerAnalysis:
        return self.analyze_samples(audio.load_audio(path), question, file=str(path))
