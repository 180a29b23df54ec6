"""What the user already wrote or said: the entry sheet (ES) and notes of earlier rounds.

A second-round interviewer has the entry sheet and the round-one notes on the desk and
checks that today's story matches them. Each note is kept as one private JSON file in
the data folder (`notes/`), and its facts (figures, periods, the strength claimed, the
reason for leaving) are compared with what is said in practice.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Mapping

from simulator.errors import MensetsuError
from simulator.judge.consistency import Fact, Stated, extract_facts
from simulator.store.ids import matching

KINDS = {"es": "エントリーシート", "round1": "一次面接", "other": "メモ"}
MAX_CHARS = 20000   # a long entry sheet is a few thousand characters


class NoteError(MensetsuError):
    pass


@dataclass(frozen=True)
class Note:
    id: str
    added_at: str
    kind: str             # es, round1, other
    text: str
    company: str | None = None
    source: str = ""      # the file it was read from, if any

    @property
    def label(self) -> str:
        """Where a fact came from, as the report says it: エントリーシート（ハコブ、11/20 登録）."""
        about = f"{self.company}、" if self.company else ""
        return f"{KINDS.get(self.kind, self.kind)}（{about}{self.added_at[5:10].replace('-', '/')} 登録）"

    def facts(self, rules: Mapping) -> list[Fact]:
        return extract_facts(self.text, rules)

    def stated(self, rules: Mapping) -> list[Stated]:
        return [Stated(f, self.id, self.added_at[:10], "", self.label) for f in self.facts(rules)]

    def to_dict(self) -> dict:
        return {"id": self.id, "added_at": self.added_at, "kind": self.kind, "company": self.company,
                "source": self.source, "text": self.text}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Note:
        return cls(d["id"], d["added_at"], d.get("kind", "other"), d["text"], d.get("company"), d.get("source", ""))


def notes_dir(root: Path) -> Path:
    return root / "notes"


def note_path(root: Path, note_id: str) -> Path:
    return notes_dir(root) / f"{note_id}.json"


def new_note(text: str, kind: str = "es", company: str | None = None, source: str = "") -> Note:
    text = text.strip()
    if not text:
        raise NoteError("メモの本文が空です")
    if len(text) > MAX_CHARS:
        raise NoteError(f"メモが長すぎます（{MAX_CHARS} 文字まで）")
    if kind not in KINDS:
        raise NoteError(f"種類は {' / '.join(KINDS)} のどれかです（指定: {kind}）")
    now = datetime.now().astimezone()
    return Note(now.strftime("%Y%m%d-%H%M%S") + "-" + secrets.token_hex(2), now.isoformat(timespec="seconds"),
                kind, text, company, source)


def load_notes(root: Path) -> list[Note]:
    """Every note, oldest first; a damaged file is skipped (the rest still count)."""
    folder = notes_dir(root)
    out = []
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        try:
            out.append(Note.from_dict(json.loads(path.read_text(encoding="utf-8"))))
        except (OSError, ValueError, KeyError, TypeError):
            continue
    return out


def find_note(root: Path, ref: str) -> Path:
    folder = notes_dir(root)
    matches = matching(sorted(folder.glob("*.json")), ref, lambda p: p.stem) if folder.is_dir() else []
    if len(matches) != 1:
        raise NoteError(f"メモ '{ref}' が{'見つかりません' if not matches else '複数あります'}（mensetsu notes list で確認できます）")
    return matches[0]
