"""The user's own research on one company (企業研究), read from a TOML file they write.

A profile holds what a second-round interviewer expects a candidate to know: the
business, products, values, recent news, the job posting and its required skills, what
the company publishes about itself (recruiting page, FAQ) and the user's own notes.
Answers are judged against it (`fit`): a motivation is specific to this company when
it names something the profile holds, and a reverse question is wasted when the
company's published information already answers it.

Matching tolerates base's mishearings: terms are compared by their katakana reading as
well as their spelling (ハコブ heard as 運ぶ still matches).
"""

from __future__ import annotations

import json
import math
import re
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Mapping

from simulator.errors import MensetsuError
from simulator.lang.japanese import normalise, reading, split_sentences, tokenize

LIST_KEYS = ("products", "values", "news", "skills", "published")
TEXT_KEYS = ("business", "posting", "notes")


class CompanyError(MensetsuError):
    """A profile cannot be found or read; the message is for the user."""


@dataclass(frozen=True)
class Item:
    """One thing the profile says, with the key it came from (products, news …)."""

    key: str
    text: str


@dataclass(frozen=True)
class CompanyFit:
    """What an answer named of the company it was judged against."""

    company: str
    used: tuple[Item, ...] = ()   # profile items the answer names

    def to_dict(self) -> dict:
        return {"company": self.company, "used": [{"key": i.key, "text": i.text} for i in self.used]}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> CompanyFit:
        return cls(d["company"], tuple(Item(i["key"], i["text"]) for i in d.get("used", [])))


@dataclass(frozen=True)
class CompanyProfile:
    name: str
    business: str = ""
    products: tuple[str, ...] = ()
    values: tuple[str, ...] = ()
    news: tuple[str, ...] = ()
    posting: str = ""
    skills: tuple[str, ...] = ()
    published: tuple[str, ...] = ()
    notes: str = ""
    path: str = ""
    # the user's other saved profiles: what "only this company" is judged against (fit.py)
    rivals: tuple[CompanyProfile, ...] = field(default=(), compare=False, repr=False)

    def items(self, keys: tuple[str, ...] = (*LIST_KEYS, *TEXT_KEYS)) -> list[Item]:
        """The profile as items: each list entry, and each sentence of the texts."""
        out = []
        for key in keys:
            value = getattr(self, key)
            parts = value if isinstance(value, tuple) else split_sentences(value)
            out += [Item(key, p) for p in parts if p.strip()]
        return out

    def to_dict(self) -> dict:
        return {f.name: list(v) if isinstance(v := getattr(self, f.name), tuple) else v for f in fields(self)
                if f.name != "rivals"}

    def text(self) -> str:
        """Everything the profile says, its name included, as one text to search."""
        return "\n".join([self.name, *(i.text for i in self.items())])


def _line_of(source: str, key: str) -> int:
    for n, line in enumerate(source.splitlines(), 1):
        if re.match(rf"\s*{re.escape(key)}\s*=", line):
            return n
    return 1


def load_profile(path: Path) -> CompanyProfile:
    """Read and check a profile; every mistake is reported as `file:line: what is wrong`."""
    try:
        source = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CompanyError(f"会社のプロフィールが見つかりません: {path}") from None
    except (OSError, UnicodeDecodeError):
        raise CompanyError(f"{path}: UTF-8 の TOML ファイルとして読めません") from None
    try:
        data = tomllib.loads(source)
    except tomllib.TOMLDecodeError as e:
        m = re.search(r"line (\d+)", str(e))
        raise CompanyError(f"{path}:{m.group(1) if m else 1}: TOML の書き方が正しくありません（{e}）") from None
    unknown = [k for k in data if k not in ("name", *LIST_KEYS, *TEXT_KEYS)]
    if unknown:
        raise CompanyError(f"{path}:{_line_of(source, unknown[0])}: 知らない項目です: {unknown[0]}"
                           f"（使える項目: name, {', '.join((*TEXT_KEYS, *LIST_KEYS))}）")
    name = data.get("name")
    if not isinstance(name, str) or not name.strip():
        raise CompanyError(f"{path}:{_line_of(source, 'name')}: name（会社名）を文字列で書いてください")
    values: dict = {"name": name.strip(), "path": str(path)}
    for key in TEXT_KEYS:
        v = data.get(key, "")
        if not isinstance(v, str):
            raise CompanyError(f"{path}:{_line_of(source, key)}: {key} は文字列（\"…\" か '''…'''）で書いてください")
        values[key] = v.strip()
    for key in LIST_KEYS:
        v = data.get(key, [])
        if isinstance(v, str):
            v = [v]
        if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
            raise CompanyError(f"{path}:{_line_of(source, key)}: {key} は文字列のリスト（[\"…\", \"…\"]）で書いてください")
        values[key] = tuple(x.strip() for x in v if x.strip())
    return CompanyProfile(**values)


def profile_toml(template: str, name: str, form: Mapping[str, str | list[str] | tuple[str, ...]]) -> str:
    """The profile file the page's form writes: the commented template (the same file
    `mensetsu company add` makes) with each item's value filled in, so that it stays the
    user's to edit by hand too. Text items are multi-line strings, lists one item a line."""
    def text(value: str) -> str:
        value = value.strip()
        if "'''" in value or value.endswith("\\"):
            return json.dumps(value, ensure_ascii=False)
        return "'''\n" + value + "\n'''"

    def items(values) -> str:
        values = [v.strip() for v in values if v.strip()]
        return "[]" if not values else "[\n" + "".join(f"    {json.dumps(v, ensure_ascii=False)},\n" for v in values) + "]"

    values = {"name": json.dumps(name.strip(), ensure_ascii=False),
              **{k: text(str(form.get(k) or "")) for k in TEXT_KEYS},
              **{k: items(form.get(k) or ()) for k in LIST_KEYS}}
    out, skipping = [], False
    for line in template.splitlines():
        if skipping:   # the rest of the template's own multi-line value
            skipping = not line.rstrip().endswith("'''")
            continue
        key = line.split("=", 1)[0].strip() if "=" in line and not line.startswith("#") else None
        if key in values:
            out.append(f"{key} = {values[key]}")
            rest = line.split("=", 1)[1].strip()
            skipping = rest.startswith("'''") and not (len(rest) > 3 and rest.endswith("'''"))
        else:
            out.append(line)
    return "\n".join(out) + "\n"


# -- matching -----------------------------------------------------------------------

@dataclass(frozen=True)
class Term:
    text: str
    reading: str


def terms(text: str, stop: frozenset[str]) -> list[Term]:
    """Content nouns of `text` (compounds kept whole: 物流DX), without the stop words.

    A term shorter than two characters or three mora says too little to match on.
    """
    out: dict[str, Term] = {}   # by spelling, first seen first
    run: list = []

    def keep(word: str, said: str) -> None:
        said = said.replace("’", "")
        if len(word) >= 2 and len(said) >= 3 and word not in stop and not word.isdigit():
            out.setdefault(word, Term(word, said))

    def close() -> None:
        keep("".join(t.surface for t in run), "".join(t.reading for t in run))
        if len(run) > 1:   # the parts of a compound count on their own too (物流 of 物流改善)
            for t in run:
                keep(t.surface, t.reading)
        run.clear()

    for t in tokenize(text):
        if t.pos == "名詞" and t.pos_detail not in ("代名詞", "非自立", "数", "接尾"):
            run.append(t)
        else:
            close()
    close()
    return list(out.values())


@dataclass(frozen=True)
class Heard:
    """An answer's text, its readings, for matching a profile against it."""

    text: str
    said: str

    @classmethod
    def of(cls, text: str) -> Heard:
        clean = normalise(text)
        return cls(clean, reading(clean))

    def has(self, term: Term) -> bool:
        return term.text in self.text or term.reading in self.said


def names(item: Item) -> list[str]:
    """The names quoted in an item (配車計画サービス「ハコブ便」): a product's name says it alone."""
    return re.findall(r"「([^」]+)」", item.text)


def item_used(item: Item, heard: Heard, stop: frozenset[str], share: float) -> bool:
    """The answer names the item: one of its quoted names, enough of its terms, or the item word for word."""
    if any(heard.has(Term(normalise(n), reading(n))) for n in names(item)):
        return True
    ts = terms(item.text, stop)
    if not ts:
        whole = normalise(item.text).rstrip("。")
        return len(whole) >= 2 and whole in heard.text
    return sum(heard.has(t) for t in ts) >= max(1, math.ceil(share * len(ts)))


def overlap(question: str, item: Item, stop: frozenset[str]) -> float:
    """Share of the question's terms that the item also holds (by spelling or reading)."""
    asked = terms(question, stop)
    if not asked:
        return 0.0
    said = Heard.of(item.text)
    return sum(said.has(t) for t in asked) / len(asked)


def profiles_dir(root: Path) -> Path:
    return root / "companies"


def file_name(name: str) -> str:
    """A file name for a company name: what a file system refuses becomes _."""
    return re.sub(r'[\\/:*?"<>|\s]+', "_", name.strip()).strip("._") or "company"


def profile_path(root: Path, name: str) -> Path:
    """Where `company add NAME` keeps the profile of `name`."""
    return profiles_dir(root) / f"{file_name(name)}.toml"


def list_profiles(root: Path) -> dict[str, CompanyProfile]:
    """The readable profiles of the data folder by file name (without .toml)."""
    out = {}
    for path in sorted(profiles_dir(root).glob("*.toml")) if profiles_dir(root).is_dir() else []:
        try:
            out[path.stem] = load_profile(path)
        except CompanyError:
            continue
    return out


def find_profile(root: Path, ref: str) -> CompanyProfile:
    """A profile by file path, by its file name in the data folder, or by the name inside
    it, with the user's other profiles as its rivals."""
    path = Path(ref).expanduser()
    if path.suffix == ".toml" or path.is_file():
        return with_rivals(load_profile(path), root)
    direct = profile_path(root, ref)
    if direct.is_file():
        return with_rivals(load_profile(direct), root)
    for profile in list_profiles(root).values():
        if profile.name == ref.strip():
            return with_rivals(profile, root)
    raise CompanyError(f"会社のプロフィールが見つかりません: {ref}（mensetsu company add {ref} で作れます）")


def with_rivals(profile: CompanyProfile, root: Path) -> CompanyProfile:
    """`profile` with the other companies the user researched: the profiles of the data
    folder, and those kept beside the profile's own file."""
    found: dict[str, CompanyProfile] = {}
    folders = [profiles_dir(root)] + ([Path(profile.path).parent] if profile.path else [])
    for folder in folders:
        for path in sorted(folder.glob("*.toml")) if folder.is_dir() else []:
            try:
                other = load_profile(path)
            except CompanyError:
                continue
            if other.name != profile.name:
                found.setdefault(other.name, other)
    return replace(profile, rivals=tuple(found.values()))


def session_profile(meta: Mapping[str, Any], root: Path, missing_ok: bool = False) -> CompanyProfile | None:
    """The profile a saved session was practised for, with its rivals; None when it had
    none. When that file has gone or is broken since, raises CompanyError, or gives None
    with `missing_ok` (a session outlives the profile it was practised for)."""
    path = meta.get("company_file")
    try:
        return with_rivals(load_profile(Path(path)), root) if path else None
    except CompanyError:
        if missing_ok:
            return None
        raise
