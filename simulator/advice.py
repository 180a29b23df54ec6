"""Concrete advice in Japanese that quotes the user's own words (templates in prompts/advice.toml)."""

from __future__ import annotations

from .content import ContentAnalysis

_QUOTE_MAX = 40


def shorten(quote: str) -> str:
    q = quote.strip().rstrip("。、")
    return q if len(q) <= _QUOTE_MAX else q[:_QUOTE_MAX - 1] + "…"


def advise(c: ContentAnalysis, templates: dict, limit: int = 4) -> list[str]:
    """The few most useful pieces of advice, most important first."""
    def fill(template: str, quote: str) -> str:
        return template.format(quote=shorten(quote), chars=c.chars,
                               lead=templates["lead"].get(c.question_type or "followup", templates["lead"]["followup"]))

    out: list[str] = []
    if not c.conclusion_first and c.question_type != "gyaku" and c.sentences:
        out.append(fill(templates["issue"]["not_conclusion_first"], c.sentences[0]))
    for issue in c.issues:
        out.append(fill(templates["issue"][issue.id], issue.quote))
    shown = {i.id for i in c.issues}
    for finding in c.findings:
        if finding.id in templates["finding"] and not ("abstract" in shown and finding.id == "claim_without_numbers"):
            out.append(fill(templates["finding"][finding.id], finding.quote))
    return out[:limit] or [templates["good"]["all_clear"]]
