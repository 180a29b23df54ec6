"""The interviewer's conclusion after a session: 再現性, フィット, 本気度, and red flags.

A second-round interviewer does not add up faults; they decide three things — can this
person do it again here, will they fit, do they mean it — and remember what made them
think so. Each is answered here with the candidate's own words: the evidence for and
against (prompts/assessment.toml says which signal counts where), a verdict from the
balance of the two, and the red flags (他責, a contradiction, no reverse question) that
outweigh a good score. Built from saved answers alone, so the terminal summary, the
report and the web review give the same conclusion for a session.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache

from simulator.analysis.record import SavedAnswer
from simulator.interviewer import dig
from simulator.judge.advice import shorten
from simulator.judge.consistency import Conflict
from simulator.judge.content import ContentAnalysis
from simulator.present.summary import topic_depths
from simulator.rules import bank
from simulator.rules.bank import PromptsError, Question, prompt_line


class Signal(StrEnum):
    """The interview's own evidence, beside the content verdicts (labels.toml [issues])."""

    STORY_HELD = "story_held"             # a topic answered concretely on every rung asked
    STORY_GAVE_WAY = "story_gave_way"     # a topic where the story gave way under 深掘り
    RUNG_HELD = "rung_held"               # one follow-up answered with what it asked for
    PROCESS_SHOWN = "process_shown"       # an experience told with the candidate's own way of doing it
    OWN_ROLE = "own_role"                 # the candidate's own part in a team said plainly
    VALUES_SHOWN = "values_shown"         # how they work with people, with an episode
    SPECIFIC_MOTIVATION = "specific_motivation"
    CONCRETE_PLAN = "concrete_plan"
    WORK_QUESTION = "work_question"       # a reverse question about the work itself
    RESEARCHED_QUESTION = "researched_question"   # one that builds on what the company published
    CONTRADICTION = "contradiction"


class Verdict(StrEnum):
    STRONG = "strong"
    MIXED = "mixed"
    WEAK = "weak"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Evidence:
    signal: str
    good: bool
    says: str                  # in Japanese, quoting the candidate
    red_flag: bool = False


@dataclass(frozen=True)
class Axis:
    id: str
    label: str                 # 再現性
    question: str              # 入社後も同じように成果を出せそうか
    verdict: Verdict
    verdict_label: str
    evidence: tuple[Evidence, ...]


@dataclass(frozen=True)
class Assessment:
    axes: tuple[Axis, ...]
    red_flags: tuple[Evidence, ...]

    @property
    def judged(self) -> bool:
        return any(a.evidence for a in self.axes)


@dataclass(frozen=True)
class _Rule:
    signal: str
    axis: str
    good: bool
    says: str
    red_flag: bool


@lru_cache(maxsize=None)
def rules(folder: str | None = None) -> tuple[dict, dict[str, _Rule]]:
    """prompts/assessment.toml (or `folder`'s), checked: every signal is known, every axis exists."""
    data = bank.load("assessment", folder)
    axes = data.get("axis", {})
    known = set(Signal) | set(bank.load("labels")["issues"])
    out: dict[str, _Rule] = {}
    for e in data.get("evidence", []):
        signal = e.get("signal", "")
        where = prompt_line("assessment", f'signal = "{signal}"', folder)
        if signal not in known:
            raise PromptsError(f"{where}: signal {signal!r} は labels.toml [issues] にも assessment.py の Signal にもありません")
        if e.get("axis") not in axes:
            raise PromptsError(f"{where}: axis {e.get('axis')!r} は [axis.…] にありません")
        for key in ("good", "says"):
            if key not in e:
                raise PromptsError(f"{where}: {key} がありません")
        out[signal] = _Rule(signal, e["axis"], bool(e["good"]), e["says"], bool(e.get("red_flag", False)))
    for axis_id, axis in axes.items():
        for key in ("label", "question"):
            if key not in axis:
                raise PromptsError(f"{prompt_line('assessment', f'[axis.{axis_id}]', folder)}: {key} がありません")
    missing = set(Verdict) - set(data.get("verdict", {}))
    if missing:
        raise PromptsError(f"{prompt_line('assessment', '[verdict]', folder)}: {', '.join(sorted(missing))} がありません")
    return data, out


def _sentence(c: ContentAnalysis, element: str) -> str:
    found = next((e for e in c.elements if e.name == element), None)
    return c.sentences[found.sentence] if found and found.sentence < len(c.sentences) else ""


def _signals(answers: list[SavedAnswer], conflicts: list[Conflict]) -> list[tuple[str, str, dict]]:
    """(signal, quote, slots) for everything the session showed, in the order said."""
    content = bank.load("content")
    out: list[tuple[str, str, dict]] = []
    for main, depth in topic_depths(answers):
        if depth.asked and main.analysis and main.analysis.content.sentences:
            slots = {"asked": depth.asked, "held": depth.held, "rung": depth.gave_way or ""}
            out.append((Signal.STORY_GAVE_WAY if depth.gave_way else Signal.STORY_HELD,
                        main.analysis.content.sentences[0], slots))
    mains = {a.question_id: a for a in answers if a.parent_id is None}
    for a in answers:
        if a.analysis is None or a.unheard:
            continue
        c = a.analysis.content
        main = mains.get(a.parent_id or a.question_id)
        qtype = main.analysis.content.question_type if main and main.analysis else c.question_type
        for found in c.issues:   # findings are leads for a follow-up, not faults
            out.append((found.id, found.quote, {}))
        if a.parent_id is not None:
            turn = dig.Turn.of(Question(a.question_id, a.question, "followup", ()), a.analysis.transcript.text,
                               c.issue("blame") is not None)
            if turn.rung and c.sentences and dig.answered(turn.rung, turn.text, turn.blamed):
                out.append((Signal.RUNG_HELD, c.sentences[0], {"rung": dig.rules().rungs[turn.rung].label}))
            continue   # what a type of answer shows is read from the main answer
        experience = qtype in content["scope"]["experience"]
        action = _sentence(c, "action")
        if experience and action and (c.has_numbers or c.process_words) and not c.has("result_without_process"):
            out.append((Signal.PROCESS_SHOWN, action, {}))
        # a team story in which the candidate's own part is said (「私は〜を担当しました」)
        spec = content["followup_triggers"]
        team = any(re.search(p, s) for p in spec["team"] for s in c.sentences)
        role = next((s for s in c.sentences if any(re.search(p, s) for p in spec["own_role"])), "")
        if (team or qtype == "team") and role and not c.has("vague_team"):
            out.append((Signal.OWN_ROLE, role, {}))
        first = c.sentences[0] if c.sentences else ""
        if qtype in ("kachikan", "team") and c.conclusion_first and _sentence(c, "example"):
            out.append((Signal.VALUES_SHOWN, first, {}))
        if qtype == "shibou" and not c.has("generic_motivation") and not c.has("swap_passes") and first:
            named = c.company.used[0].text if c.company and c.company.used else None
            if named or c.company is None:
                out.append((Signal.SPECIFIC_MOTIVATION, named or first, {}))
        if qtype == "career_plan" and c.conclusion_first and (c.has_numbers or _sentence(c, "action")) \
                and not c.has("vague_plan"):
            out.append((Signal.CONCRETE_PLAN, first, {}))
        if qtype == "gyaku" and c.questions_asked and not any(
                c.has(i) for i in ("no_reverse_question", "conditions_only", "answered_by_company_info")):
            researched = next((f.quote for f in c.findings if f.id == Signal.RESEARCHED_QUESTION), None)
            out.append((Signal.RESEARCHED_QUESTION, researched, {}) if researched
                       else (Signal.WORK_QUESTION, c.questions_asked[0], {}))
    for conflict in conflicts:
        if conflict.uncertain:
            continue   # one side may be a mishearing: the report asks to listen, no verdict
        first, second = conflict.first, conflict.second
        out.append((Signal.CONTRADICTION, f"{first.source or '先ほど'}では「{shorten(first.fact.quote)}」、"
                                          f"今回は「{shorten(second.fact.quote)}」", {"quoted": True}))
    return out


def assess(answers: list[SavedAnswer], conflicts: list[Conflict] = ()) -> Assessment:
    """The three questions of the second round answered from `answers` (one session,
    in order) and the contradictions found in it."""
    data, by_signal = rules()
    by_axis: dict[str, list[Evidence]] = {a: [] for a in data["axis"]}
    seen: set[tuple[str, str]] = set()
    for signal, quote, slots in _signals(answers, list(conflicts)):
        rule = by_signal.get(signal)
        if rule is None or not quote or (signal, quote) in seen:
            continue
        seen.add((signal, quote))
        said = quote if slots.pop("quoted", False) else shorten(quote)
        by_axis[rule.axis].append(Evidence(signal, rule.good, rule.says.format(quote=said, **slots), rule.red_flag))
    axes = []
    for axis_id, spec in data["axis"].items():
        evidence = by_axis[axis_id]
        good, bad = any(e.good for e in evidence), any(not e.good for e in evidence)
        verdict = (Verdict.MIXED if good and bad else Verdict.STRONG if good else Verdict.WEAK if bad
                   else Verdict.UNKNOWN)
        # the evidence against first: it is what the interviewer will ask about
        ordered = tuple(sorted(evidence, key=lambda e: e.good))
        axes.append(Axis(axis_id, spec["label"], spec["question"], verdict, data["verdict"][verdict], ordered))
    flags = tuple(e for a in axes for e in a.evidence if e.red_flag)
    return Assessment(tuple(axes), flags)
