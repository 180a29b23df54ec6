"""The interviewer's 深掘り: follow-ups built from the candidate's own words, rung by rung.

A second-round interviewer is a line manager checking whether the story holds. After
each answer they pick up what was claimed (a figure, a role, a strength word, a
decision, a difficulty, a hedge, a reason for leaving), and ask about the first part
of a complete story that is still missing — the question type's ladder in
prompts/interviewer.toml (状況 → 課題 → 自分の行動 → なぜその方法 → …). Each follow-up
answer is judged against what it was asked: answered, the next rung; dodged, one press
(「具体的には？」); dodged again, the story gave way there. `depth` says how far it held.

Pure functions over text and the topic so far, so the terminal, the browser, typed
practice and the benchmark all dig the same way, and the choice can be replayed from
a saved session.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Mapping

from simulator.interviewer.followup import FollowUp
from simulator.judge.confidence import Confidence
from simulator.judge.consistency import Fact
from simulator.lang.japanese import normalise
from simulator.rules.bank import PromptsError, Question, load
from simulator.rules.bank import prompt_line as _prompt_line


@dataclass(frozen=True)
class Claim:
    """Something the candidate said that a manager would pick up, quoted as said."""

    kind: str
    quote: str   # the words to quote back, rewritten to read well in the follow-up
    rank: int
    at: int      # where it was said (turn, character), for ties


@dataclass(frozen=True)
class Turn:
    """One answer in a topic: what it was asked for (None: the main answer or a stock
    follow-up), whether that was a press, the follow-up's words, and the answer."""

    rung: str | None
    pressed: bool
    asked: str
    text: str
    blamed: bool = False   # the answer blames others (content's `blame`)

    @classmethod
    def of(cls, question: Question, text: str, blamed: bool = False) -> Turn:
        """The answer `text` to `question`: a ladder question's id names its rung
        (dig_<rung>, press_<rung>), in the interview and in a saved session alike."""
        kind, _, rung = question.id.partition("_")
        if kind in ("dig", "press") and rung in rules().rungs:
            return cls(rung, kind == "press", question.text, text, blamed)
        return cls(None, False, question.text, text, blamed)


@dataclass(frozen=True)
class Topic:
    """A main question and the answers given in it so far (the main answer first)."""

    main: Question
    turns: tuple[Turn, ...] = ()


@dataclass(frozen=True)
class Depth:
    """深掘り耐性: how many rungs of follow-ups the story held, and where it gave way."""

    asked: int                 # rungs asked in follow-ups (a press is the same rung)
    held: int                  # of those, answered concretely
    gave_way: str | None       # the rung's label where the story gave way

    def to_dict(self) -> dict:
        return {"asked": self.asked, "held": self.held, "gave_way": self.gave_way}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Depth:
        return cls(d["asked"], d["held"], d.get("gave_way"))

    def label(self) -> str:
        if not self.asked:
            return "深掘りなし"
        if self.gave_way:
            return f"深掘り {self.asked} 段中 {self.held} 段まで答えられた（「{self.gave_way}」で詰まった）"
        return f"深掘り {self.asked} 段すべてに具体的に答えられた"


# --- rules ------------------------------------------------------------------------

@dataclass(frozen=True)
class Rung:
    id: str
    label: str
    covered: tuple[re.Pattern, ...]
    needs: tuple[tuple[re.Pattern, ...], ...]
    question: str
    about: Mapping[str, str]
    press: str
    blame_dodges: bool


@dataclass(frozen=True)
class ClaimRule:
    kind: str
    label: str
    rank: int
    prefix: str
    patterns: tuple[re.Pattern, ...]
    say: str
    say_by: Mapping[str, str]
    types: tuple[str, ...]
    rungs: tuple[str, ...]   # quoted only where these rungs are asked (empty: any)


@dataclass(frozen=True)
class DigRules:
    target_s: float
    min_chars: int
    dodges: tuple[re.Pattern, ...]
    reason_rung: str
    reason_claim: str
    reason_press: str
    claims: tuple[ClaimRule, ...]
    ladders: Mapping[str, tuple[str, ...]]
    first_rung: Mapping[str, str]
    rungs: Mapping[str, Rung]


@lru_cache(maxsize=None)
def rules(folder: str | None = None) -> DigRules:
    """prompts/interviewer.toml (or `folder`'s), checked once: every rung a ladder names
    exists, every `about` names a claim kind, every pattern compiles (file:line errors)."""
    data = load("interviewer", folder)

    def prompt_line(name: str, needle: str) -> str:
        return _prompt_line(name, needle, folder)

    def _compile(patterns: list[str], where: str) -> tuple[re.Pattern, ...]:
        try:
            return tuple(re.compile(p) for p in patterns)
        except re.error as e:
            raise PromptsError(f"{prompt_line('interviewer', where)}: 正規表現が不正です: {e}") from None

    def need(table: Mapping, key: str, where: str):
        if key not in table:
            raise PromptsError(f"{prompt_line('interviewer', where)}: {key} がありません")
        return table[key]

    dig = need(data, "dig", "[dig]")
    claims = []
    for c in need(data, "claim", "[[claim]]"):
        where = f'kind = "{c.get("kind", "")}"'
        pats = _compile(need(c, "patterns", where), where)
        if any("q" not in p.groupindex for p in pats):
            raise PromptsError(f"{prompt_line('interviewer', where)}: patterns には引用する部分 (?P<q>…) が必要です")
        claims.append(ClaimRule(need(c, "kind", where), need(c, "label", where), int(need(c, "rank", where)),
                                need(c, "prefix", where), pats, c.get("say", "{q}"), c.get("say_by", {}),
                                tuple(c.get("types", ())), tuple(c.get("rungs", ()))))
    kinds = {c.kind for c in claims}
    rungs = {}
    for rid, r in need(data, "rung", "[rung.").items():
        where = f"[rung.{rid}]"
        covered = _compile(need(r, "covered", where), where)
        needs = tuple(_compile(group, where) for group in r.get("needs", [])) or (covered,)
        about = r.get("about", {})
        if set(about) - kinds:
            raise PromptsError(f"{prompt_line('interviewer', where)}: about の {', '.join(sorted(set(about) - kinds))} "
                               f"は claim の kind にありません")
        rungs[rid] = Rung(rid, need(r, "label", where), covered, needs, need(r, "question", where), about,
                          r.get("press", dig["press"]), bool(r.get("blame_dodges", False)))
    ladders = {qtype: tuple(ids) for qtype, ids in need(data, "ladder", "[ladder]").items()}
    first = need(data, "first_rung", "[first_rung]")
    for qtype, ids in [*ladders.items(), *(("first_rung", (v,)) for v in first.values())]:
        missing = [i for i in ids if i not in rungs]
        if missing:
            raise PromptsError(f"{prompt_line('interviewer', missing[0])}: 段 {', '.join(missing)} が [rung.…] にありません")
    return DigRules(float(dig["followup_target_s"]), int(dig["min_answer_chars"]),
                    _compile(dig["dodges"], "dodges"), dig["reason_rung"], dig["reason_claim"], dig["reason_press"],
                    tuple(claims), ladders, first, rungs)


# --- reading the answers ---------------------------------------------------------------

def claims(texts: list[str], qtype: str | None, confidence: Confidence = Confidence(),
           r: DigRules | None = None) -> list[Claim]:
    """The claims in `texts`, most striking first. A phrase heard unsurely is never quoted."""
    r = r or rules()
    found: dict[str, Claim] = {}
    for turn, text in enumerate(texts):
        text = normalise(text)
        for rule in r.claims:
            if rule.types and qtype not in rule.types:
                continue
            for pattern in rule.patterns:
                for m in pattern.finditer(text):
                    said = m.group("q").strip("、。 ")
                    if not said or confidence.touches(said):
                        continue
                    quote = rule.say_by.get(said) or rule.say.format(q=said)
                    if quote not in found:
                        found[quote] = Claim(rule.kind, quote, rule.rank, turn * 10000 + m.start())
    return sorted(found.values(), key=lambda c: (c.rank, c.at))


def _chars(text: str) -> int:
    return len(re.sub(r"[\s、。,.!?！？「」]", "", text))


def answered(rung: str, text: str, blamed: bool = False, r: DigRules | None = None) -> bool:
    """Whether a follow-up answer gives what its rung asked for: every group of the rung's
    `needs` (an action needs the candidate's own doing; a result, a figure), no dodge
    (「特にありません」), enough words, and no more blame where an action was asked for."""
    r = r or rules()
    spec = r.rungs[rung]
    text = normalise(text)
    if _chars(text) < r.min_chars or any(p.search(text) for p in r.dodges):
        return False
    if spec.blame_dodges and blamed:
        return False
    return all(any(p.search(text) for p in group) for group in spec.needs)


def _covered(rung: Rung, texts: list[str]) -> bool:
    return any(p.search(normalise(t)) for t in texts for p in rung.covered)


def next_followup(topic: Topic, findings: frozenset[str] = frozenset(), confidence: Confidence = Confidence(),
                  r: DigRules | None = None) -> FollowUp | None:
    """The next follow-up in `topic` (its last turn is the answer just given), or None
    when the story is complete or gave way. Raises KeyError for a type with no ladder.

    `findings`: the content findings of the main answer (a red flag puts its rung first).
    """
    r = r or rules()
    turns = list(topic.turns)
    last = turns[-1]
    if last.rung is not None and not answered(last.rung, last.text, last.blamed, r):
        if last.pressed:
            return None   # dodged twice: the story gave way here
        spec = r.rungs[last.rung]
        return followup(spec, spec.press, r.reason_press.format(rung=spec.label), pressed=True, r=r)
    texts = [t.text for t in turns]
    todo = remaining(topic, findings, r)
    if not todo:
        return None   # the story is complete
    spec = todo[0]
    quoted = " ".join(t.asked for t in turns)
    fits = {c.kind for c in r.claims if not c.rungs or spec.id in c.rungs}
    claim = next((c for c in claims(texts, topic.main.type, confidence, r)
                  if c.quote not in quoted and c.kind in fits), None)
    if claim is None:
        return followup(spec, spec.question, r.reason_rung.format(rung=spec.label), r=r)
    rule = next(c for c in r.claims if c.kind == claim.kind)
    text = (spec.about[claim.kind] if claim.kind in spec.about else rule.prefix + spec.question).format(q=claim.quote)
    return followup(spec, text, r.reason_claim.format(quote=claim.quote, rung=spec.label), r=r)


def remaining(topic: Topic, findings: frozenset[str] = frozenset(), r: DigRules | None = None) -> list[Rung]:
    """The rungs of the topic's ladder not yet asked nor told, in the order to ask them
    (a red flag's rung first). Raises KeyError for a type with no ladder."""
    r = r or rules()
    texts = [t.text for t in topic.turns]
    asked = {t.rung for t in topic.turns if t.rung}
    order = list(r.ladders[topic.main.type])
    for finding, rung in r.first_rung.items():
        if finding in findings and rung in order:
            order.remove(rung)
            order.insert(0, rung)
    return [r.rungs[rid] for rid in order if rid not in asked and not _covered(r.rungs[rid], texts)]


def followup(spec: Rung, text: str, reason: str, r: DigRules, pressed: bool = False) -> FollowUp:
    q = Question(f"{'press' if pressed else 'dig'}_{spec.id}", text, "followup", ("followup",), intent=spec.label,
                 target_s=r.target_s, trigger=spec.id)
    return FollowUp(q, f"{'press' if pressed else 'dig'}:{spec.id}", reason)


def depth(turns: list[Turn], r: DigRules | None = None) -> Depth:
    """How far the story held under the ladder's follow-ups (stock follow-ups not counted)."""
    r = r or rules()
    rungs: list[str] = []
    held: set[str] = set()
    gave_way = None
    for t in turns:
        if t.rung is None or t.rung not in r.rungs:
            continue
        if t.rung not in rungs:
            rungs.append(t.rung)
        if answered(t.rung, t.text, t.blamed, r):
            held.add(t.rung)
            gave_way = None
        else:
            gave_way = t.rung
    return Depth(len(rungs), len(held), r.rungs[gave_way].label if gave_way else None)


def _said(fact: Fact) -> str:
    """A fact as it would be read back: the claim's words, or the figure with its unit."""
    if isinstance(fact.value, str):
        return fact.value
    return f"{fact.value:g}{fact.unit}"


def contradiction(before: Fact, now: Fact, source: str | None) -> FollowUp:
    """The follow-up that puts a contradiction to the candidate, quoting both sides.
    `source`: what `before` was written in (エントリーシート, 一次面接); None: an earlier answer."""
    spec = load("interviewer")["consistency"]
    b, n = _said(before), _said(now)
    text = (spec["from_note"] if source else spec["from_answer"]).format(source=source, before=b, now=n)
    q = Question("dig_consistency", text, "followup", ("followup",), intent="一貫性", target_s=rules().target_s,
                 trigger="consistency")
    return FollowUp(q, "consistency", spec["reason"].format(source=source or "先ほどの答え", before=b, now=n))
