"""一貫性: numbers the candidate states about themselves, compared across answers and sessions.

A fact is a number with its unit, its subject (売上, 成約件数, チーム人数 …) and its
period (月, 年) found before it in the same sentence; numbers without a subject are never
compared. A value introduced as a starting point (800件から) is a "before" figure, not a
claim, and is left out. Word lists are in prompts/consistency.toml.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Mapping

from simulator.lang.japanese import digits, normalise, split_sentences


@dataclass(frozen=True)
class Fact:
    """A figure (売上 200万円 a month) or a claim in words (強み: 粘り強さ, unit "")."""

    subject: str
    period: str
    unit: str
    value: float | str
    quote: str
    uncertain: bool = False  # the figure was heard with low confidence (possibly misheard)

    @property
    def is_claim(self) -> bool:
        return isinstance(self.value, str)

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.subject, self.period, self.unit)

    def to_dict(self) -> dict:
        return {"subject": self.subject, "period": self.period, "unit": self.unit, "value": self.value,
                "quote": self.quote, "uncertain": self.uncertain}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Fact:
        return cls(d["subject"], d["period"], d["unit"], d["value"], d["quote"], bool(d.get("uncertain")))


@dataclass(frozen=True)
class Stated:
    """A fact with where it was said."""

    fact: Fact
    session_id: str
    date: str
    question_id: str
    source: str = ""   # where, in the reader's words, when it was not a practice session (ES, 一次面接)


@dataclass(frozen=True)
class Conflict:
    first: Stated
    second: Stated

    @property
    def uncertain(self) -> bool:
        """One side may be a mishearing: the user should listen before correcting anything."""
        return self.first.fact.uncertain or self.second.fact.uncertain

    def to_dict(self) -> dict:
        side = (lambda s: {"session": s.session_id, "date": s.date, "question_id": s.question_id,
                           "source": s.source, **s.fact.to_dict()})
        return {"subject": self.first.fact.subject, "first": side(self.first), "second": side(self.second),
                "uncertain": self.uncertain}


def fact_words(f: Fact) -> str:
    """A fact as the user reads it: 売上（前年比）: 150%, 強み: 粘り強さ."""
    shown = f.value if f.is_claim else f"{f.value:,.0f}{f.unit}" if f.value.is_integer() else f"{f.value:g}{f.unit}"
    return f"{f.subject}{'（' + f.period + '）' if f.period else ''}: {shown}"


def extract_facts(text: str, rules: Mapping) -> list[Fact]:
    t = digits(normalise(text))
    unit_of = {w: u for u, ws in rules["units"].items() for w in ws}
    units = "|".join(sorted(map(re.escape, unit_of), key=len, reverse=True))
    mults = "|".join(rules["multipliers"])
    pattern = re.compile(rf"(\d+(?:\.\d+)?)({mults})?({units})")
    facts = []
    for m in pattern.finditer(t):
        if t[m.end():m.end() + 2].startswith(("から", "より")):
            continue  # a starting point, not the claim
        start = max(t.rfind("。", 0, m.start()) + 1, m.start() - rules["window"])
        before = t[start:m.start()]
        if any(before.endswith(r) for r in rules["relative"]):
            continue
        unit = unit_of[m.group(3)]
        table = {name: spec["words"] for name, spec in rules["subjects"].items() if unit in spec["units"]}
        subject = _following(t[m.end():m.end() + 8], table) or _nearest(before, table)
        if subject is None:
            continue
        subject += _qualifier(t[start:m.end() + 8], rules["subjects"][subject]["words"], rules.get("qualifiers", []))
        period = _nearest(before, rules["periods"]) or ""
        value = float(m.group(1)) * rules["multipliers"].get(m.group(2) or "", 1)
        sentence_end = t.find("。", m.end())
        quote = t[start:sentence_end if sentence_end >= 0 else len(t)].strip("、 ")
        facts.append(Fact(subject, period, unit, value, quote))
    return facts + _claims(t, rules.get("claims", {}))


def _claims(text: str, claims: dict[str, dict]) -> list[Fact]:
    """The first claim of each kind (強み, 退職理由) in `text`, one per place for the kinds
    that have places (役割 in the サークル), each with its sentence as the quote."""
    out: dict[tuple[str, str], Fact] = {}
    for subject, spec in claims.items():
        places = spec.get("places", [])
        for sentence in split_sentences(text):
            # the patterns in order of preference: the first that matches a sentence reads it
            found = next((ms for p in spec["patterns"] if (ms := list(re.finditer(p, sentence)))), [])
            for m in found:
                where = _last_place(sentence[:m.start()], places)
                out.setdefault((subject, where), Fact(subject, where, "", m.group("v").strip("、 "), sentence.strip()))
    return list(out.values())


def _last_place(before: str, places: list[str]) -> str:
    """The place named last in `before` (アルバイト, not the バイト inside it)."""
    at = {p: before.rfind(p) for p in places}
    named = [p for p, i in at.items() if i >= 0]
    return max(named, key=lambda p: (at[p] + len(p), len(p)), default="")


def _same_claim(a: str, b: str) -> bool:
    """Said the same, allowing for the way it was put: one reading holds the other's stem
    (粘り強さ ~ 粘り強い), or the two share a content noun (顧客に近い立場 ~ 顧客の近くで)."""
    from simulator.judge.company import terms
    from simulator.lang.japanese import reading

    ra, rb = reading(a), reading(b)
    stem = min(len(ra), len(rb), max(3, min(len(ra), len(rb)) - 2))
    if ra[:stem] in rb or rb[:stem] in ra:
        return True
    return bool({t.reading for t in terms(a, frozenset())} & {t.reading for t in terms(b, frozenset())})


def _following(after: str, table: dict[str, list[str]]) -> str | None:
    """A subject joined to the number by の: 5人のチーム, 12件の成約."""
    if not after.startswith("の"):
        return None
    return next((c for c, words in table.items() for w in words if after[1:].startswith(w)), None)


def _qualifier(span: str, words: list[str], qualifiers: list[str]) -> str:
    """A word that narrows the subject to a part of it (新入部員 is not 部員): the two
    figures are of different things, so the subject carries it（新入）."""
    for w in words:
        at = span.rfind(w)
        if at > 0:
            q = next((q for q in qualifiers if span[:at].endswith(q)), None)
            if q:
                return f"（{q}）"
    return ""


def _nearest(before: str, table: dict[str, list[str]]) -> str | None:
    best, where = None, -1
    for canonical, words in table.items():
        for w in words:
            at = before.rfind(w)
            if at > where:
                best, where = canonical, at
    return best


def conflicts(statements: list[Stated], tolerance: float, exact: frozenset[str] = frozenset()) -> list[Conflict]:
    """Pairs of statements of the same fact whose values differ by more than `tolerance`
    (claims in words: that are not the same claim; for the subjects in `exact`, not the same words)."""
    out = []
    by_key: dict[tuple, list[Stated]] = {}
    for s in statements:
        by_key.setdefault(s.fact.key, []).append(s)
    for group in by_key.values():
        for i, a in enumerate(group):
            for b in group[i + 1:]:
                if _differ(a.fact.value, b.fact.value, tolerance, a.fact.subject in exact):
                    out.append(Conflict(a, b))
                    break
    return out


def contradictions(statements: list[Stated], rules: Mapping) -> list[Conflict]:
    """`conflicts` with prompts/consistency.toml's tolerance and its exact subjects."""
    exact = frozenset(k for k, spec in rules.get("claims", {}).items() if spec.get("exact"))
    return conflicts(statements, rules["tolerance"], exact)


def _differ(a: float | str, b: float | str, tolerance: float, exact: bool = False) -> bool:
    if isinstance(a, str) or isinstance(b, str):
        return isinstance(a, str) and isinstance(b, str) and (a != b if exact else not _same_claim(a, b))
    hi = max(a, b)
    return bool(hi) and abs(a - b) / hi > tolerance
