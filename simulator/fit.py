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

from .advice import shorten
from .bank import Question
from .company import CompanyFit, CompanyProfile, Heard, Item, item_used, names, overlap
from .content import ContentAnalysis, Issue, in_scope

# 株式会社ハコブ and ハコブ株式会社 are both ハコブ when said
_LEGAL_FORMS = re.compile(r"(株式会社|有限会社|合同会社|\(株\)|（株）|ホールディングス|グループ)")


def _short_name(name: str) -> str:
    return _LEGAL_FORMS.sub("", name).strip() or name


def _concrete_fact(sentences: tuple[str, ...], profile: CompanyProfile) -> bool:
    """A sentence that names the company itself with a figure or a quoted name in it
    (「ハコブが2024年に始めた…」): a fact of this company the profile may not hold."""
    name = Heard.of(_short_name(profile.name))
    for s in sentences:
        heard = Heard.of(s)
        if (name.text in heard.text or (len(name.said) >= 3 and name.said in heard.said)) and \
                re.search(r"[0-9０-９]|「.+」", s):
            return True
    return False


def _suggestions(profile: CompanyProfile, rules: dict) -> str:
    """Two profile items, by the order of `suggest_keys`, as they would be quoted."""
    items = profile.items(tuple(rules["suggest_keys"]))
    return "や".join(f"「{(names(i) or [shorten(i.text)])[0]}」" for i in items[:2])


def judge(content: ContentAnalysis, text: str, profile: CompanyProfile, rules: dict,
          content_rules: dict) -> ContentAnalysis:
    """`content` with its company verdicts decided by the profile (rules: prompts/company.toml)."""
    qtype, track = content.question_type, content.track
    # saying the company's name (ハコブ of ハコブ便) is not yet saying anything about it
    stop = frozenset(rules["stop"]) | {_short_name(profile.name)}
    heard = Heard.of(text)
    used = tuple(i for i in profile.items() if item_used(i, heard, stop, rules["item_share"]))
    issues = list(content.issues)
    findings = list(content.findings)

    def applies(verdict: str) -> bool:
        return qtype is not None and in_scope(verdict, qtype, track, content_rules)

    suggest = _suggestions(profile, rules)
    if applies("generic_motivation") and suggest:   # a profile still empty judges as without one
        before = content.issue("generic_motivation")
        issues = [i for i in issues if i.id != "generic_motivation"]
        if not used and not _concrete_fact(content.sentences, profile):
            quote = before.quote if before else (content.sentences[0] if content.sentences else "")
            issues.insert(0, Issue("generic_motivation", quote,
                                   (("company", _short_name(profile.name)), ("suggest", suggest))))
    if applies("answered_by_company_info"):
        labels = rules["labels"]
        published = profile.items(tuple(rules["answer_keys"]))
        for asked in content.questions_asked:
            best = max(published, key=lambda i: overlap(asked, i, stop), default=None)
            if best is not None and overlap(asked, best, stop) >= rules["answered_share"]:
                issues.append(Issue("answered_by_company_info", asked,
                                    (("where", labels[best.key]), ("source", shorten(best.text)))))
    if applies("skill_not_shown"):
        missing = [s for s in profile.skills if not item_used(Item("skills", s), heard, stop, rules["item_share"])]
        if missing:
            findings.append(Issue("skill_not_shown", missing[0], (("skill", missing[0]),)))
    return replace(content, issues=tuple(issues), findings=tuple(findings),
                   company=CompanyFit(profile.name, used))


def word(question: Question, profile: CompanyProfile, rules: dict, skill: str = "") -> Question:
    """The question in the company's own words (prompts/company.toml [questions]), if it has any."""
    template = rules["questions"].get(question.id)
    if template is None or ("{skill}" in template and not skill):
        return question
    business = profile.products[0] if profile.products else next(
        (i.text for i in profile.items(("business",))), "事業")
    return replace(question, text=template.format(name=_short_name(profile.name), business=shorten(business),
                                                  skill=skill))
