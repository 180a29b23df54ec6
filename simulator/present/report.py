"""The per-session report: one self-contained HTML file in Japanese, from stored results.

Everything is inline (CSS, a few lines of JS, SVG plots drawn by matplotlib); the audio
sits next to the report in the session folder, or is embedded when the report is
written elsewhere. Jinja2 escapes every transcript, so a transcript that contains
`<script>` is shown as text.
"""

from __future__ import annotations

import base64
import io
import json
import re
from pathlib import Path

import jinja2

from simulator.analysis.analyze import AnswerAnalysis
from simulator.analysis.record import SCHEMA_VERSION
from simulator.errors import MensetsuError
from simulator.judge.company import session_profile
from simulator.judge.consistency import Conflict, Fact, Stated, contradictions
from simulator.judge.delivery import DeliveryMetrics
from simulator.present.assessment import Assessment, assess
from simulator.present.summary import topic_depths
from simulator.rules import bank
from simulator.speech.asr import hole_mark
from simulator.speech.voice import VoiceMetrics
from simulator.store.ids import matching
from simulator.store.notes import load_notes
from simulator.store.storage import (
    Store,
    load_session_meta,
    session_answers,
    write_text,
)

_TEMPLATES = Path(__file__).parent / "templates"


class ReportError(MensetsuError):
    """The session cannot be found or reported; the message is for the user."""


def find_session(store: Store, ref: str = "latest") -> Path:
    """A session folder by id, unique id prefix (like git), short id (its last part), or "latest"."""
    folders = sorted(p for p in store.sessions_dir.iterdir() if (p / "session.json").is_file())
    if not folders:
        raise ReportError(f"保存されたセッションがありません（{store.root}）。先に mensetsu practice を実行してください")
    if ref == "latest":
        return folders[-1]
    matches = matching(folders, ref)
    if len(matches) != 1:
        raise ReportError(f"セッション '{ref}' が{'見つかりません' if not matches else '複数あります'}"
                          "（mensetsu history で ID を確認してください）")
    return matches[0]


def _svg(fig) -> str:
    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None})
    import matplotlib.pyplot as plt

    plt.close(fig)
    text = buf.getvalue()
    text = re.sub(r"<metadata>.*?</metadata>", "", text, flags=re.S)  # RDF boilerplate, not content
    return text[text.index("<svg"):]


def _pyplot():
    """matplotlib for SVG with text kept as text, so the browser draws Japanese in its own fonts."""
    import logging
    import warnings

    import matplotlib

    matplotlib.use("Agg")
    logging.getLogger("matplotlib.font_manager").setLevel(logging.ERROR)  # missing fonts are expected
    # Without a Japanese font here matplotlib still lays the text out (with fallback widths)
    # and warns once per glyph; the SVG keeps the text as text and the browser that shows
    # the report draws it in its own Japanese font, so the warning says nothing useful.
    warnings.filterwarnings("ignore", message=r"Glyph \d+ .*missing from", category=UserWarning)
    matplotlib.rcParams.update({"svg.fonttype": "none", "svg.hashsalt": "mensetsu", "font.size": 9,
                                "font.family": "sans-serif",
                                "font.sans-serif": ["IPAGothic", "Noto Sans CJK JP", "Hiragino Sans", "Yu Gothic",
                                                    "Meiryo", "DejaVu Sans"]})
    import matplotlib.pyplot as plt

    return plt


def timeline_svg(d: DeliveryMetrics) -> str:
    """Speech, long pauses and fillers of one answer against its target length."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(8, 1.1))
    ax.broken_barh([(r.start, r.length) for r in d.speech], (0.35, 0.3), color="#4a7bb7", label="発話")
    for p in d.pauses:
        ax.axvspan(p.start, p.end, color="#e8a33d", alpha=0.35, label="長い間")
    if d.fillers:
        ax.plot([f.start_s for f in d.fillers], [0.82] * len(d.fillers), "v", color="#c0392b", markersize=6,
                label="フィラー")
    start, target = d.speech_start_s, d.target_s
    ax.axvline(start + target, color="#555", linestyle="--", linewidth=1, label=f"目安 {target:.0f} 秒")
    ax.set_xlim(0, max(d.duration_s, start + target) + 1)
    ax.set_ylim(0, 1)
    ax.set_yticks([])
    ax.set_xlabel("秒")
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    handles, labels = ax.get_legend_handles_labels()
    unique = dict(zip(labels, handles))
    ax.legend(unique.values(), unique.keys(), loc="upper center", bbox_to_anchor=(0.5, -0.55), ncol=4,
              frameon=False)
    return _svg(fig)


def voice_svg(voice: VoiceMetrics | None) -> str | None:
    """Pitch (semitones from the speaker's median) and loudness over the answer, with the
    faded sentence endings and rushed stretches marked."""
    if not voice or not voice.curve["t"]:
        return None
    nan = float("nan")
    curve = voice.curve
    plt = _pyplot()
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(8, 2.6), sharex=True)
    top.plot(curve["t"], [nan if v is None else v for v in curve["st"]], ".", markersize=1.5, color="#4a7bb7")
    top.axhline(0, color="#999", linewidth=0.6)
    top.set_ylabel("声の高さ")
    bottom.plot(curve["t"], [nan if v is None else v for v in curve["db"]], color="#27ae60", linewidth=0.8)
    bottom.set_ylabel("大きさ（dB）")
    bottom.set_xlabel("秒")
    for w in voice.pace:
        if w.rushed:
            for ax in (top, bottom):
                ax.axvspan(w.start_s, w.end_s, color="#e8a33d", alpha=0.25, label="早口")
    faded = [e.end_s for e in voice.endings if e.faded]
    if faded:
        low = min(v for v in curve["db"] if v is not None)
        bottom.plot(faded, [low] * len(faded), "v", color="#c0392b", markersize=6, label="語尾が消える")
    for ax in (top, bottom):
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
    handles, labels = bottom.get_legend_handles_labels()
    if handles:
        unique = dict(zip(labels, handles))
        bottom.legend(unique.values(), unique.keys(), loc="upper center", bbox_to_anchor=(0.5, -0.6), ncol=2,
                      frameon=False)
    fig.tight_layout()
    return _svg(fig)


# Per progress series: key, title, colour, and the smallest span of its y axis, so that
# noise between sessions (an intonation of 2.66 against 2.67) is not drawn as a swing.
_PROGRESS = [("fillers_per_min", "つなぎ言葉（回/分）", "#c0392b", 4.0),
             ("mora_per_min", "話す速さ（1 分あたりの音の数）", "#4a7bb7", 120.0),
             ("speech_s", "回答の長さ（秒）", "#27ae60", 40.0),
             ("content_score", "内容スコア", "#8e44ad", 100.0),
             ("pitch_spread_st", "声の高さの幅（抑揚）", "#2c3e50", 3.0),
             ("fade_share", "語尾が弱い文の割合", "#e67e22", 1.0),
             ("depth_held", "深掘りに答えられた段数（平均）", "#16a085", 3.0)]


def axis_range(values: list[float], span: float) -> tuple[float, float] | None:
    """y limits that show at least `span`, centred on the data, never below 0 for a measure
    that cannot be negative; None without data (NaN marks a session without the measure)."""
    known = [v for v in values if v == v]
    if not known:
        return None
    low, high = min(known), max(known)
    if high - low < span:
        middle = (low + high) / 2
        low, high = middle - span / 2, middle + span / 2
        if min(known) >= 0 and low < 0:
            low, high = 0.0, span
    return low - 0.05 * span, high + 0.05 * span


def progress_svgs(rows: list[dict]) -> list[str]:
    """One small plot per measure over the sessions; they sit side by side on a wide screen
    and one under another on a phone, each readable at either size."""
    plt = _pyplot()
    x = list(range(1, len(rows) + 1))
    # the day of each session on the axis; the same day twice reads 12/06, 12/06 (2)
    days = [r["started_at"][5:10].replace("-", "/") for r in rows]
    ticks = [d if n == 0 or days[n - 1] != d else "" for n, d in enumerate(days)]
    out = []
    for key, title, color, span in _PROGRESS:
        values = [r[key] if r.get(key) is not None else float("nan") for r in rows]
        if all(v != v for v in values):
            continue   # never measured yet (no follow-up was asked): an empty plot says nothing
        fig, ax = plt.subplots(figsize=(3.4, 2.3))
        ax.plot(x, values, "o-", color=color)
        if key == "mora_per_min":
            ax.axhspan(320, 360, color=color, alpha=0.12)
        limits = axis_range(values, span)
        if limits:
            ax.set_ylim(*limits)
        ax.set_title(title)
        ax.set_xticks(x, ticks, fontsize=7, rotation=45 if len(x) > 6 else 0)
        ax.set_xlabel("練習した日")
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        fig.tight_layout()
        out.append(_svg(fig))
    return out


def _words(answer: AnswerAnalysis, min_probability: float) -> list[dict]:
    """An analysis's words with filler, pause and possible-mishearing marks, ready for the template."""
    d = answer.delivery
    fillers = [(f.start_s, f.end_s) for f in d.fillers] if d else []
    pauses = list(d.pauses) if d else []
    holes = list(answer.transcript.holes)
    out = []

    def hole(h) -> dict:   # a stretch no decoding put words to: shown, and playable
        return {"hole": hole_mark(h), "t": round(h.start, 2)}

    for w in answer.transcript.words:
        while holes and holes[0].start < w.start:
            out.append(hole(holes.pop(0)))
        while pauses and pauses[0].end <= w.start + 0.01:
            out.append({"pause": round(pauses.pop(0).length, 1)})
        filler = any(a < w.end and w.start < b for a, b in fillers)
        unsure = w.probability < min_probability and not filler
        out.append({"text": w.text, "t": round(w.start, 2), "filler": filler, "unsure": unsure})
    out.extend(hole(h) for h in holes)
    return _realigned(out, answer.transcript.text) if answer.corrected else out


def _realigned(heard: list[dict], text: str) -> list[dict]:
    """The heard words' marks carried over to a corrected transcript: each character the
    user kept keeps its word's time and filler mark, a character typed in takes the time
    of the heard word it replaced (or the one before it), so the transcript stays
    clickable and the fillers highlighted. Pauses stay before the word they preceded;
    holes go, the user has said what was in them; nothing typed is unsure any more."""
    import difflib

    words = [w for w in heard if "text" in w]
    owner = [n for n, w in enumerate(words) for _ in w["text"]]   # heard character → its word
    pauses: dict[int, list[dict]] = {}
    n = 0
    for w in heard:
        if "pause" in w:
            pauses.setdefault(n, []).append(w)
        elif "text" in w:
            n += 1
    out: list[dict] = []
    last = [-1]

    def put(chars: str, n: int, kept: bool) -> None:
        n = min(max(n, 0), len(words) - 1)
        if n > last[0]:
            for k in range(last[0] + 1, n + 1):
                out.extend(pauses.get(k, []))
            last[0] = n
        if out and out[-1].get("_n") == n and out[-1].get("_kept") == kept:
            out[-1]["text"] += chars
            return
        out.append({"text": chars, "t": words[n]["t"], "filler": kept and words[n]["filler"], "unsure": False,
                    "_n": n, "_kept": kept})

    if not words:
        return [{"text": text, "t": 0.0, "filler": False, "unsure": False}]
    matcher = difflib.SequenceMatcher(None, "".join(w["text"] for w in words), text, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            for k in range(i2 - i1):
                put(text[j1 + k], owner[i1 + k], True)
        elif j2 > j1:   # typed in, in place of what was heard (or between two heard words)
            put(text[j1:j2], owner[i1] if i1 < len(owner) else len(words) - 1, False)
    for w in out:
        w.pop("_n", None)
        w.pop("_kept", None)
    return out


def _audio_src(folder: Path, audio: str, out_dir: Path) -> str:
    path = folder / audio
    if out_dir.resolve() == folder.resolve():
        return audio
    return "data:audio/wav;base64," + base64.b64encode(path.read_bytes()).decode("ascii")


def progress_rows(store: Store, until: str | None = None) -> tuple[list[dict], list[dict], int]:
    """Per-session averages up to `until` (the latest session by default), per question
    type over all sessions, and how many reworks were left out: a session of one question
    answered before (「この質問にもう一度答える」) is not an interview, and would crowd the plot."""
    sessions, reworks, answered = [], 0, set()
    for row in store.history(until):
        meta = load_session_meta(store.sessions_dir / row["id"]) or {}
        plan = meta.get("plan", [])
        rework = len(plan) == 1 and plan[0] in answered
        answered.update(a.question_id for a in session_answers(meta))
        if rework and row["id"] != until:
            reworks += 1
            continue
        row["depth_held"] = _depth_held(meta)
        sessions.append(row)
    return sessions, store.by_question_type(), reworks


def _depth_held(meta: dict | None) -> float | None:
    """深掘り耐性 of one session: the mean number of follow-up rungs answered concretely,
    over the topics that were dug into (None: no topic was)."""
    depths = [d for _, d in topic_depths(session_answers(meta))] if meta else []
    held = [d.held for d in depths if d.asked]
    return sum(held) / len(held) if held else None


def _consistency(store: Store, meta: dict) -> tuple[list[Conflict], list[Fact]]:
    """Conflicts that involve this session (within it, or against any earlier one), and
    this session's figures heard too unsurely for "no contradiction" to be said of them."""
    rows = store.facts_until(meta["started_at"])
    rules = bank.load("consistency")
    # what the user wrote before practising (ES, round-one notes) comes first: it is what
    # the interviewer has on the desk
    statements = [s for note in load_notes(store.root) for s in note.stated(rules)]
    statements += [Stated(Fact(r["subject"], r["period"], r["unit"], r["value"], r["quote"], bool(r["uncertain"])),
                          r["session_id"], r["started_at"][:10], r["question_id"] or "",
                          f"{r['started_at'][5:10].replace('-', '/')} の練習") for r in rows]
    found = [c for c in contradictions(statements, rules) if meta["id"] in (c.first.session_id, c.second.session_id)]
    return found, [s.fact for s in statements if s.session_id == meta["id"] and s.fact.uncertain]


def conclusion(store: Store, meta: dict) -> Assessment:
    """The interviewer's conclusion on a session (assessment.py), with its contradictions."""
    return assess(session_answers(meta), _consistency(store, meta)[0])


def render(store: Store, folder: Path, out: Path | None = None, web: bool = False) -> Path:
    """Write the report of the session in `folder`; returns the HTML file's path.

    `web`: served by `mensetsu web`, with controls to correct a transcript and to answer
    a question again (they need the server; a report opened as a file has none).
    """
    meta = load_session_meta(folder)
    if meta is None:
        raise ReportError(f"{folder} の session.json を読めません（mensetsu reindex で確認できます）")
    out = out or folder / "report.html"
    out_dir = out.parent
    qs = bank.questions()
    labels = bank.load("labels")
    confidence = bank.confidence()
    answers = []
    saved = session_answers(meta)
    depths = {main.idx: depth for main, depth in topic_depths(saved)}
    for a in saved:
        m = a.analysis
        q = qs.get(a.question_id)
        item = {"a": a, "m": m, "question": a.question or (q.text if q else a.question_id),
                "intent": q.intent if q else "",
                # a corrected transcript is shown as typed: its words are no longer the timed ones
                "words": [] if not m else _words(m, confidence.min_probability),
                "score": m.content.score if m else None,
                "audio": (_audio_src(folder, a.audio, out_dir)
                          if (folder / a.audio).is_file() and not a.audio.endswith(".txt") else None),
                "timeline": timeline_svg(m.delivery) if m and m.delivery else None,
                "voice": voice_svg(m.voice) if m else None,
                "depth": depths[a.idx].label() if a.idx in depths and depths[a.idx].asked else None}
        answers.append(item)
    progress, by_type, _ = progress_rows(store, meta["id"])
    found, unsure_facts = _consistency(store, meta)
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(_TEMPLATES), autoescape=True)
    html = env.get_template("report.html.j2").render(
        meta=meta, answers=answers, labels=labels, progress=progress, by_type=by_type,
        progress_svgs=progress_svgs(progress) if progress else [],
        question_types=labels["question_types"],
        conflicts=found, unsure_facts=unsure_facts, assessment=assess(saved, found), pace=bank.delivery().pace, voice_rules=bank.load("voice"),
        web=web, company_key=Path(meta["company_file"]).stem if meta.get("company_file") else "")
    write_text(out, html)
    return out


def export(folder: Path, fmt: str) -> str:
    """The session as JSON (everything) or CSV (one row per answer, Japanese headings and
    values, with a byte-order mark so that Excel opens it) for the user's own notes."""
    meta = load_session_meta(folder)
    if meta is None:
        raise ReportError(f"{folder} の session.json を読めません")
    if fmt == "json":
        # every session in today's layout, whatever schema it was saved with, with the
        # user's own material it was judged against (the company profile, ES and notes)
        extra: dict = {}
        # a profile moved or deleted since: the session still exports
        if profile := session_profile(meta, folder.parent.parent, missing_ok=True):
            extra["company_profile"] = profile.to_dict()
        notes = [n.to_dict() for n in load_notes(folder.parent.parent) if n.company in (None, meta.get("company"))]
        if notes:
            extra["notes"] = notes
        return json.dumps({**meta, "schema": SCHEMA_VERSION, "answers": [a.to_dict() for a in session_answers(meta)],
                           **extra}, ensure_ascii=False, indent=1)
    import csv

    labels = bank.load("labels")
    qs = bank.questions()
    yes_no = (lambda v: "" if v is None else ("はい" if v else "いいえ"))
    buf = io.StringIO()
    buf.write("\ufeff")  # a byte-order mark: Excel reads the file as UTF-8, not as Shift_JIS
    writer = csv.writer(buf)
    writer.writerow(labels["csv"].values())
    for a in session_answers(meta):
        d, c = (a.analysis.delivery, a.analysis.content) if a.analysis else (None, None)
        parent = qs.get(a.parent_id or "")
        fields = {"idx": a.idx, "question": a.question, "audio": a.audio,
                  "transcript": a.analysis.transcript.text if a.analysis else None}
        row = {**{k: fields[k] if k in fields else getattr(d, k, None) for k in labels["csv"]},
               "parent_id": parent.text if parent else (a.parent_id or ""),
               "trigger": labels["triggers"].get(a.trigger or "", a.trigger or ""),
               "length_verdict": labels["length_verdict"].get(d.length_verdict, "") if d else "",
               "conclusion_first": yes_no(c and c.conclusion_first), "has_numbers": yes_no(c and c.has_numbers),
               "issues": "、".join(labels["issues"].get(i, i) for i in c.issue_ids) if c else ""}
        writer.writerow("" if row[k] is None else row[k] for k in labels["csv"])
    return buf.getvalue()
