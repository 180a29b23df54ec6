"""The only writer to the data folder: session folders (the truth) and an SQLite index.

A session folder holds everything: `session.json`, and per answer its audio and its
analysis as JSON. The database only indexes those files for history queries, so it can
always be rebuilt from the folders (`mensetsu reindex`). JSON is written atomically
(temporary file, fsync, rename); audio is written while it is recorded (capture.py).
"""

from __future__ import annotations

import json
import os
import secrets
import sqlite3
import stat
from contextlib import closing
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import platformdirs

from simulator.analysis.record import SCHEMA_VERSION, SavedAnswer
from simulator.errors import MensetsuError
from simulator.judge.company import (
    CompanyProfile,
    load_profile,
    profile_path,
    profile_toml,
    profiles_dir,
)
from simulator.paths import open_private, project_dir
from simulator.store.notes import Note, load_notes, note_path, notes_dir

DB_NAME = "mensetsu.db"

# Each entry moves the schema one version up; never edit a released entry, add one.
MIGRATIONS = [
    """
    CREATE TABLE sessions (
        id TEXT PRIMARY KEY,
        started_at TEXT NOT NULL,
        ended_at TEXT,
        track TEXT,
        model TEXT,
        answer_count INTEGER NOT NULL DEFAULT 0,
        folder TEXT NOT NULL
    );
    CREATE TABLE answers (
        session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
        idx INTEGER NOT NULL,
        question_id TEXT,
        question_type TEXT,
        parent_id TEXT,
        trigger TEXT,
        audio TEXT,
        duration_s REAL,
        speech_s REAL,
        mora_per_min REAL,
        filler_count INTEGER,
        fillers_per_min REAL,
        length_verdict TEXT,
        conclusion_first INTEGER,
        has_numbers INTEGER,
        issues TEXT,
        content_score INTEGER,
        PRIMARY KEY (session_id, idx)
    );
    CREATE INDEX answers_question ON answers(question_id);
    """,
    """
    CREATE TABLE facts (
        session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
        idx INTEGER NOT NULL,
        question_id TEXT,
        subject TEXT NOT NULL,
        period TEXT NOT NULL,
        unit TEXT NOT NULL,
        value REAL NOT NULL,
        quote TEXT NOT NULL
    );
    CREATE INDEX facts_key ON facts(subject, period, unit);
    """,
    """
    ALTER TABLE answers ADD COLUMN pitch_spread_st REAL;
    ALTER TABLE answers ADD COLUMN fade_share REAL;
    ALTER TABLE answers ADD COLUMN pace_spread REAL;
    """,
    """
    ALTER TABLE facts ADD COLUMN uncertain INTEGER NOT NULL DEFAULT 0;
    """,
]


class StorageError(MensetsuError):
    """A saved session cannot be used; the message is for the user."""


def data_dir(override: str | os.PathLike | None = None) -> Path:
    """--data-dir, else MENSETSU_DATA_DIR, else the platform's user data folder."""
    chosen = override or os.environ.get("MENSETSU_DATA_DIR") or platformdirs.user_data_dir("mensetsu")
    return Path(chosen).expanduser()


def _private_dir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    try:
        path.chmod(stat.S_IRWXU)  # career stories are personal: user-only
    except OSError:
        pass
    return path


def write_text(path: Path, text: str) -> None:
    """Write a private file so that it is either the old or the new version, never half."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open_private(tmp, "w", encoding="utf-8") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def write_json(path: Path, data: dict) -> None:
    write_text(path, json.dumps(data, ensure_ascii=False, indent=1))


@dataclass
class SessionFolder:
    """One session on disk, written answer by answer."""

    id: str
    path: Path
    meta: dict

    @property
    def answers(self) -> list[SavedAnswer]:
        return session_answers(self.meta)

    def answer_audio(self, idx: int, question_id: str) -> Path:
        return self.path / f"{idx:02d}_{question_id}.wav"

    def next_idx(self) -> int:
        taken = [a.idx for a in self.answers] + [idx for idx, _, _ in self.unsaved_recordings()]
        return max(taken, default=0) + 1

    def unsaved_recordings(self) -> list[tuple[int, str, Path]]:
        """Answers on disk that the session never recorded as analysed (the program was killed
        while recording or transcribing): (idx, question id, path)."""
        saved = {a.audio for a in self.answers}
        found = []
        for p in sorted(self.path.glob("[0-9][0-9]_*.wav")):
            if p.name not in saved:
                found.append((int(p.name[:2]), p.stem[3:], p))
        return found

    def save(self) -> None:
        write_json(self.path / "session.json", self.meta)


class Store:
    """Session folders and the SQLite index under one data directory."""

    def __init__(self, root: str | os.PathLike | None = None) -> None:
        self.root = _private_dir(data_dir(root))
        self.sessions_dir = _private_dir(self.root / "sessions")
        self.db_path = self.root / DB_NAME

    # -- database ----------------------------------------------------------------------
    def connect(self) -> sqlite3.Connection:
        if not self.db_path.exists():
            open_private(self.db_path).close()  # SQLite gives its -wal and -shm files the same mode
        con = sqlite3.connect(self.db_path, timeout=10)
        con.row_factory = sqlite3.Row
        con.execute("PRAGMA foreign_keys = ON")
        con.execute("PRAGMA journal_mode = WAL")
        migrate(con)
        return con

    # -- sessions ----------------------------------------------------------------------
    def begin(self, meta: dict) -> SessionFolder:
        now = datetime.now().astimezone()
        while True:  # ids sort by time; the random part keeps sessions begun in the same second apart
            sid = now.strftime("%Y%m%d-%H%M%S") + "-" + secrets.token_hex(2)
            try:
                (self.sessions_dir / sid).mkdir()
                break
            except FileExistsError:
                continue
        folder = _private_dir(self.sessions_dir / sid)
        session = SessionFolder(sid, folder, {"schema": SCHEMA_VERSION, "id": sid,
                                              "started_at": now.isoformat(timespec="seconds"),
                                              "ended_at": None, "answers": [], **meta})
        session.save()
        self._index(session.meta, folder)
        return session

    def reopen(self, folder: Path) -> SessionFolder:
        """A saved session, to go on with (`practice --resume`)."""
        meta = load_session_meta(folder)
        if meta is None:
            raise StorageError(f"{folder / 'session.json'} が壊れていて読めません。別のセッションを指定してください")
        # answers added now must share one layout with those already there
        meta["answers"] = [a.to_dict() for a in session_answers(meta)]
        meta["schema"] = SCHEMA_VERSION
        return SessionFolder(meta["id"], folder, meta)

    def add_answer(self, session: SessionFolder, answer: SavedAnswer) -> None:
        """Record one answer: written to session.json first (the truth), then indexed."""
        session.meta["answers"].append(answer.to_dict())
        session.save()
        self._index(session.meta, session.path)

    def replace_answer(self, session: SessionFolder, answer: SavedAnswer) -> None:
        """Store a changed answer (a corrected transcript) in place of the one with its idx."""
        answers = session.meta["answers"]
        at = next((n for n, a in enumerate(session.answers) if a.idx == answer.idx), None)
        if at is None:
            raise StorageError(f"回答 {answer.idx} がこのセッションにありません")
        answers[at] = answer.to_dict()
        session.save()
        self._index(session.meta, session.path)

    def attempts(self, question_id: str) -> list[tuple[str, str, SavedAnswer]]:
        """Every analysed answer to `question_id`, oldest first: (session id, started_at, answer)."""
        with closing(self.connect()) as con:
            rows = con.execute("""SELECT a.session_id, a.idx, s.started_at, s.folder FROM answers a
                                  JOIN sessions s ON s.id = a.session_id WHERE a.question_id = ?
                                  ORDER BY s.started_at, a.session_id, a.idx""", (question_id,)).fetchall()
        out, metas = [], {}
        for r in rows:
            meta = metas.setdefault(r["session_id"], load_session_meta(Path(r["folder"])))
            answer = next((a for a in session_answers(meta or {}) if a.idx == r["idx"]), None)
            if answer is not None and answer.analysis is not None:
                out.append((r["session_id"], r["started_at"], answer))
        return out

    # -- the user's own material: company profiles and notes, kept like sessions ---------
    @property
    def companies_dir(self) -> Path:
        return _private_dir(profiles_dir(self.root))

    @property
    def notes_dir(self) -> Path:
        return _private_dir(notes_dir(self.root))

    def create_profile(self, name: str) -> Path:
        """A new profile for `name` from the commented template, for the user to fill in."""
        path = profile_path(self.root, name)
        _private_dir(path.parent)
        if path.exists():
            raise StorageError(f"{name} のプロフィールはもうあります: {path}")
        template = (project_dir("prompts") / "company_template.toml").read_text(encoding="utf-8")
        write_text(path, template.replace("{name}", json.dumps(name.strip(), ensure_ascii=False)))
        return path

    def save_profile(self, name: str, form: dict, existing: CompanyProfile | None = None) -> CompanyProfile:
        """Write a profile from the page's form: a new file from the template, or `existing`
        rewritten in place. The text is checked as a profile before it replaces anything."""
        if not name.strip():
            raise StorageError("会社名を入力してください")
        path = Path(existing.path) if existing else profile_path(self.root, name)
        if existing is None and path.exists():
            raise StorageError(f"{name} のプロフィールはもうあります。一覧から「編集」を選んでください")
        if path.resolve().parent != self.companies_dir.resolve():
            raise StorageError(f"{path} はデータフォルダの外のファイルなので、ここでは書き換えません")
        _private_dir(path.parent)
        template = (project_dir("prompts") / "company_template.toml").read_text(encoding="utf-8")
        draft = path.with_name(f".{path.stem}.{secrets.token_hex(4)}.toml")
        write_text(draft, profile_toml(template, name, form))
        try:
            load_profile(draft)
            os.replace(draft, path)
        finally:
            draft.unlink(missing_ok=True)
        return load_profile(path)

    def delete_profile(self, profile: CompanyProfile) -> int:
        """Delete a profile of the data folder and the notes filed under its company;
        returns how many notes went. A profile file kept elsewhere is the user's own: never deleted."""
        path = Path(profile.path)
        if path.resolve().parent != self.companies_dir.resolve():
            raise StorageError(f"{path} はデータフォルダの外のファイルなので削除しません（ファイルは自分で管理してください）")
        path.unlink()
        notes = [n for n in load_notes(self.root) if n.company == profile.name]
        for n in notes:
            note_path(self.root, n.id).unlink(missing_ok=True)
        return len(notes)

    def add_note(self, note: Note) -> Path:
        """Keep `note`; one with the id of a note already there replaces it (an edit)."""
        path = note_path(self.root, note.id)
        _private_dir(path.parent)
        write_json(path, note.to_dict())
        return path

    def delete_note(self, note_id: str) -> None:
        note_path(self.root, note_id).unlink(missing_ok=True)

    def finish(self, session: SessionFolder) -> None:
        session.meta["ended_at"] = datetime.now().astimezone().isoformat(timespec="seconds")
        session.save()
        self._index(session.meta, session.path)

    def _index(self, meta: dict, folder: Path) -> None:
        answers = session_answers(meta)
        with closing(self.connect()) as con, con:
            con.execute("DELETE FROM answers WHERE session_id = ?", (meta["id"],))
            con.execute("DELETE FROM facts WHERE session_id = ?", (meta["id"],))
            con.execute("INSERT OR REPLACE INTO sessions VALUES (?,?,?,?,?,?,?)",
                        (meta["id"], meta["started_at"], meta.get("ended_at"), meta.get("track"),
                         (meta.get("model") or {}).get("name"),
                         sum(not a.unheard for a in answers), str(folder)))
            for a in answers:
                if a.unheard:  # no voice reached the microphone: nothing to average
                    continue
                m = a.analysis
                d, c, v = (m.delivery, m.content, m.voice) if m else (None, None, None)
                con.execute("INSERT INTO answers VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", (
                    meta["id"], a.idx, a.question_id, c and c.question_type, a.parent_id, a.trigger, a.audio,
                    d and d.duration_s, d and d.speech_s, d and d.mora_per_min, d and d.filler_count,
                    d and d.fillers_per_min, d and d.length_verdict,
                    _bool(c and c.conclusion_first), _bool(c and c.has_numbers),
                    json.dumps(c.issue_ids if c else [], ensure_ascii=False),
                    c.score if c else None,
                    v and v.pitch_spread_st, v and v.fade_share, v and v.pace_spread))
                for f in m.review.facts if m else ():
                    con.execute("INSERT INTO facts VALUES (?,?,?,?,?,?,?,?,?)", (
                        meta["id"], a.idx, a.question_id, f.subject, f.period, f.unit, f.value, f.quote,
                        int(f.uncertain)))

    def reindex(self) -> int:
        """Rebuild the database from the session folders; returns the number of sessions."""
        for suffix in ("", "-wal", "-shm"):
            Path(str(self.db_path) + suffix).unlink(missing_ok=True)
        count = 0
        for folder in sorted(self.sessions_dir.iterdir()):
            meta = load_session_meta(folder)
            if meta is not None:
                self._index(meta, folder)
                count += 1
        return count

    def delete(self, folder: Path) -> None:
        """Remove a session: its rows first (so history never points at missing audio), then its folder."""
        import shutil

        with closing(self.connect()) as con, con:
            con.execute("DELETE FROM sessions WHERE id = ?", (folder.name,))
        shutil.rmtree(folder)

    def history(self, until: str | None = None) -> list[dict]:
        """One row per session that holds an analysed answer, oldest first (up to session
        `until` when given), with the averages of its answers.

        A session in which nothing was heard (a muted microphone) or nothing was analysed (the
        page closed before the first answer could be) is kept on disk but not listed."""
        with closing(self.connect()) as con:
            return [dict(r) for r in con.execute("""
                SELECT s.id, s.started_at, s.track, COUNT(a.idx) AS answers, AVG(a.speech_s) AS speech_s,
                       AVG(a.mora_per_min) AS mora_per_min, AVG(a.fillers_per_min) AS fillers_per_min,
                       AVG(a.content_score) AS content_score,
                       AVG(a.pitch_spread_st) AS pitch_spread_st, AVG(a.fade_share) AS fade_share
                FROM sessions s JOIN answers a ON a.session_id = s.id
                     AND (a.speech_s IS NOT NULL OR a.content_score IS NOT NULL)
                WHERE ? IS NULL OR s.started_at <= (SELECT started_at FROM sessions WHERE id = ?)
                GROUP BY s.id ORDER BY s.started_at, s.id""", (until, until))]

    def by_question_type(self) -> list[dict]:
        """Averages per question type over every answer."""
        with closing(self.connect()) as con:
            return [dict(r) for r in con.execute("""
                SELECT question_type, COUNT(*) AS n, AVG(fillers_per_min) AS fillers_per_min,
                       AVG(mora_per_min) AS mora_per_min, AVG(speech_s) AS speech_s, AVG(content_score) AS content_score
                FROM answers WHERE question_type IS NOT NULL GROUP BY question_type ORDER BY question_type""")]

    def facts_until(self, started_at: str) -> list[dict]:
        """The figures and claims of every session begun by `started_at`, in the order said."""
        with closing(self.connect()) as con:
            return [dict(r) for r in con.execute("""
                SELECT f.*, s.started_at FROM facts f JOIN sessions s ON s.id = f.session_id
                WHERE s.started_at <= ? ORDER BY s.started_at, f.session_id, f.idx""", (started_at,))]

    def question_history(self) -> dict[str, dict]:
        """Per question id: how often answered and the latest content score."""
        with closing(self.connect()) as con:
            rows = con.execute("""
                SELECT question_id, COUNT(*) AS times,
                       (SELECT a2.content_score FROM answers a2 JOIN sessions s2 ON s2.id = a2.session_id
                        WHERE a2.question_id = a.question_id ORDER BY s2.started_at DESC, a2.idx DESC LIMIT 1)
                       AS last_score
                FROM answers a GROUP BY question_id""").fetchall()
        return {r["question_id"]: {"times": r["times"], "last_score": r["last_score"]} for r in rows}


def short_ids(ids: list[str]) -> dict[str, str]:
    """Each session id shortened to its random last part (dd42) where that is unique.

    Every command that takes a session accepts the short id as well as the full one, so
    a history table in an 80-column terminal still shows something to type.
    """
    tails = [i.rsplit("-", 1)[-1] for i in ids]
    return {i: t if tails.count(t) == 1 and len(t) >= 4 else i for i, t in zip(ids, tails)}


def _bool(value) -> int | None:
    return None if value is None else int(bool(value))


def session_answers(meta: dict) -> list[SavedAnswer]:
    """The answers of a session.json, whatever its schema (a file without one is schema 1)."""
    schema = int(meta.get("schema", 1))
    return [SavedAnswer.from_dict(a, schema) for a in meta.get("answers", [])]


def load_session_meta(folder: Path) -> dict | None:
    try:
        return json.loads((folder / "session.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def migrate(con: sqlite3.Connection) -> None:
    """Bring the schema to the newest version, one recorded step at a time."""
    version = con.execute("PRAGMA user_version").fetchone()[0]
    for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
        with con:
            con.executescript(script)
            con.execute(f"PRAGMA user_version = {number}")
