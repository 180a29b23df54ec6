"""A web session's life in a real Chromium: quit, reload mid-answer and resume, a second
tab taking over, and a microphone refused or missing.

The fake microphone plays a 49 s self-introduction, long enough to leave it half-way.
Only getUserMedia's refusal is faked (the browser's real interface to the device); the
server, the model, the store and the page are real.
"""

from __future__ import annotations

import json

import pytest
from support import DEV, as_wav
from support.web import TOKEN, fits, launch_chromium, open_page, serving

from simulator.store.storage import Store, session_answers

LONG_ANSWER = DEV / "dev01_jikoshokai.flac"


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    from playwright.sync_api import sync_playwright

    wav = as_wav(LONG_ANSWER, tmp_path_factory.mktemp("mic") / "answer.wav")
    with sync_playwright() as p:
        b = launch_chromium(p, wav)
        yield b
        b.close()


def _sessions(store: Store) -> list[dict]:
    return [json.loads((f / "session.json").read_text(encoding="utf-8")) for f in sorted(store.sessions_dir.iterdir())]


def _start(page, base: str, questions: int = 3) -> None:
    page.goto(f"{base}/?token={TOKEN}")
    page.select_option("select[name=questions]", str(questions))
    page.click("#start")


def _speaking_for(page, seconds: int) -> None:
    """Wait until the answer has been recorded for `seconds` with the voice heard."""
    page.wait_for_selector("#meter:not([hidden])", timeout=60000)
    page.wait_for_function(f"Number(document.getElementById('elapsed').textContent) >= {seconds}", timeout=60000)


def _partial(meta: dict):
    [answer] = [a for a in session_answers(meta) if a.recording.ended_by == "interrupted"]
    return answer


@pytest.mark.slow
def test_quit_mid_answer_ends_on_the_done_card_with_the_answer_analysed(analyzer, browser, tmp_path):
    store = Store(tmp_path)
    with serving(store, analyzer) as base:
        page, errors = open_page(browser, 1280)
        _start(page, base)
        _speaking_for(page, 5)
        page.click("#quit")
        page.wait_for_selector("#done:not([hidden])", timeout=60000)
        assert "途中で終了しました" in page.inner_text("#done")
        assert page.locator("#done").bounding_box()["y"] < 400        # the way on is at the top
        href = page.get_attribute("#report-link", "href")
        assert page.inner_text("#speaking") == "" and page.locator("#meter").is_hidden()
        page.click("#report-link")
        assert page.locator(".transcript").count() == 1                  # the report holds the cut answer
        page.close()
    [meta] = _sessions(store)
    assert href == f"/sessions/{meta['id']}/" and meta["interrupted"]
    answer = _partial(meta)
    # what was said before 終了 is kept and analysed: the self-introduction's opening words
    assert answer.analysis is not None and answer.analysis.delivery.speech_s > 3.0
    assert answer.analysis.transcript.text
    [row] = store.history()
    assert row["answers"] == 1 and row["speech_s"] > 3.0
    assert errors == []


@pytest.mark.slow
def test_reload_mid_answer_keeps_it_and_offers_to_go_on(analyzer, browser, tmp_path):
    store = Store(tmp_path)
    with serving(store, analyzer) as base:
        page, errors = open_page(browser, 390)
        _start(page, base)
        _speaking_for(page, 4)
        page.reload()
        page.wait_for_selector("#resume:not([hidden])", timeout=60000)
        assert "残りは 3 問" in page.inner_text("#resume") and "回答 1 件は保存済み" in page.inner_text("#resume")
        assert fits(page)
        page.click("#resume-start")
        page.wait_for_selector("#meter:not([hidden])", timeout=60000)
        assert "自己紹介" in page.inner_text("#question")             # the cut answer is asked again
        page.click("#quit")
        page.wait_for_selector("#done:not([hidden])", timeout=60000)
        page.close()
    [meta] = _sessions(store)             # the same session went on: no second one
    assert meta.get("resumed_at") and [a.question_id for a in session_answers(meta)] == ["jikoshokai"] * 2
    first, again = session_answers(meta)
    assert first.recording.ended_by == again.recording.ended_by == "interrupted" and first.analysis is not None
    assert errors == []


@pytest.mark.slow
def test_a_second_tab_is_told_and_can_take_over(analyzer, browser, tmp_path):
    store = Store(tmp_path)
    with serving(store, analyzer) as base:
        first, errors = open_page(browser, 1280)
        _start(first, base)
        _speaking_for(first, 4)
        second, errors2 = open_page(browser, 390)
        second.goto(f"{base}/?token={TOKEN}")
        second.wait_for_selector("#busy:not([hidden])", timeout=30000)
        assert "別のタブ" in second.inner_text("#busy")
        assert first.locator("#meter").is_visible()                     # asking does not disturb the first
        second.click("#takeover")
        first.wait_for_selector("#done:not([hidden])", timeout=60000)
        assert "別のタブで続けています" in first.inner_text("#done")
        assert "接続が切れました" not in first.inner_text("body")
        second.wait_for_selector("#meter:not([hidden])", timeout=60000)
        second.click("#quit")
        second.wait_for_selector("#done:not([hidden])", timeout=60000)
        assert fits(second)
        first.close()
        second.close()
    metas = _sessions(store)
    assert len(metas) == 2 and all(m["interrupted"] for m in metas)
    assert _partial(metas[0]).analysis.delivery.speech_s > 2.0
    assert errors == [] and errors2 == []


REFUSE = """(() => {
  const real = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
  window.micRefusal = "NotAllowedError";
  navigator.mediaDevices.getUserMedia = (c) => window.micRefusal
    ? Promise.reject(new DOMException("refused", window.micRefusal)) : real(c);
})();"""


@pytest.mark.parametrize("width", [1280, 390])
@pytest.mark.slow
def test_a_refused_or_missing_microphone_gets_its_own_words_and_a_retry(analyzer, browser, tmp_path, width):
    store = Store(tmp_path)
    with serving(store, analyzer) as base:
        page, errors = open_page(browser, width)
        page.add_init_script(REFUSE)
        _start(page, base)
        page.wait_for_selector("#mic-problem:not([hidden])")
        refused = page.inner_text("#mic-text")
        assert "許可" in refused and "サーバー" not in refused
        assert fits(page)
        page.evaluate("window.micRefusal = 'NotFoundError'")
        page.click("#mic-retry")
        page.wait_for_function("document.getElementById('mic-text').textContent.includes('見つかりません')")
        assert not any(store.sessions_dir.iterdir())                    # nothing was begun
        page.evaluate("window.micRefusal = null")                       # plugged in and allowed
        page.click("#mic-retry")
        page.wait_for_selector("#meter:not([hidden])", timeout=60000)
        assert page.locator("#mic-problem").is_hidden()
        page.click("#quit")
        page.wait_for_selector("#done:not([hidden])", timeout=60000)
        page.close()
    assert len(_sessions(store)) == 1
    assert errors == []
