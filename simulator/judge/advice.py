"""Concrete advice in Japanese that quotes the user's own words (templates in prompts/advice.toml)."""

from __future__ import annotations

from typing import Mapping

from simulator.judge.confidence import Confidence
from simulator.judge.content import ContentAnalysis, Issue, in_scope

_QUOTE_MAX = 40


def shorten(quote: str) -> str:
    q = quote.strip().rstrip("。、")
    return q if len(q) <= _QUOTE_MAX else q[:_QUOTE_MAX - 1] + "…"


def lead(templates: dict, qtype: str | None, track: str | None) -> str:
    """The example first sentence for this question type, in the words of this track."""
    by_type = templates["lead"].get(qtype or "followup", templates["lead"]["followup"])
    if isinstance(by_type, str):
        return by_type
    return by_type.get(track or "*", by_type["*"])


def advise(c: ContentAnalysis, templates: dict, rules: Mapping, confidence: Confidence = Confidence(),
           limit: int = 4) -> list[str]:
    """The few most useful pieces of advice, most important first, only those that fit the question.

    Words heard unsurely are marked inside quotes, so a mishearing is never put in the
    user's mouth as if certain.
    """
    def fill(template: str, quote: str, extra: tuple[tuple[str, str], ...] = ()) -> str:
        return template.format(quote=confidence.mark(shorten(quote)), chars=c.chars,
                               lead=lead(templates, c.question_type, c.track), **dict(extra))

    def template(section: str, found: Issue) -> str | None:
        """A verdict judged against a company profile has its own words, naming the profile."""
        return templates["company"][found.id] if found.extra else templates[section].get(found.id)

    out: list[str] = []
    if not c.conclusion_first and in_scope("not_conclusion_first", c.question_type, c.track, rules) and c.sentences:
        out.append(fill(templates["issue"]["not_conclusion_first"], c.sentences[0]))
    for issue in c.issues:
        out.append(fill(template("issue", issue), issue.quote, issue.extra))
    shown = {i.id for i in c.issues}
    for finding in c.findings:
        words = template("finding", finding)
        if words and not ("abstract" in shown and finding.id == "claim_without_numbers"):
            out.append(fill(words, finding.quote, finding.extra))
    good = templates["good"]
    return out[:limit] or [good.get(c.question_type or "*", good["*"])]
