"""Japanese text layer: tokens with readings, mora counts, fillers and sentences.

Readings come from OpenJTalk's front end (pyopenjtalk), which also reads numbers and
Latin letters, so "1.5倍" and "IT" get their spoken mora. Fillers are found on token
boundaries and judged with the part of speech of their neighbours, so that あの会社
or その経験 stay real words while a bare あの、 is counted.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, replace
from functools import lru_cache

from simulator.rules.bank import PromptsError, load, prompt_line

_PUNCT_POS = "記号"
_NOUN_LIKE = {"名詞", "接頭詞", "形容詞", "連体詞", "動詞"}
_SENTENCE_END = re.compile(r"(?<=[。！？!?])|\n+")
_MAX_FILLER_TOKENS = 3


@dataclass(frozen=True)
class Token:
    """One morpheme of the text, with where it sits in the (normalised) text."""

    surface: str
    pos: str
    pos_detail: str
    pos_sub: str
    lemma: str
    reading: str
    mora: int
    start: int  # character offset in normalise(text); -1 when it could not be located
    end: int
    form: str = ""   # conjugation form (OpenJTalk's cform): 連用形, 基本形 …

    @property
    def is_punct(self) -> bool:
        return self.pos == _PUNCT_POS


@dataclass(frozen=True)
class FillerRule:
    canonical: str
    spelling: str
    rule: str
    not_beside: tuple[str, ...] = ()
    not_followed_by: tuple[re.Pattern, ...] = ()
    needs_pause: bool = False


_RULES = ("always", "demonstrative", "clause_start")
_LONG_VOWEL = re.compile(r"[ー〜~]+")


def filler_key(word: str) -> str:
    """The lexicon key of a spelling: normalised, with stretched vowels collapsed (えーーと → えーと)."""
    return _LONG_VOWEL.sub("ー", normalise(word))


@dataclass(frozen=True)
class FillerSpan:
    """A filler found in text: its spelling, canonical type and character span."""

    text: str
    canonical: str
    start: int
    end: int


def normalise(text: str) -> str:
    """NFKC, so full-width digits/letters and half-width kana compare equal."""
    return unicodedata.normalize("NFKC", text)


@lru_cache(maxsize=None)
def filler_lexicon() -> dict[str, FillerRule]:
    """lexicon key → rule, loaded from prompts/fillers.toml and checked (file:line errors)."""
    lexicon: dict[str, FillerRule] = {}
    for entry in load("fillers")["filler"]:
        first = '"%s"' % (entry.get("spellings") or [""])[0]

        def error(message: str) -> PromptsError:
            return PromptsError(f"{prompt_line('fillers', first)}: {message}")

        if entry.get("rule") not in _RULES or not entry.get("canonical") or not entry.get("spellings"):
            raise error(f"フィラーには canonical・spellings・rule（{'/'.join(_RULES)}）が必要です")
        try:
            follow = tuple(re.compile(p) for p in entry.get("not_followed_by", ()))
        except re.error as e:
            raise error(f"not_followed_by の正規表現が不正です: {e}") from None
        for spelling in entry["spellings"]:
            lexicon[filler_key(spelling)] = FillerRule(
                entry["canonical"], normalise(spelling), entry["rule"],
                tuple(entry.get("not_beside", ())), follow, bool(entry.get("needs_pause", False)))
    return lexicon


def canonical_filler(word: str) -> str | None:
    rule = filler_lexicon().get(filler_key(word).strip(" 、。,."))
    return rule.canonical if rule else None


def tokenize(text: str) -> list[Token]:
    """Morphemes of `text` with readings and mora counts, offsets into normalise(text).

    OpenJTalk rewrites what it reads: 3000 becomes 三 千, 1.5 becomes 一 ． 五, 20% becomes
    二 十 ％. Tokens whose surface is not in the text are held back until the next token
    is found again, and then all share the stretch of text between (the digits they
    read), so every later token keeps its offset.
    """
    import pyopenjtalk

    norm = normalise(text)
    if not norm.strip():
        return []
    nodes = [node for piece in _pieces(norm) for node in pyopenjtalk.run_frontend(piece)]
    tokens: list[Token] = []
    starts: list[int] = []
    ends: list[int] = []
    cursor = 0
    pending: list[int] = []  # indices of tokens read from text not yet located
    for node in nodes:
        surface = normalise(node["string"])
        reach = _REACH + _rewritten_length(norm, cursor)
        at = norm.find(surface, cursor, cursor + reach + len(surface)) if surface else -1
        if at >= 0 and pending and at == cursor:
            at = -1  # a rewritten number must cover some text before the next token
        if at < 0:
            pending.append(len(tokens))
            starts.append(-1)
            ends.append(-1)
        else:
            for k in pending:
                starts[k], ends[k] = cursor, at
            pending = []
            starts.append(at)
            ends.append(at + len(surface))
            cursor = at + len(surface)
        tokens.append(Token(surface, node["pos"], node["pos_group1"], node["pos_group2"],
                            normalise(node["orig"]), node["pron"], int(node["mora_size"]), 0, 0, node["cform"]))
    tail = len(norm.rstrip())
    if pending and 0 < tail - cursor <= _REACH + _rewritten_length(norm, cursor):
        for k in pending:
            starts[k], ends[k] = cursor, tail
    return [replace(t, start=s, end=e) for t, s, e in zip(tokens, starts, ends)]


# How far past the cursor a token may be found: the front end drops spaces and some
# symbols, and a rewritten number stretches over its digits and separators.
_REACH = 2
_REWRITABLE = re.compile(r"[0-9][0-9,.]*%?|%")


def _rewritten_length(text: str, at: int) -> int:
    """Length of the digits (with , and .) at `at` that the front end reads as kanji."""
    m = _REWRITABLE.match(text, at)
    return len(m.group(0)) if m else 0


_PIECE_CHARS = 1000  # OpenJTalk refuses long input ("Input text is too long")


def _pieces(text: str) -> list[str]:
    """`text` in pieces OpenJTalk accepts, cut after sentence ends where possible."""
    pieces = []
    while len(text) > _PIECE_CHARS:
        window = text[:_PIECE_CHARS]
        cut = max(window.rfind(c) for c in "。！？!?\n") + 1 or _PIECE_CHARS
        pieces.append(text[:cut])
        text = text[cut:]
    return [*pieces, text]


@lru_cache(maxsize=4096)
def reading(text: str) -> str:
    """The katakana reading of `text`, accent marks removed (cached: rule words recur)."""
    return "".join(t.reading for t in tokenize(text) if not t.is_punct).replace("’", "")


def count_mora(text: str) -> int:
    """Spoken mora in `text`, numbers and Latin letters included, punctuation excluded."""
    return sum(t.mora for t in tokenize(text) if not t.is_punct)


def _clause_start(tokens: list[Token], i: int, fillers_before: set[int]) -> bool:
    return i == 0 or tokens[i - 1].is_punct or (i - 1) in fillers_before


def _next_is_boundary(tokens: list[Token], j: int) -> bool:
    return j >= len(tokens) or tokens[j].is_punct or filler_key(tokens[j].surface) in filler_lexicon()


def find_fillers(text: str, tokens: list[Token] | None = None) -> list[FillerSpan]:
    """Fillers in `text`, in order, with canonical types and character spans.

    A candidate must cover whole tokens (so そのまま or あのね never match), then its
    rule decides: `always`, `demonstrative` (a noun-like word must not follow) or
    `clause_start` (only after a boundary). A token the front end tagged フィラー is
    trusted when its spelling is in the lexicon.
    """
    tokens = tokenize(text) if tokens is None else tokens
    norm = normalise(text)
    lexicon = filler_lexicon()
    found: list[FillerSpan] = []
    filler_idx: set[int] = set()
    i = 0
    while i < len(tokens):
        match = None
        for n in range(min(_MAX_FILLER_TOKENS, len(tokens) - i), 0, -1):
            group = tokens[i:i + n]
            if any(t.start < 0 for t in group):
                continue
            rule = lexicon.get(filler_key("".join(t.surface for t in group)))
            if rule:
                match = (n, rule)
                break
        if match is None:
            i += 1
            continue
        n, rule = match
        j = i + n
        nxt = tokens[j] if j < len(tokens) else None
        tagged = n == 1 and tokens[i].pos == "フィラー"
        prev = tokens[i - 1] if i else None
        after = norm[tokens[j - 1].end:]
        if any(t is not None and t.surface in rule.not_beside for t in (prev, nxt)):
            ok = False
        elif any(p.search(after) for p in rule.not_followed_by):
            ok = False
        elif tagged or rule.rule == "always":
            ok = True
        elif rule.rule == "demonstrative":
            ok = _next_is_boundary(tokens, j) or nxt.pos not in _NOUN_LIKE
        else:  # clause_start
            ok = _clause_start(tokens, i, filler_idx) and (not rule.needs_pause or _next_is_boundary(tokens, j))
        if ok:
            start, end = tokens[i].start, tokens[j - 1].end
            found.append(FillerSpan(norm[start:end], rule.canonical, start, end))
            filler_idx.update(range(i, j))
            i = j
        else:
            i += 1
    return found



_KANJI_NUM = "〇一二三四五六七八九十百千"


def digits(text: str) -> str:
    """Kanji numerals before a unit or 万/億 become digits (二百万円 → 200万円, 五年 → 5年),
    so that a figure said either way compares equal; kanjize does the maths."""
    from kanjize import kanji2number

    def repl(m: re.Match) -> str:
        try:
            return str(kanji2number(m.group(0)))
        except (ValueError, KeyError):
            return m.group(0)

    return re.sub(f"[{_KANJI_NUM}]+(?=[万億]|円|件|人|名|社|年|か月|ヶ月|カ月|%)", repl, text)


def split_sentences(text: str) -> list[str]:
    """Sentences of a transcript; Whisper's own full stops and question marks mark the ends."""
    return [s.strip() for s in _SENTENCE_END.split(text) if s.strip()]
