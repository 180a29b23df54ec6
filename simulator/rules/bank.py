"""Load and check everything in prompts/: questions, filler lexicon, thresholds, advice.

The data is meant to be edited by people who do not read Python, so every problem is
reported as `file:line: what is wrong`.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Any, Mapping, TypeVar

from simulator.errors import MensetsuError
from simulator.paths import project_dir
from simulator.rules.schema import SCHEMA
from simulator.rules.typed import ConfidenceRules, DecodingRules, DeliveryRules, ValueTypeError, build

T = TypeVar("T")

TRACKS = ("shinsotsu", "tenshoku", "manager", "specialist", "career-change")


class PromptsError(MensetsuError):
    """A data file in prompts/ is malformed; the message names the file and line."""


def _line_of(path: Path, needle: str) -> int:
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if needle in line:
            return n
    return 1


def prompt_line(name: str, needle: str, folder: str | None = None) -> str:
    """`path:line` of the first line of prompts/<name>.toml (or `folder`'s) that holds `needle`."""
    path = (Path(folder) if folder else project_dir("prompts")) / f"{name}.toml"
    return f"{path}:{_line_of(path, needle)}"


@lru_cache(maxsize=None)
def load(name: str, folder: str | None = None) -> Mapping[str, Any]:
    """Parse prompts/<name>.toml (or `folder`/<name>.toml), with file:line errors.

    The result is shared by every caller (cached) and read-only all the way down (tables
    are mapping proxies, arrays tuples), so no caller can change what another reads."""
    path = (Path(folder) if folder else project_dir("prompts")) / f"{name}.toml"
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PromptsError(f"{path}: ファイルがありません") from None
    except UnicodeDecodeError as e:
        raise PromptsError(f"{path}:1: UTF-8 ではありません ({e.reason})") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        # tomllib writes "... (at line N, column M)"; put the line where editors look for it.
        msg = str(e)
        line = msg.rsplit("line ", 1)[-1].split(",")[0] if "line " in msg else "1"
        raise PromptsError(f"{path}:{line}: {msg}") from None
    if name in SCHEMA:
        _check(data, SCHEMA[name], (), path, text.splitlines())
    return _frozen(data)


_WANTED = {"float": "数値", "int": "整数", "str": "文字列", "tuple": "配列（[…]）", "Mapping": "表"}


def _typed(name: str, cls: type[T], folder: str | None) -> T:
    """prompts/<name>.toml as `cls` (rules/typed.py), a value's wrong type named with its line."""
    try:
        return build(cls, load(name, folder))
    except ValueTypeError as e:
        path = (Path(folder) if folder else project_dir("prompts")) / f"{name}.toml"
        lines, line = path.read_text(encoding="utf-8").splitlines(), 1
        for part in e.key.split("."):
            line = _key_line(lines, line, part)
        key = e.key.rpartition(".")[2]
        raise PromptsError(f"{path}:{line}: {key} は{_WANTED.get(e.wanted, e.wanted)}で"
                           f"書いてください（{e.value!r} になっています）") from None


@lru_cache(maxsize=None)
def delivery(folder: str | None = None) -> DeliveryRules:
    """prompts/delivery.toml: length, pace, pauses, fillers, latency, background."""
    return _typed("delivery", DeliveryRules, folder)


@lru_cache(maxsize=None)
def decoding(folder: str | None = None) -> DecodingRules:
    """prompts/decoding.toml: Whisper's context, the text it invents, lone words and fillers."""
    return _typed("decoding", DecodingRules, folder)


@lru_cache(maxsize=None)
def confidence(folder: str | None = None) -> ConfidenceRules:
    """prompts/confidence.toml: when a word is marked as unsure."""
    return _typed("confidence", ConfidenceRules, folder)


def _frozen(value: Any) -> Any:
    if isinstance(value, dict):
        return MappingProxyType({k: _frozen(v) for k, v in value.items()})
    if isinstance(value, list):
        return tuple(_frozen(v) for v in value)
    return value


def check_all(folder: str | None = None) -> None:
    """Load every file of prompts/ once, so that a mistake stops the program at start-up."""
    for name in SCHEMA:
        load(name, folder)
    delivery(folder), confidence(folder), decoding(folder)
    _cross_check(questions(folder), folder)


def _cross_check(bank: dict[str, Question], folder: str | None) -> None:
    """What one file names, another must define: every trigger of a follow-up (a
    question's, or a finding the interviewer looks for) has a reason and a label to show,
    and each question hint and the rambling take-back name a question of the bank."""
    reasons, labels = load("advice", folder)["reason"], load("labels", folder)["triggers"]
    triggers = [(q.trigger, f"questions.toml の {q.id}") for q in bank.values() if q.trigger]
    triggers += [(t, "content.toml の [followup_triggers] order") for t in load("content", folder)["followup_triggers"]["order"]]
    for trigger, named_in in triggers:
        for name, table, section in (("advice", reasons, "[reason]"), ("labels", labels, "[triggers]")):
            if trigger not in table:
                raise PromptsError(f"{prompt_line(name, section, folder)}: {section} に {trigger} の文がありません"
                                   f"（{named_in} にあります）")
    takeback = load("turn", folder)["rambling"]["followup"]
    if takeback not in bank:
        raise PromptsError(f"{prompt_line('turn', 'followup =', folder)}: 質問 {takeback} が questions.toml にありません")
    for pattern, qid in load("question_hints", folder)["hints"]:
        if qid not in bank:
            raise PromptsError(f"{prompt_line('question_hints', qid, folder)}: 質問 {qid} が questions.toml にありません")


def _key_line(lines: list[str], after: int, key: str) -> int:
    """The first line from `after` on where `key` is written as a key or a table name."""
    token = re.compile(rf'(^|[\s{{,.\[])"?{re.escape(key)}"?\s*(=|\]|\.)')
    for n in range(max(after, 1), len(lines) + 1):
        if token.search(lines[n - 1].split("#", 1)[0]):
            return n
    return after or 1


def _check(data: dict, shape: dict, where: tuple[str, ...], path: Path, lines: list[str], at: int = 1) -> None:
    """Every key of `data` known to `shape`, every required key present; errors name the line."""
    table = ".".join(where) or "ファイルの先頭"
    if set(shape) == {"*"}:
        return
    known = {k.rstrip("?") for k in shape}
    for key, value in data.items():
        if key not in known:
            raise PromptsError(f"{path}:{_key_line(lines, at, key)}: [{table}] に知らないキー {key} があります"
                               f"（綴りを確かめてください。使えるのは {', '.join(sorted(known))}）")
        sub = shape.get(key, shape.get(key + "?"))
        line = _key_line(lines, at, key)
        if isinstance(sub, dict) and isinstance(value, dict):
            _check(value, sub, (*where, key), path, lines, line)
        elif isinstance(sub, list) and isinstance(value, list):
            for item in value:
                if isinstance(item, dict):
                    line = _key_line(lines, line, key)
                    _check(item, sub[0], (*where, key), path, lines, line)
                    line += 1
    for key in shape:
        if not key.endswith("?") and key not in data:
            raise PromptsError(f"{path}:{at}: [{table}] に {key} がありません")


@dataclass(frozen=True)
class Question:
    """One interview question and what a good answer to it looks like."""

    id: str
    text: str
    type: str
    tracks: tuple[str, ...]
    intent: str = ""
    target_s: float = 60.0
    structure: str = "PREP"
    followups: tuple[str, ...] = field(default=())
    trigger: str = ""  # follow-ups only: the content finding that prompts it

    def to_dict(self) -> dict:
        return {"id": self.id, "text": self.text, "type": self.type, "tracks": list(self.tracks),
                "intent": self.intent, "target_s": self.target_s, "structure": self.structure,
                "followups": list(self.followups), "trigger": self.trigger}


_REQUIRED = ("id", "text", "type", "tracks")


def _error(path: Path, qid: str, message: str) -> PromptsError:
    line = _line_of(path, f'id = "{qid}"')
    return PromptsError(f"{path}:{line}: {message}")


@lru_cache(maxsize=None)
def questions(folder: str | None = None) -> dict[str, Question]:
    """All main questions and follow-ups by id."""
    data = load("questions", folder)
    path = (Path(folder) if folder else project_dir("prompts")) / "questions.toml"
    out: dict[str, Question] = {}
    for entry in data.get("question", []):
        qid = entry.get("id", "?")
        for key in _REQUIRED:
            if key not in entry:
                raise _error(path, qid, f"質問 {qid} に {key} がありません")
        if qid in out:
            raise _error(path, qid, f"質問 id {qid} が重複しています")
        try:
            out[qid] = Question(
                id=qid, text=entry["text"], type=entry["type"], tracks=tuple(entry["tracks"]),
                intent=entry.get("intent", ""), target_s=float(entry.get("target_s", 60)),
                structure=entry.get("structure", "PREP"), followups=tuple(entry.get("followups", ())),
                trigger=entry.get("trigger", ""))
        except (TypeError, ValueError) as e:
            raise _error(path, qid, f"質問 {qid}: {e}") from None
    for q in out.values():
        for f in q.followups:
            if f not in out:
                raise _error(path, q.id, f"質問 {q.id} の深掘り {f} が見つかりません")
    return out
