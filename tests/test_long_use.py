"""Months of practice in one go: 100 sessions on one model, memory flat, history fast."""

from __future__ import annotations

import time

import pytest
from support import QuietUI, write_wav

from simulator.practice.session import Practice
from simulator.rules.bank import questions
from simulator.speech.audio import load_audio
from simulator.speech.capture import FileSource
from simulator.speech.tts import SilentEngine, Voice
from simulator.store.storage import Store

SESSIONS, WARM_UP = 100, 20   # 2.6 s each on 2 cores: the longest test of the suite


def rss_mb() -> float:
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


@pytest.mark.slow
def test_a_hundred_sessions(analyzer, dev_dir, tmp_path):
    answer = load_audio(dev_dir / "dev06_gyaku_none.flac")[:int(3.5 * 16000)]   # a short spoken answer
    answers = tmp_path / "answers"
    answers.mkdir()
    write_wav(answers / "a.wav", answer)
    store = Store(tmp_path / "data")
    plan = [questions()["gyaku_shitsumon"]]
    memory = []
    for n in range(SESSIONS):
        practice = Practice(store, Voice(SilentEngine(), None), FileSource(answers), lambda: analyzer, QuietUI(),
                            max_followups=0)
        result = practice.run(plan, {"track": "shinsotsu"})
        assert len(result.answers) == 1
        if n + 1 in (WARM_UP, SESSIONS):
            memory.append(rss_mb())
    start = time.perf_counter()
    rows = store.history()
    elapsed = time.perf_counter() - start
    assert len(rows) == SESSIONS and all(r["answers"] == 1 for r in rows)
    assert len({r["id"] for r in rows}) == SESSIONS
    print(f"RSS after {WARM_UP} sessions {memory[0]:.0f} MB, after {SESSIONS} {memory[1]:.0f} MB; "
          f"history query {elapsed * 1000:.1f} ms")
    assert memory[1] <= 1.10 * memory[0]
    assert elapsed < 0.1
