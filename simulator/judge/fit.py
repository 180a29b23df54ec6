"""An answer judged against the user's company profile (prompts/company.toml).

Without a profile the content rules can only tell a generic motivation by its phrases
(成長できる環境, 理念に共感). With one, the question becomes the interviewer's own:
does the answer name anything of *this* company? A motivation written for another
company, however concrete, names nothing of this one. Reverse questions the company's
own pages already answer, and required skills the answer never shows, are found the
same way.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Mapping

from simulator.judge.advice import shorten
from simulator.judge.company import (
    CompanyFit,
    CompanyProfile,
    Heard,
    Item,
    Term,
    item_used,
    names,
    overlap,
    terms,
)
from simulator.judge.content import ContentAnalysis, Issue, in_scope
from simulator.lang.japanese import normalise, reading, split_sentences
from simulator.rules.bank import Question

# 株式会社ハコブ and ハコブ株式会社 are both ハコブ when said
_LEGAL_FORMS = re.compile(r"(株式会社|有限会社|合同会社|\(株\)|（株）|ホールディングス|グループ)")


def short_name(name: str) -> str:
    return _LEGAL_FORMS.sub("", name).strip() or name


def _concrete_fact(sentences: tuple[str, ...], profile: CompanyProfile) -> bool:
    """A sentence that names the company itself with a figure or a quoted name in it
    (「ハコブが2024年に始めた…」): a fact of this company the profile may not hold."""
    name = Heard.of(short_name(profile.name))
    for s in sentences:
        heard = Heard.of(s)
        if (name.text in heard.text or (len(name.said) >= 3 and name.said in heard.said)) and \
                re.search(r"[0-9０-９]|「.+」", s):
            return True
    return False


def _suggestions(profile: CompanyProfile, rules: Mapping) -> str:
    """Two profile items, by the order of `suggest_keys`, as they would be quoted."""
    items = profile.items(tuple(rules["suggest_keys"]))
    return "や".join(f"「{(names(i) or [shorten(i.text)])[0]}」" for i in items[:2])


def _specific(own: list[Item], sentences: tuple[str, ...], stop: frozenset[str], rules: Mapping,
              rivals: tuple[Heard, ...]) -> bool:
    """The answer names something only this company has: a name quoted in its profile
    (「ハコブ便」), two of its terms that no rival's profile holds and the field does not
    share, or one such term in a sentence that compares (他社と違い…)."""
    field = stop | frozenset(rules["field_words"])
    heard = [(s, Heard.of(s)) for s in sentences]
    for item in own:
        if any(h.has(Term(normalise(n), reading(n))) for n in names(item) for _, h in heard):
            return True
        mine = [t for t in terms(item.text, field) if not any(r.has(t) for r in rivals)
                and not any(t.text in w for w in field)]   # 需要 and 予測 of 需要予測 are the field's too
        if len({t.text for t in mine if any(h.has(t) for _, h in heard)}) >= 2:
            return True
        if any(re.search(p, s) and any(h.has(t) for t in mine) for s, h in heard for p in rules["compares"]):
            return True
    return False


def _own_items(profile: CompanyProfile, heard: Heard, stop: frozenset[str], rules: Mapping) -> list[Item]:
    """The profile's items the answer names, those that say what the job is left out."""
    job = tuple(rules["job_keys"])
    return [i for i in profile.items() if i.key not in job and item_used(i, heard, stop, rules["item_share"])]


def _other_names(profile: CompanyProfile, heard: Heard, rules: Mapping) -> list[tuple[str, CompanyProfile]]:
    """What belongs to another saved company, said in an answer for `profile`, one per
    rival: a name quoted in its profile (「ハコブ便」 says more than ハコブ), a person the
    user met there (説明会の佐藤さん), its name, or one of its events (news) told by
    two terms of its own."""
    own = Heard.of(profile.text())
    field = frozenset(rules["stop"]) | frozenset(rules["field_words"])
    out = []
    for rival in profile.rivals:
        people = re.findall(r"[一-龥ァ-ヶ]{1,4}(?:さん|様|氏)", rival.notes)
        candidates = [n for i in rival.items() for n in names(i)] + people + [short_name(rival.name)]
        # by spelling only: ハコブ read as 運ぶ is not naming the company
        said = next((n for n in candidates if len(normalise(n)) >= 2 and normalise(n) in heard.text
                     and normalise(n) not in own.text), None)
        for event in rival.news if said is None else ():
            if len([t for t in terms(event, field) if heard.has(t) and not own.has(t)]) >= 2:
                said = shorten(event)
                break
        if said:
            out.append((said, rival))
    return out


def _builds_on_fact(asked: str, rules: Mapping) -> bool:
    """A reverse question that cites what was published and asks beyond it."""
    return any(re.search(p, asked) for p in rules["builds_on"]) and any(re.search(p, asked) for p in rules["asks_beyond"])


def _cited(asked: str, content: ContentAnalysis) -> str:
    """The sentence before a reverse question when it is not a question itself: where a
    fact is cited (「九州に物流センターを開設されたと拝見しました。」) before asking beyond it."""
    at = content.sentences.index(asked) if asked in content.sentences else 0
    before = content.sentences[at - 1] if at > 0 else ""
    return "" if before in content.questions_asked else before


def _collision(text: str, profile: CompanyProfile, rules: Mapping) -> tuple[str, str] | None:
    """(the weakness as said, the daily work it collides with) for a 短所 the posting needs."""
    work = "\n".join([profile.posting, *profile.skills, *profile.values])
    for rule in rules["tansho_collides"]:
        said = next((m for p in rule["weakness"] if (m := re.search(p, text))), None)
        if said and any(re.search(w, work) for w in rule["work"]):
            sentence = next((s for s in split_sentences(text) if said.group(0) in s), said.group(0))
            return sentence.strip(), rule["says"]
    return None


def judge(content: ContentAnalysis, text: str, profile: CompanyProfile, rules: Mapping,
          content_rules: dict) -> ContentAnalysis:
    """`content` with its company verdicts decided by the profile (rules: prompts/company.toml)
    and by the user's other profiles (`profile.rivals`): what only this company has."""
    qtype, track = content.question_type, content.track
    # saying the company's name (ハコブ of ハコブ便) is not yet saying anything about it
    stop = frozenset(rules["stop"]) | {short_name(profile.name)}
    heard = Heard.of(text)
    used = tuple(i for i in profile.items() if item_used(i, heard, stop, rules["item_share"]))
    issues = list(content.issues)
    findings = list(content.findings)
    company = short_name(profile.name)

    def applies(verdict: str) -> bool:
        return qtype is not None and in_scope(verdict, qtype, track, content_rules)

    other = _other_names(profile, heard, rules) if applies("other_company_name") else []

    suggest = _suggestions(profile, rules)
    if applies("generic_motivation") and suggest:   # a profile still empty judges as without one
        before = content.issue("generic_motivation")
        issues = [i for i in issues if i.id != "generic_motivation"]
        quote = before.quote if before else (content.sentences[0] if content.sentences else "")
        rivals = tuple(Heard.of(r.text()) for r in profile.rivals)
        own = _own_items(profile, heard, stop, rules)
        specific = _specific(own, content.sentences, stop, rules, rivals) or _concrete_fact(content.sentences, profile)
        # the swap test: the same words fit another company the user researched (one whose
        # own names were said is flagged below, as another company's)
        named = {r.name for _, r in other}
        fits = next((r for r in profile.rivals if r.name not in named and _own_items(
            r, heard, frozenset(rules["stop"]) | {short_name(r.name)}, rules)), None)
        if not specific and own and fits is not None:
            issues.insert(0, Issue("swap_passes", quote, (("company", company), ("rival", fits.name),
                                                          ("suggest", suggest))))
        elif not specific:
            issues.insert(0, Issue("generic_motivation", quote, (("company", company), ("suggest", suggest))))
    for name, rival in other:
        issues.append(Issue("other_company_name", name, (("company", company), ("rival", rival.name),
                                                         ("suggest", suggest or f"{company}の事業"))))
    if applies("answered_by_company_info"):
        labels = rules["labels"]
        published = profile.items(tuple(rules["answer_keys"]))
        for asked in content.questions_asked:
            cited = _cited(asked, content)
            if _builds_on_fact(cited + asked, rules):
                # asked beyond a fact: praised when the fact is the company's own, never flagged
                best = max(published, key=lambda i: overlap(cited + asked, i, stop), default=None)
                if best is not None and overlap(cited + asked, best, stop) >= rules["answered_share"]:
                    findings.append(Issue("researched_question", cited + asked, (("source", shorten(best.text)),)))
                continue
            best = max(published, key=lambda i: overlap(asked, i, stop), default=None)
            if best is not None and overlap(asked, best, stop) >= rules["answered_share"]:
                issues.append(Issue("answered_by_company_info", asked,
                                    (("where", labels[best.key]), ("source", shorten(best.text)))))
    if applies("skill_not_shown"):
        missing = [s for s in profile.skills if not item_used(Item("skills", s), heard, stop, rules["item_share"])]
        if missing:
            findings.append(Issue("skill_not_shown", missing[0], (("skill", missing[0]),)))
    if applies("tansho_collides") and (clash := _collision(heard.text, profile, rules)):
        issues.append(Issue("tansho_collides", clash[0], (("company", company), ("says", clash[1]))))
    return replace(content, issues=tuple(issues), findings=tuple(findings),
                   company=CompanyFit(profile.name, used))


def word(question: Question, profile: CompanyProfile, rules: Mapping, extra: Mapping[str, str] | None = None,
         track: str | None = None) -> Question:
    """The question in the company's own words (prompts/company.toml [questions], or the
    track's own [questions_by_track]), if it has any. `extra`: the verdict's slots
    ({skill}, {says}) that prompted it."""
    extra = dict(extra or {})
    template = rules.get("questions_by_track", {}).get(track or "", {}).get(question.id) \
        or rules["questions"].get(question.id)
    slots = set(re.findall(r"\{(\w+)\}", template or "")) - {"name", "business"}
    if template is None or any(not extra.get(k) for k in slots):
        return question
    business = profile.products[0] if profile.products else next(
        (i.text for i in profile.items(("business",))), "事業")
    return replace(question, text=template.format(**{**extra, "name": short_name(profile.name),
                                                     "business": shorten(business)}))
