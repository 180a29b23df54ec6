"""A transcript the user corrected: the words judged again, the audio's timing kept.

Base mishears words (御社→温者) and figures (200万円→100万円); the user knows what they
said. The content verdicts, advice, follow-up and consistency facts are recomputed from
the corrected text, the first transcript is kept beside it, and the answer is marked as
corrected. Delivery (length, pace, fillers, pauses, voice) stays as measured on the
audio: those come from the sound, not from the words' spelling.
"""

from __future__ import annotations

from dataclasses import replace

from simulator.analysis.analyze import review
from simulator.analysis.record import SavedAnswer
from simulator.errors import MensetsuError
from simulator.judge.company import CompanyProfile
from simulator.rules import bank

MAX_CHARS = 5000   # ten minutes of speech; anything longer is not a transcript


class CorrectionError(MensetsuError):
    pass


def correct(answer: SavedAnswer, text: str, track: str | None = None,
            asked: frozenset[str] = frozenset(), company: CompanyProfile | None = None) -> SavedAnswer:
    """`answer` with `text` as what was said; `asked` are the session's other questions,
    `company` the profile the session was practised for."""
    if answer.analysis is None:
        raise CorrectionError("この回答は分析されていないため、文字起こしを直せません")
    text = " ".join(text.split())
    if not text:
        raise CorrectionError("直した文字起こしが空です")
    if len(text) > MAX_CHARS:
        raise CorrectionError(f"文字起こしが長すぎます（{MAX_CHARS} 文字まで）")
    question = bank.questions().get(answer.question_id)
    # typed by the user: nothing in it is unsure any more
    judged = review(text, question, asked - {answer.question_id}, track, company=company)
    a = answer.analysis
    # the words keep their audio timing: they are what was heard, for click-to-hear and fillers
    analysis = replace(a, transcript=replace(a.transcript, text=text), review=judged,
                       original_transcript=a.original_transcript if a.corrected else a.transcript.text)
    return replace(answer, analysis=analysis)
