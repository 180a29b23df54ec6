"""The prep sheet (準備シート): one printable page for one company, from the sessions practised for it.

For each question practised for the company, the best attempt so far (by the content
score, the latest of equals), what is still weak in it judged against the profiles as
they are today (the swap test against the user's other companies included), and the
follow-ups it invites with where each comes from — what to read on the train before the
interview.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import jinja2

from simulator.analysis.analyze import review
from simulator.analysis.record import SavedAnswer
from simulator.judge import fit
from simulator.judge.company import CompanyProfile, file_name
from simulator.judge.content import ContentAnalysis, in_scope
from simulator.judge.delivery import Length, Pace
from simulator.rules import bank
from simulator.store.storage import (
    Store,
    load_session_meta,
    session_answers,
    write_text,
)

_TEMPLATES = Path(__file__).parent / "templates"


@dataclass(frozen=True)
class Attempt:
    session_id: str
    date: str
    answer: SavedAnswer
    score: int


@dataclass(frozen=True)
class PrepItem:
    question: str             # as it was last asked
    best: Attempt
    attempts: int
    weak: tuple[str, ...]     # what is still weak, in the user's terms
    followups: tuple[tuple[str, str], ...]   # (the follow-up, where it comes from)
    swap: str = ""            # the swap-test verdict of a motivation, "" for other questions


def _company_sessions(store: Store) -> list[dict]:
    """The session.json of every session practised for some company, oldest first."""
    metas = (load_session_meta(p) for p in sorted(store.sessions_dir.iterdir()) if (p / "session.json").is_file())
    return [m for m in metas if m and m.get("company")]


def attempts_for(store: Store, company: CompanyProfile) -> dict[str, list[Attempt]]:
    """Every analysed answer of the sessions practised for `company`, by question id, oldest first."""
    out: dict[str, list[Attempt]] = {}
    for meta in _company_sessions(store):
        if meta["company"] != company.name:
            continue
        for a in session_answers(meta):
            if a.analysis is not None and not a.unheard:
                out.setdefault(a.question_id, []).append(Attempt(
                    meta["id"], meta["started_at"][:10].replace("-", "/"), a, a.analysis.content.score))
    return out


def answer_counts(store: Store) -> dict[str, int]:
    """Analysed answers per company name, reading each session once (the company list)."""
    counts: dict[str, int] = {}
    for meta in _company_sessions(store):
        n = sum(1 for a in session_answers(meta) if a.analysis is not None and not a.unheard)
        counts[meta["company"]] = counts.get(meta["company"], 0) + n
    return counts


def _weak_points(a: SavedAnswer, content: ContentAnalysis) -> tuple[str, ...]:
    """Labels of what the best attempt still gets wrong: content (as judged today), length,
    pace, voice."""
    labels, voice, rules = bank.load("labels"), bank.load("voice"), bank.load("content")
    m = a.analysis
    out = [labels["issues"].get(i, i) for i in content.issue_ids]
    if m.delivery is not None:
        # the length a reverse question takes is not a weakness (prompts/content.toml [scope])
        if m.delivery.length_verdict != Length.OK and in_scope("too_short", m.content.question_type, None, rules):
            out.append("長さ: " + labels["length_verdict"][m.delivery.length_verdict])
        if m.delivery.pace_verdict not in (Pace.EASY, Pace.NONE):
            out.append("速さ: " + labels["pace_verdict"][m.delivery.pace_verdict])
    if m.voice is not None:
        out += [voice["labels"][v] for v in m.voice.verdicts]
    return tuple(out)


def _swap(content, company: CompanyProfile) -> str:
    """What the swap test says of a motivation: only this company, another company too, or any."""
    if content.question_type != "shibou":
        return ""
    if (found := content.issue("swap_passes")) is not None:
        return f"同じ事業の{dict(found.extra)['rival']}でもそのまま通ります"
    if content.issue("generic_motivation") is not None:
        return "どの会社にも言える志望動機です"
    others = "、".join(r.name for r in company.rivals)
    return f"{fit.short_name(company.name)}ならではの理由があります" + (f"（{others}とは入れ替わりません）" if others else "")


def _followups(a: SavedAnswer, followup, company: CompanyProfile) -> tuple[tuple[str, str], ...]:
    """The follow-up its answer prompts today and why, then the question's own follow-ups,
    in the company's words."""
    qs, rules = bank.questions(), bank.load("company")
    out = {followup.question.text: followup.reason} if followup else {}
    q = qs.get(a.question_id)
    for fid in q.followups if q else ():
        out.setdefault(fit.word(qs[fid], company, rules).text, "この質問のあとによく聞かれること")
    return tuple(out.items())


def prep_items(store: Store, company: CompanyProfile) -> list[PrepItem]:
    items = []
    order = {qid: n for n, qid in enumerate(bank.questions())}
    for qid, tries in sorted(attempts_for(store, company).items(), key=lambda kv: order.get(kv[0], len(order))):
        best = max(reversed(tries), key=lambda t: t.score)   # the latest of equal scores
        m = best.answer.analysis
        # judged again: the profile, and the other companies it is compared with, may have grown
        today = review(m.transcript.text, bank.questions().get(qid), track=m.content.track, company=company)
        items.append(PrepItem(tries[-1].answer.question, best, len(tries), _weak_points(best.answer, today.content),
                              _followups(best.answer, today.followup, company), _swap(today.content, company)))
    return items


def prep_html(store: Store, company: CompanyProfile, web: bool = False) -> str:
    """The sheet as one self-contained HTML page that prints on A4; `web`: served by
    `mensetsu web`, whose links replace the terminal's commands."""
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(_TEMPLATES), autoescape=True)
    return env.get_template("prep.html.j2").render(
        company=company, items=prep_items(store, company), labels=bank.load("company")["labels"],
        made=datetime.now().astimezone().strftime("%Y/%m/%d"), web=web, key=Path(company.path).stem)


def render_prep(store: Store, company: CompanyProfile, out: Path | None = None) -> Path:
    """Write the sheet; returns its path (by default prep/COMPANY.html in the data folder)."""
    out = out or store.root / "prep" / f"{file_name(company.name)}.html"
    out.parent.mkdir(parents=True, exist_ok=True)
    write_text(out, prep_html(store, company))
    return out
