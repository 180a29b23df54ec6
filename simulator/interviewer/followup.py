"""Choose the next question the way a second-round interviewer digs in (深掘り).

Deterministic and explainable: the first content finding (in the order given in
prompts/content.toml) whose follow-up has not been asked yet wins, otherwise the
question's own follow-ups in order. The reason is kept for the report.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Mapping

from simulator.judge.advice import shorten
from simulator.judge.confidence import Confidence
from simulator.judge.content import ContentAnalysis
from simulator.rules.bank import Question


@dataclass(frozen=True)
class FollowUp:
    question: Question
    trigger: str   # the finding that prompted it, or "question" for the question's own follow-up
    reason: str

    def to_dict(self) -> dict:
        q = self.question
        return {"id": q.id, "text": q.text, "trigger": self.trigger, "reason": self.reason,
                "intent": q.intent, "target_s": q.target_s, "rung": q.trigger}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any], questions: Mapping[str, Question]) -> FollowUp:
        """The bank's question when it still exists, with the words it was asked in (a company's
        own); a question built from the answer (dig.py) is rebuilt from what was stored."""
        q = questions.get(d["id"]) or Question(d["id"], d["text"], "followup", ("followup",), d.get("intent", ""),
                                               float(d.get("target_s", 45.0)), trigger=d.get("rung", ""))
        return cls(replace(q, text=d["text"]), d.get("trigger", ""), d.get("reason", ""))


def choose_followup(question: Question, content: ContentAnalysis, asked: set[str] | frozenset[str],
                    bank: dict[str, Question], rules: Mapping, templates: dict,
                    confidence: Confidence = Confidence()) -> FollowUp | None:
    """The follow-up to ask after `question`, never one already in `asked`; None ends the topic."""
    if question.type == "gyaku":
        return None
    by_trigger: dict[str, list[Question]] = {}
    for q in bank.values():
        if q.trigger:
            by_trigger.setdefault(q.trigger, []).append(q)
    reasons = templates["reason"]
    for trigger in rules["followup_triggers"]["order"]:
        found = content.issue(trigger)
        if found is None:
            continue
        for q in by_trigger.get(trigger, []):
            if q.id not in asked:
                reason = reasons[trigger].format(quote=confidence.mark(shorten(found.quote)), chars=content.chars,
                                                 **dict(found.extra))
                return FollowUp(q, trigger, reason)
    for fid in question.followups:
        if fid not in asked:
            return FollowUp(bank[fid], "question", reasons["question"].format(question=question.text))
    return None
