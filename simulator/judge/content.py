"""Content analysis of one answer to one question, from its transcript alone.

What a seasoned second-round interviewer checks: does the first sentence answer the
question, are the PREP/STAR elements there and in order, are claims backed by numbers
and process, and are there red flags (blame, generic motivation, no reverse question…).
Every rule's words and patterns live in prompts/content.toml; this module only applies
them, on OpenJTalk morphemes (lemmas, parts of speech) and on the filler-free text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Mapping

from simulator.judge.company import CompanyFit
from simulator.lang.japanese import (
    Token,
    digits,
    find_fillers,
    normalise,
    reading,
    split_sentences,
    tokenize,
)
from simulator.rules import bank
from simulator.rules.bank import Question

STANDARD_ISSUES = ("generic_motivation", "blame", "abstract", "no_reverse_question", "conditions_only",
                   "too_short", "too_long")
ELEMENTS = ("reason", "example", "action", "result", "lesson", "return_to_point")
_STAR_ORDER = ("example", "action", "result", "lesson")
_DIGITS = "0123456789〇一二三四五六七八九十百千万億両"


@dataclass(frozen=True)
class Element:
    """A structure element found in the answer: which sentence, and the words that show it."""

    name: str
    sentence: int
    words: str

    def to_dict(self) -> dict:
        return {"name": self.name, "sentence": self.sentence, "words": self.words}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Element:
        return cls(d["name"], d["sentence"], d["words"])


@dataclass(frozen=True)
class Issue:
    """A content problem, with the user's own words that show it."""

    id: str
    quote: str
    # what a verdict judged against a company profile names: the company, the profile
    # items the answer could have used, where the answer to a question is published …
    extra: tuple[tuple[str, str], ...] = ()

    def to_dict(self) -> dict:
        return {"id": self.id, "quote": self.quote, **({"extra": dict(self.extra)} if self.extra else {})}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Issue:
        return cls(d["id"], d.get("quote", ""), tuple((d.get("extra") or {}).items()))


@dataclass(frozen=True)
class ContentAnalysis:
    question_id: str | None
    question_type: str | None
    sentences: tuple[str, ...]
    conclusion_first: bool
    elements: tuple[Element, ...]
    elements_in_order: bool
    has_numbers: bool
    numbers: tuple[str, ...]
    process_words: tuple[str, ...]
    abstract_phrases: tuple[str, ...]
    chars: int
    issues: tuple[Issue, ...]
    findings: tuple[Issue, ...] = field(default=())  # what a follow-up can dig into
    questions_asked: tuple[str, ...] = field(default=())  # reverse questions the user asked
    track: str | None = None
    company: CompanyFit | None = None   # judged against this company's profile (company.py)

    @property
    def issue_ids(self) -> list[str]:
        return [i.id for i in self.issues]

    def has(self, name: str) -> bool:
        return any(i.id == name for i in (*self.issues, *self.findings))

    def issue(self, name: str) -> Issue | None:
        return next((i for i in (*self.issues, *self.findings) if i.id == name), None)

    def quote(self, name: str) -> str:
        found = self.issue(name)
        return found.quote if found else ""

    @property
    def score(self) -> int:
        """0–100 for the content of the answer (weights in prompts/content.toml [score])."""
        weights = bank.load("content")["score"]
        score = 100 - weights["per_issue"] * len(self.issues)
        if not self.conclusion_first:
            score -= weights["no_conclusion_first"]
        if not self.has_numbers:
            score -= weights["no_numbers"]
        return max(0, min(100, score))

    def to_dict(self) -> dict:
        return {
            "question_id": self.question_id, "question_type": self.question_type, "track": self.track,
            "conclusion_first": self.conclusion_first, "first_sentence": self.sentences[0] if self.sentences else "",
            "has_numbers": self.has_numbers, "numbers": list(self.numbers),
            "elements": [e.to_dict() for e in self.elements], "elements_in_order": self.elements_in_order,
            "process_words": list(self.process_words), "abstract_phrases": list(self.abstract_phrases),
            "chars": self.chars, "issues": self.issue_ids, "issue_details": [i.to_dict() for i in self.issues],
            "findings": [f.to_dict() for f in self.findings], "questions_asked": list(self.questions_asked),
            "sentences": list(self.sentences), "company": self.company.to_dict() if self.company else None,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> ContentAnalysis:
        # sessions saved before "sentences" was stored keep only their first sentence
        sentences = d.get("sentences") or ([d["first_sentence"]] if d.get("first_sentence") else [])
        return cls(d.get("question_id"), d.get("question_type"), tuple(sentences), bool(d.get("conclusion_first")),
                   tuple(Element.from_dict(e) for e in d.get("elements", [])), bool(d.get("elements_in_order")),
                   bool(d.get("has_numbers")), tuple(d.get("numbers", [])), tuple(d.get("process_words", [])),
                   tuple(d.get("abstract_phrases", [])), d.get("chars", 0),
                   tuple(Issue.from_dict(i) for i in d.get("issue_details", [])),
                   tuple(Issue.from_dict(i) for i in d.get("findings", [])), tuple(d.get("questions_asked", [])),
                   d.get("track"), CompanyFit.from_dict(d["company"]) if d.get("company") else None)


def _any(patterns: list[str], text: str) -> re.Match | None:
    for p in patterns:
        m = re.search(p, text)
        if m:
            return m
    return None


def _sounds_like_any(words: list[str], text: str, min_chars: int = 3) -> bool:
    """Whether `text` contains one of `words` or something read the same way.

    Base writes sound-alikes for words it is unsure of (有給休暇 → 優級給か); they keep the
    reading, so a rule that must survive mishearings also compares readings. Short
    readings would match inside unrelated words and are left to the spelling.
    """
    if any(w in text for w in words):
        return True
    heard = reading(text)
    if any(len(r) >= min_chars and r in heard for r in (reading(w) for w in words)):
        return True
    # base drops or adds long vowels (リモート → リモット): compare the readings without them
    short = heard.replace("ー", "")
    return any(len(r) >= min_chars and r in short for r in (reading(w).replace("ー", "") for w in words))


def _bare(sentence: str) -> str:
    """A sentence without its final punctuation, so patterns can anchor on the last word."""
    return sentence.rstrip("。、!?！？ ")


def clean_text(text: str, rules: Mapping) -> str:
    """Normalised transcript with known mishearings repaired and fillers removed."""
    t = normalise(text)
    for meant, heard in rules["asr_variants"].items():
        for h in heard:
            t = t.replace(normalise(h), meant)
    spans = find_fillers(t)
    for s in reversed(spans):
        end = s.end + 1 if s.end < len(t) and t[s.end] in "、, " else s.end
        t = t[:s.start] + t[end:]
    return re.sub(r"\s+", "", t)


def _quantities(tokens: list[Token], rules: Mapping, text: str = "") -> list[str]:
    """Numbers with their counters, as written in `text` (3000万円, not OpenJTalk's 三千万円)."""
    spec = rules["specificity"]

    def written(group: list[Token]) -> str:
        if text and group[0].start >= 0 and group[-1].end >= 0:
            return text[group[0].start:group[-1].end]
        return "".join(t.surface for t in group)

    counters, idioms = set(spec["counters"]), spec["not_quantities"]
    found = []
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        ahead = "".join(t.surface for t in tokens[i:i + 3])
        if any(ahead.startswith(idiom) for idiom in idioms):
            i += 1
            continue
        j = i
        while j < len(tokens) and (tokens[j].pos_detail == "数" or (j > i and tokens[j].surface in ".・")):
            j += 1  # a run of number morphemes: 十 二, 一 ． 五
        nxt = tokens[j] if j < len(tokens) else None
        if j > i and nxt is not None and (nxt.surface in counters or nxt.pos_detail == "接尾"):
            found.append(written(tokens[i:j + 1]))
            i = j + 1
            continue
        rest = tok.surface.lstrip(_DIGITS)
        if rest != tok.surface and tok.pos_detail != "数" and rest in counters:
            found.append(tok.surface)  # 五十人, 一本: number and counter in one morpheme
        elif tok.surface in spec["quantity_words"]:
            found.append(tok.surface)
        i += 1
    return found


def _blame(sentences: list[str], rules: Mapping) -> str:
    """The words where someone or something else is judged negatively, or ""."""
    spec = rules["blame"]
    for sentence in sentences:
        tokens = tokenize(sentence)
        for i, tok in enumerate(tokens):
            if tok.lemma not in spec["targets"]:
                continue
            window = tokens[i + 1:i + 1 + spec["max_distance"]]
            for k, t in enumerate(window):
                if t.surface == "。":
                    break
                span = "".join(w.surface for w in window[:k + 1])
                if t.lemma in spec["negative_lemmas"] or _any(spec["negative_patterns"], span):
                    end = k + 1
                    while end < len(window) and end < k + 3 and not window[end].is_punct:
                        end += 1  # finish the word: 悪く → 悪くて
                    return tok.surface + "".join(w.surface for w in window[:end])
    return ""


def in_scope(verdict: str, qtype: str | None, track: str | None, rules: Mapping) -> bool:
    """Whether `verdict` is judged for this question type and track (prompts/content.toml [scope]).

    An unknown question (None) or track is judged by the verdicts meant for every type.
    """
    scope = rules["scope"]
    spec = scope["applies"].get(verdict, {"types": "*", "tracks": "*"})
    types, tracks = spec["types"], spec["tracks"]
    if qtype is not None and qtype in spec.get("not_types", ()):
        return False
    if types == "experience":
        types_ok = qtype is None or qtype in scope["experience"]
    else:
        types_ok = types == "*" or qtype in types
    return types_ok and (tracks == "*" or track is None or track in tracks)


def ends_open(sentence: str) -> bool:
    """True when the sentence stops on a particle that cannot end one (志望理由は。)."""
    words = [t for t in tokenize(_bare(sentence)) if not t.is_punct]
    return bool(words) and words[-1].pos == "助詞" and "終助詞" not in words[-1].pos_detail


def join_broken_sentences(sentences: list[str]) -> list[str]:
    """Sentences with Whisper's stray full stops removed.

    Whisper (and a streamed chunk ending at a pause) may put 。 after a topic or a
    connective: 「学生時代に頑張ったことは。テニスサークルの活動です。」. A sentence whose
    last word is a particle that cannot end a sentence (は, が, を, て, けど, ので…) is
    joined to the next, so a transcript reads the same however it was cut.
    """
    out: list[str] = []
    carry = ""
    for sentence in sentences:
        sentence = carry + sentence
        if ends_open(sentence):
            carry = _bare(sentence) + "、"
            continue
        out.append(sentence)
        carry = ""
    if carry:
        out.append(carry.rstrip("、") + "。")
    return out


def _length_issue(chars: int, q: Question | None, rules: Mapping) -> str | None:
    spec = rules["length"]
    target_chars = spec["chars_per_min"] * (q.target_s if q else 60) / 60
    if chars < target_chars * spec["too_short_ratio"]:
        return "too_short"
    if chars > target_chars * spec["too_long_ratio"]:
        return "too_long"
    return None


def analyze_content(text: str, question: Question | None, rules: Mapping, track: str | None = None,
                    spoken_s: float | None = None) -> ContentAnalysis:
    """Judge the content of `text` as an answer to `question` (None: an unknown question).

    `track` (shinsotsu, tenshoku, …) narrows the verdicts and advice to what fits the
    candidate; None judges as for any track. `spoken_s`: seconds of speech, given when
    the transcript has holes, so that length is judged from the time spoken rather
    than from the characters that were heard.
    """
    qtype = question.type if question else None
    clean = clean_text(text, rules)
    sentences = join_broken_sentences([s for s in split_sentences(clean) if re.sub(r"[、。!?！？]", "", s)])
    skip = rules["conclusion"]["skip_sentences"]
    heard = find_fillers(normalise(text))
    hesitant = bool(heard) and heard[0].start <= 1   # the answer opens on a filler
    while len(sentences) > 1 and _any(skip, sentences[0]):
        if hesitant and _any(rules["conclusion"]["hedges"], _bare(sentences[0])):
            break   # 「えー、そうですね。」 is the hesitation itself, not a beat before the point
        sentences.pop(0)
    tokens = tokenize(clean)
    lemmas = [t.lemma for t in tokens]

    # Conclusion first
    first = sentences[0] if sentences else ""
    if re.match(rules["conclusion"]["openers"], normalise(text).lstrip()):
        # a plain opener (そうですね、…) is a beat before the point; after a filler
        # (えー、そうですね、あのー、…) it is the hesitation itself, and stays
        first = re.sub(rules["conclusion"]["openers"], "", first)
    by_type = rules["conclusion"]["by_type"]
    patterns = by_type.get(qtype or "followup", by_type["followup"]) + by_type["any"]
    conclusion = bool(first) and not ends_open(first) and not _any(rules["conclusion"]["hedges"], _bare(first)) and bool(
        _any(patterns, _bare(first)))

    # Structure
    elements = []
    for name in ELEMENTS:
        for idx, sentence in enumerate(sentences):
            m = _any(rules["structure"][name], sentence)
            if m:
                elements.append(Element(name, idx, m.group(0)))
                break
    where = {e.name: e.sentence for e in elements}
    star = [where[n] for n in _STAR_ORDER if n in where]
    in_order = star == sorted(star)

    # Specificity
    spec = rules["specificity"]
    numbers = _quantities(tokens, rules, clean)
    if question is not None:
        # the question's own figures said back (五年後には… to 「五年後、十年後の…」) are not the
        # candidate's: they show nothing measured
        echoed = {digits(normalise(n)) for n in _quantities(tokenize(question.text), rules, question.text)}
        numbers = [n for n in numbers if digits(normalise(n)) not in echoed]
    process = sorted({lem for lem in lemmas if lem in spec["process"]})
    abstract = [m.group(0) for p in spec["abstract"] for m in re.finditer(p, clean)]

    issues: list[Issue] = []

    def flag(issue_id: str, quote: str) -> None:
        issues.append(Issue(issue_id, quote))

    if len(abstract) >= spec["abstract_min_hits"] and not numbers and len(process) <= spec["abstract_max_process"]:
        quote = next((s for s in sentences if _any(spec["abstract"], s)), "")
        flag("abstract", quote)
    blame = _blame(sentences, rules)
    if blame:
        flag("blame", blame)
    gm = rules["generic_motivation"]
    if in_scope("generic_motivation", qtype, track, rules) and qtype is not None:
        generic = _any(gm["generic"], clean)
        proper = [t for t in tokens if t.pos_detail == "固有名詞" and t.pos_sub in ("組織", "一般")]
        # 説明会で社員の方が優しそうだった is still generic: a specific cue counts only in a
        # sentence that does not itself say something any company could hear.
        specific = any(_any(gm["specific"], s) and not _any(gm["generic"], s) for s in sentences)
        if generic and not specific and not numbers and not proper:
            flag("generic_motivation", next(s for s in sentences if generic.group(0) in s))
    vague = next((s for s in sentences if _any(rules["vague_plan"]["patterns"], s)), "")
    if vague and not numbers and in_scope("vague_plan", qtype, track, rules):
        flag("vague_plan", vague)   # いろいろ経験して貢献できる人材に: no goal to ask about
    asked: list[str] = []
    rq = rules["reverse_question"]
    if in_scope("no_reverse_question", qtype, track, rules) and qtype is not None:
        asked = [s for s in sentences if _any(rq["question"], s) and not _any(rq["none"], s)]
        if not asked:
            flag("no_reverse_question", next((s for s in sentences if _any(rq["none"], s)), first))
        else:
            # Only conditions were asked when some question is about them and none is about the
            # work itself; a question base misheard beyond recognition is about neither, and
            # must not turn a conditions-only answer into a praised one.
            conditions = [s for s in asked if _sounds_like_any(rq["conditions"], s)]
            if conditions and not any(_any(rq["work"], s) for s in asked):
                flag("conditions_only", conditions[0])
    m = re.search(rules["kisha"]["pattern"], clean)
    if m:
        flag("kisha", next(s for s in sentences if m.group(0) in s))
    neg = next((s for s in sentences if _any(rules["negative_words"]["patterns"], s)), "")
    if neg:
        flag("negative_words", neg)
    if sentences and _any(rules["no_clear_end"]["endings"], _bare(sentences[-1])):
        flag("no_clear_end", sentences[-1])
    chars = len(re.sub(r"[\s、。,.!?！？「」]", "", normalise(text)))
    said = chars if spoken_s is None else round(spoken_s * rules["length"]["chars_per_min"] / 60)
    length = _length_issue(said, question, rules)
    if length:
        flag(length, first)

    findings = _findings(sentences, clean, where, elements, numbers, process, rules)
    # A striking figure with no account of how it was reached is the first thing a
    # second-round interviewer doubts: with a number it is a fault, not only a lead
    # (in a main answer: a follow-up answer asked for the result gives just that).
    if numbers and qtype != "followup":
        issues += [f for f in findings if f.id == "result_without_process"]
        findings = [f for f in findings if f.id != "result_without_process"]
    issues = [i for i in issues if in_scope(i.id, qtype, track, rules)]
    findings = [f for f in findings if in_scope(f.id, qtype, track, rules)]
    return ContentAnalysis(
        question_id=question.id if question else None, question_type=qtype, sentences=tuple(sentences),
        conclusion_first=conclusion, elements=tuple(elements), elements_in_order=in_order,
        has_numbers=bool(numbers), numbers=tuple(numbers), process_words=tuple(process),
        abstract_phrases=tuple(abstract), chars=chars, issues=tuple(issues), findings=tuple(findings),
        questions_asked=tuple(asked), track=track)


def _findings(sentences, clean, where, elements, numbers, process, rules) -> list[Issue]:
    """Details a deep-dive follow-up can pick up (not faults in themselves); [scope] filters them."""
    spec = rules["followup_triggers"]
    out: list[Issue] = []

    def sentence_with(patterns: list[str]) -> str:
        return next((s for s in sentences if _any(patterns, s)), "")

    result = next((e for e in elements if e.name == "result"), None)
    if result and "action" not in where and not process:
        out.append(Issue("result_without_process", sentences[result.sentence]))
    if not numbers:
        out.append(Issue("claim_without_numbers", sentences[0] if sentences else ""))
    failure = sentence_with(spec["failure"])
    if failure:
        out.append(Issue("failure_mentioned", failure))
    team = sentence_with(spec["team"])
    if team and not _any(spec["own_role"], clean):
        out.append(Issue("vague_team", team))
    if "lesson" not in where:
        out.append(Issue("no_lesson", sentences[-1] if sentences else ""))
    return out
