"""The saved-answer record: one layout in session.json, old sessions still read."""

from __future__ import annotations

import json
from dataclasses import replace

from support.answers import spoken

from simulator.analysis.analyze import analyze_text
from simulator.analysis.record import SCHEMA_VERSION, RecordingInfo, SavedAnswer
from simulator.errors import MensetsuError
from simulator.present.report import export, render
from simulator.store.storage import StorageError, Store, session_answers

# a written draft's analysis with the delivery figures an answer's recording adds
ANALYSIS = spoken("私の強みは粘り強さです。", "jiko_pr", speech_start_s=0.8, speech_end_s=12.4, speech_s=11.6,
                  length_verdict="too_short", mora_per_min=330.0)


def test_the_recorder_and_the_analysis_keep_their_own_speech_end():
    a = SavedAnswer(1, "jiko_pr", "あなたの強みを教えてください。", "01_jiko_pr.wav",
                    recording=RecordingInfo("silence", speech_end_s=13.1, stopped_s=14.0), analysis=ANALYSIS)
    d = json.loads(json.dumps(a.to_dict()))
    assert d["speech_end_s"] == 12.4 and d["recording"]["speech_end_s"] == 13.1
    back = SavedAnswer.from_dict(d)
    # the analysis reads back whole and typed; the keys it shares with the session
    # (file, question_id, question) hold the session's values
    assert back == replace(a, analysis=replace(ANALYSIS, file=a.audio, question_text=a.question))
    assert back.analysis.delivery.speech_end_s == 12.4 and back.recording.speech_end_s == 13.1
    assert back.complete and not back.unheard and back.analysis.content.conclusion_first


def test_answers_that_were_not_analysed():
    unheard = SavedAnswer(2, "gakuchika", "学生時代に力を入れたことは。", "02_gakuchika.wav",
                          recording=RecordingInfo("no_voice", stopped_s=8.0))
    cut = SavedAnswer(3, "gakuchika", "学生時代に力を入れたことは。", "03_gakuchika.wav",
                      recording=RecordingInfo("interrupted"))
    for a in (unheard, cut):
        back = SavedAnswer.from_dict(a.to_dict())
        assert back == a and back.analysis is None and not back.complete
    assert unheard.unheard and not cut.unheard


def _schema1_session(store: Store) -> str:
    """A session.json as written before the schema was versioned: the recorder's fields flat."""
    sid = "20260101-090000-ab12"
    folder = store.sessions_dir / sid
    folder.mkdir()
    answers = [
        {"idx": 1, "question_id": "jiko_pr", "question": "あなたの強みを教えてください。", "parent_id": None,
         "trigger": None, "reason": None, "audio": "01_jiko_pr.wav", **ANALYSIS.to_dict(), "file": "01_jiko_pr.wav",
         "ended_by": "silence", "speech_end_s": 13.1, "stopped_s": 14.0, "turn": {"state": "final"}},
        {"idx": 2, "question_id": "gyaku_shitsumon", "question": "最後に、何か質問はありますか。", "parent_id": None,
         "trigger": None, "reason": None, "audio": "02_gyaku_shitsumon.wav", "file": "02_gyaku_shitsumon.wav",
         "ended_by": "no_voice", "unheard": True, "stopped_s": 8.0},
    ]
    (folder / "session.json").write_text(json.dumps(
        {"id": sid, "started_at": "2026-01-01T09:00:00+09:00", "ended_at": "2026-01-01T09:10:00+09:00",
         "track": "shinsotsu", "plan": ["jiko_pr", "gyaku_shitsumon"], "answers": answers}, ensure_ascii=False),
        encoding="utf-8")
    return sid


def test_a_session_saved_before_the_schema_still_loads(tmp_path):
    store = Store(tmp_path)
    sid = _schema1_session(store)
    assert store.reindex() == 1
    [row] = store.history()
    assert row["answers"] == 1 and row["mora_per_min"] == 330.0      # the unheard answer is not averaged
    folder = store.sessions_dir / sid
    first, unheard = session_answers(json.loads((folder / "session.json").read_text(encoding="utf-8")))
    assert first.ended_by == "silence" and first.recording.turn == {"state": "final"} and first.complete
    assert first.recording.speech_end_s == 13.1 and first.analysis.delivery.speech_s == 11.6
    assert unheard.unheard and unheard.analysis is None
    html = render(store, folder).read_text(encoding="utf-8")
    assert "粘り強さ" in html and "マイクに声が届かなかった" in html
    exported = json.loads(export(folder, "json"))
    assert exported["schema"] == SCHEMA_VERSION and exported["answers"][0]["recording"]["ended_by"] == "silence"


def test_resuming_an_old_session_writes_one_layout(tmp_path):
    store = Store(tmp_path)
    sid = _schema1_session(store)
    session = store.reopen(store.sessions_dir / sid)
    store.add_answer(session, SavedAnswer(3, "tansho", "あなたの短所を教えてください。", "03_tansho.wav",
                                          analysis=analyze_text("私の短所は心配性なところです。", "tansho")))
    meta = json.loads((session.path / "session.json").read_text(encoding="utf-8"))
    assert meta["schema"] == SCHEMA_VERSION
    assert [a.idx for a in session_answers(meta)] == [1, 2, 3]
    assert all("recording" in a for a in meta["answers"])
    assert session_answers(meta)[0].recording.speech_end_s == 13.1


def test_every_user_facing_error_shares_one_base():
    from simulator.practice.session import PlanError
    from simulator.present.report import ReportError
    from simulator.rules.bank import PromptsError
    from simulator.speech.audio import AudioError
    from simulator.speech.capture import CaptureError
    from simulator.speech.models import ModelError
    from simulator.speech.replay import ReplayError
    from simulator.speech.tts import TTSError

    for cls in (AudioError, PromptsError, CaptureError, ModelError, ReplayError, ReportError, PlanError,
                StorageError, TTSError):
        assert issubclass(cls, MensetsuError), cls
