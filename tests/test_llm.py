"""The optional language-model interviewer (simulator/interviewer/llm.py), against a real local HTTP
server that speaks the chat-completions protocol (tests/llm_server.py): the model's
question is asked when it is in time and fit to ask, the rules' own follow-up when it
is late, garbage, a refusal, English, or a rung that is not open; only text is sent;
a host other than this machine needs the user's explicit consent."""

from __future__ import annotations

import json
import time
import tomllib
from pathlib import Path

import pytest
from support import edited_prompts, mensetsu
from support.llm_server import QUESTION, SLOW_S, LLMServer

from simulator.analysis.analyze import analyze_text
from simulator.interviewer import dig, llm
from simulator.judge.consistency import extract_facts
from simulator.rules import bank
from simulator.rules.bank import PromptsError, questions

CHAINS = {c["id"]: c for c in tomllib.loads(
    (Path(__file__).parent / "data" / "interviews" / "chains.toml").read_text(encoding="utf-8"))["chain"]}


def _practice(tmp_path, chain: str, *flags: str):
    """A typed interview of `chain` through `practice --answers-from`; (the run, its session.json)."""
    c = CHAINS[chain]
    folder = tmp_path / "answers"
    folder.mkdir(parents=True, exist_ok=True)
    for n, text in enumerate(c["answers"], 1):
        (folder / f"{n:02d}.txt").write_text(text, encoding="utf-8")
    data = tmp_path / "data"
    p = mensetsu("practice", "--answers-from", str(folder), "--tts", "none", "--data-dir", str(data),
            "--ids", c["qid"], "--track", c["track"], *flags)
    assert p.returncode == 0, p.stderr
    session = next((data / "sessions").glob("*/session.json"))
    return p, json.loads(session.read_text(encoding="utf-8"))


def _followups(session: dict) -> list[dict]:
    return [a for a in session["answers"] if a.get("parent_id")]


def test_the_models_question_is_asked_and_the_ladder_still_counts_the_rungs(tmp_path):
    with LLMServer(["good"]) as server:
        p, session = _practice(tmp_path, "c05", "--interviewer", "llm", "--llm-url", server.url)
    asked = _followups(session)
    assert asked and all(a["question"] == QUESTION for a in asked), [a["question"] for a in asked]
    assert all(a["question_id"].startswith("dig_") for a in asked)   # the rung stays the rules' to count
    assert "言語モデル test-model が言葉を選びます" in p.stdout
    assert f"言語モデルの言葉で聞いた深掘り: {len(asked)} 問" in p.stdout
    assert session["interviewer"] == {"kind": "llm", "url": server.url + "/chat/completions",
                                              "model": "test-model", "llm": len(asked)}
    assert "深掘り 3 段すべてに具体的に答えられた" in p.stdout
    # only text went out: the model's name, the prompt from prompts/llm.toml and the transcript
    assert server.paths[0] == "/v1/models" and set(server.paths[1:]) == {"/v1/chat/completions"}
    for body in server.requests:
        assert set(body) == {"model", "messages", "max_tokens", "temperature", "stream"}
        assert body["model"] == "test-model"
        assert all(set(m) == {"role", "content"} and isinstance(m["content"], str) for m in body["messages"])
    assert "二次面接の面接官" in server.requests[0]["messages"][0]["content"]
    assert CHAINS["c05"]["answers"][0] in server.requests[0]["messages"][1]["content"]
    assert CHAINS["c05"]["answers"][1] in server.requests[1]["messages"][1]["content"]


@pytest.mark.slow
def test_late_garbage_refusals_and_errors_fall_back_to_the_rules_in_time(tmp_path):
    _, rules_only = _practice(tmp_path / "rules", "c01")
    expected = [a["question"] for a in _followups(rules_only)]
    assert len(expected) == 3
    modes = ["slow", "garbage", "refusal", "english", "wrong_rung", "error"]
    for first in range(0, len(modes), 3):
        with LLMServer(modes[first:first + 3]) as server:
            start = time.monotonic()
            p, session = _practice(tmp_path / str(first), "c01", "--interviewer", "llm", "--llm-url", server.url)
            took = time.monotonic() - start
        assert [a["question"] for a in _followups(session)] == expected   # the rules' questions, word for word
        tally = session["interviewer"]
        assert tally.get("llm", 0) == 0 and sum(tally.get(k, 0) for k in ("late", "invalid", "error")) == 3
        assert "ルールの質問にした" in p.stdout
        if first == 0:
            assert tally["late"] == 1 and tally["invalid"] == 2
            assert took < SLOW_S, took   # the whole interview took less than the slow reply alone
        else:
            assert tally["invalid"] == 2 and tally["error"] == 1


def test_a_fenced_reply_is_read_and_a_reply_ready_before_the_answer_ends_is_used_at_once():
    """The request is sent while the answer is spoken (foresee); when the answer ends, a
    reply already in is used even when the answer's analysis took longer than the budget."""
    main = questions()["gakuchika"]
    first = CHAINS["c05"]["answers"][0]
    proposal = analyze_text(first, main).review.followup
    assert proposal.question.id.startswith("dig_")
    prepared: list[str] = []
    with LLMServer(["fenced"]) as server:
        client = llm.Client(server.url)
        client.connect(2.0)
        interviewer = llm.Interviewer(client)
        heard_so_far = dig.Topic(main, (dig.Turn.of(main, first[:-4]),))
        interviewer.foresee(heard_so_far, proposal, prepared.append)
        deadline = time.monotonic() + 5
        while not prepared and time.monotonic() < deadline:
            time.sleep(0.02)
        assert prepared == [QUESTION]   # voiced ahead, so it can be played the moment it is chosen
        whole = dig.Topic(main, (dig.Turn.of(main, first),))
        worded = interviewer.word(whole, proposal, ended_at=time.monotonic() - 10)   # long past the budget
    assert worded.question.text == QUESTION and worded.question.id == proposal.question.id
    assert worded.trigger.endswith(":llm") and "言語モデル" in worded.reason
    assert len(server.requests) == 1   # the foreseen request stood for the whole answer
    assert interviewer.tally == {"llm": 1}


def test_a_contradiction_is_put_in_the_rules_words():
    """Both sides quoted exactly as said or written: not the model's to reword."""
    rules = bank.load("consistency")
    before = extract_facts("私はサークルの副部長を務めました。", rules)[0]
    now = extract_facts("私はサークルの部長を務めました。", rules)[0]
    fu = dig.contradiction(before, now, "エントリーシート")
    main = questions()["gakuchika"]
    with LLMServer(["good"]) as server:
        interviewer = llm.Interviewer(llm.Client(server.url))
        topic = dig.Topic(main, (dig.Turn.of(main, "私はサークルの部長を務めました。"),))
        assert interviewer.word(topic, fu, time.monotonic()) is fu
    assert server.requests == []


@pytest.mark.slow
def test_another_host_needs_consent_and_a_server_that_is_not_there_leaves_the_rules(tmp_path):
    folder = tmp_path / "answers"
    folder.mkdir()
    (folder / "01.txt").write_text(CHAINS["c05"]["answers"][0], encoding="utf-8")
    base = ["practice", "--answers-from", str(folder), "--tts", "none", "--data-dir", str(tmp_path / "data"),
            "--ids", "gakuchika", "--interviewer", "llm"]
    p = mensetsu(*base, "--llm-url", "http://192.0.2.7:11434/v1")
    assert p.returncode == 2 and "Traceback" not in p.stderr
    assert "このパソコンではありません" in p.stderr and "--llm-allow-remote" in p.stderr
    assert not (tmp_path / "data" / "sessions").exists() or not any((tmp_path / "data" / "sessions").iterdir())
    p = mensetsu(*base, "--llm-url", "ftp://127.0.0.1/v1")
    assert p.returncode == 2 and "--llm-url は http://" in p.stderr
    with LLMServer(["good"]) as server:
        port = server.port
    p = mensetsu(*base, "--llm-url", f"http://127.0.0.1:{port}/v1")   # nobody listens there now
    assert p.returncode == 0, p.stderr
    assert "に接続できません" in p.stdout and "ルールの面接官で続けます" in p.stdout
    assert llm.chat_url("http://localhost:8080") == "http://localhost:8080/v1/chat/completions"
    assert llm.chat_url("http://[::1]:1234/v1/") == "http://[::1]:1234/v1/chat/completions"
    assert llm.chat_url("http://192.0.2.7/v1", allow_remote=True) == "http://192.0.2.7/v1/chat/completions"


def test_the_prompt_file_is_checked_with_file_and_line(tmp_path):
    folder = edited_prompts(tmp_path, "llm", "{proposal}", "{proposl}")
    with pytest.raises(PromptsError, match=r"llm\.toml:\d+: user の"):
        llm.rules(folder)
    folder = edited_prompts(tmp_path, "llm", "'(?i)sorry'", "'(sorry'")
    with pytest.raises(PromptsError, match=r"llm\.toml:\d+: 正規表現が不正です"):
        llm.rules(folder)
