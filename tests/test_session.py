"""The practice loop without audio devices: planning, answers from files, storage, messages."""

from __future__ import annotations

import json
import os
import sqlite3
import sys

import pytest
from support import mensetsu

from simulator.practice.session import PlanError, plan_questions
from simulator.speech.capture import CaptureError, portaudio
from simulator.store.storage import Store


def test_plan_starts_with_self_introduction_and_ends_with_reverse_question():
    plan = plan_questions("tenshoku", 5)
    assert [q.id for q in plan][0] == "jikoshokai" and plan[-1].id == "gyaku_shitsumon"
    assert len(plan) == 5 and all("tenshoku" in q.tracks for q in plan)
    assert len({q.id for q in plan}) == 5


def test_plan_prefers_unpractised_then_weak_questions():
    fresh = plan_questions("manager", 4)
    middle = [q.id for q in fresh[1:-1]]
    history = {qid: {"times": 1, "last_score": 90} for qid in middle}
    history["mgr_team"] = {"times": 1, "last_score": 10}
    again = [q.id for q in plan_questions("manager", 4, history=history)[1:-1]]
    assert not set(again) & set(middle)          # not practised yet comes first
    everything = {q.id: {"times": 1, "last_score": 80} for q in plan_questions("manager", 40)}
    everything["mgr_conflict"] = {"times": 1, "last_score": 5}
    assert plan_questions("manager", 3, history=everything)[1].id == "mgr_conflict"  # then the weakest


def test_a_plan_asks_each_kind_once_unless_the_questions_are_named():
    """「あなたの強みは」 and 「あなたの長所は」 are one question in two wordings: never both in
    one interview, whatever was practised before; named questions are asked as named."""
    from simulator.rules import bank

    once = set(bank.load("questions")["once_per_interview"])
    # every order the history can make: each question practised least in turn
    for track in ("shinsotsu", "tenshoku", "manager", "specialist", "career-change"):
        for fresh in [q.id for q in plan_questions(track, 40)]:
            history = {q.id: {"times": 2} for q in plan_questions(track, 40)} | {fresh: {"times": 0}}
            for count in (5, 7):
                kinds = [q.type for q in plan_questions(track, count, history=history) if q.type in once]
                assert len(kinds) == len(set(kinds)), (track, fresh, count, kinds)
    both = plan_questions(history={"jiko_pr": {"times": 3}}, count=7)
    assert "chousho" in [q.id for q in both] and "jiko_pr" not in [q.id for q in both]
    assert [q.id for q in plan_questions(ids=["jiko_pr", "chousho"])] == ["jiko_pr", "chousho"]


def test_plan_with_ids_and_bad_input():
    assert [q.id for q in plan_questions(ids=["tansho", "jiko_pr"])] == ["tansho", "jiko_pr"]
    with pytest.raises(PlanError, match="no_such"):
        plan_questions(ids=["no_such"])
    with pytest.raises(PlanError):
        plan_questions("pilot")


def test_missing_portaudio_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "sounddevice", None)
    with pytest.raises(CaptureError, match="libportaudio2"):
        portaudio()


@pytest.fixture(scope="module")
def recorded_session(dev_dir, tmp_path_factory):
    answers = tmp_path_factory.mktemp("answers")
    for n, name in enumerate(["dev04_tenshoku_blame.flac", "dev06_gyaku_none.flac", "dev03_jikopr_numbers.flac"], 1):
        (answers / f"{n:02d}.wav").write_bytes((dev_dir / name).read_bytes())
    data = tmp_path_factory.mktemp("data")
    p = mensetsu("practice", "--answers-from", str(answers), "--tts", "none", "--data-dir", str(data),
            "--ids", "tenshoku_riyuu,jiko_pr,gyaku_shitsumon", "--threads", "2")
    return p, data


@pytest.mark.slow
def test_answers_from_files_run_unattended_and_are_saved(recorded_session):
    p, data = recorded_session
    assert p.returncode == 0, p.stderr
    assert "回答ファイルがなくなった" in p.stdout and "セッション ID" in p.stdout
    folder = next((data / "sessions").iterdir())
    assert f"保存先: {folder}" in p.stdout
    meta = json.loads((folder / "session.json").read_text(encoding="utf-8"))
    ids = [a["question_id"] for a in meta["answers"]]
    assert ids[0] == "tenshoku_riyuu" and ids[1] == "dig_tried_inside"  # blame is dug into first
    assert meta["answers"][1]["reason"] and meta["answers"][1]["parent_id"] == "tenshoku_riyuu"
    assert len(ids) == 3 and meta["ended_at"]
    for a in meta["answers"]:
        assert (folder / a["audio"]).is_file() and a["transcript"]


def test_the_database_indexes_the_session(recorded_session):
    _, data = recorded_session
    with sqlite3.connect(data / "mensetsu.db") as con:
        rows = con.execute("SELECT question_id, filler_count, content_score FROM answers ORDER BY idx").fetchall()
    assert [r[0] for r in rows][:2] == ["tenshoku_riyuu", "dig_tried_inside"]
    assert rows[0][1] >= 5 and 0 <= rows[0][2] < 100
    history = Store(data).question_history()
    assert history["tenshoku_riyuu"]["times"] == 1


def test_files_are_private(recorded_session):
    _, data = recorded_session
    if os.name == "posix":
        assert (data / "sessions").stat().st_mode & 0o077 == 0


def test_no_audio_devices_gives_clear_messages(tmp_path):
    env = {"XDG_RUNTIME_DIR": str(tmp_path), "PULSE_SERVER": "unix:/nonexistent"}
    p = mensetsu("practice", "--ids", "jikoshokai", "--tts", "none", "--data-dir", str(tmp_path / "d"), env=env)
    assert p.returncode != 0 and "Traceback" not in p.stderr
    assert "--answers-from" in p.stderr
    p = mensetsu("check", env=env)
    assert p.returncode != 0 and "Traceback" not in p.stderr and "マイク" in p.stderr


def test_bad_answers_folder(tmp_path):
    p = mensetsu("practice", "--answers-from", str(tmp_path / "none"), "--tts", "none", "--data-dir", str(tmp_path))
    assert p.returncode != 0 and "Traceback" not in p.stderr and "見つかりません" in p.stderr
