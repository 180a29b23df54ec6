"""`mensetsu web`: the guard in front of every route, and whole sessions in a real browser.

The browser is Debian's Chromium driven by Playwright, with a fake microphone fed from
an answer WAV (Chromium's --use-file-for-fake-audio-capture): the page captures it with
getUserMedia and an AudioWorklet and streams it to the server, so the same streaming
transcriber and end-of-turn rule as in the terminal decide when the answer ends.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import soundfile as sf
from support import RENDERED, as_from_a_terminal, as_wav, noise
from support.web import TOKEN, fits, launch_chromium, open_page, serving, web_app

from simulator.store.storage import Store, session_answers
from simulator.web.app import COOKIE

ANSWER = RENDERED / "r05_gyaku_conditions.flac"   # a 9 s reverse question, in the HTS voice
COMPANIES = Path(__file__).parent / "data" / "companies"


# -- the guard, through Starlette's test client ---------------------------------------------

@pytest.fixture()
def client(tmp_path):
    from starlette.testclient import TestClient

    port = 8123
    return TestClient(web_app(Store(tmp_path), port), base_url=f"http://127.0.0.1:{port}", follow_redirects=False)


def test_requests_without_the_token_are_refused(client):
    assert client.get("/").status_code == 403
    assert client.get("/?token=wrong").status_code == 403
    assert client.get("/static/practice.js").status_code == 403       # assets too
    client.cookies.set(COOKIE, "wrong")
    assert client.get("/sessions").status_code == 403


def test_the_token_becomes_a_cookie_and_leaves_the_address(client):
    r = client.get(f"/sessions?token={TOKEN}")
    assert r.status_code == 303 and r.headers["location"] == "/sessions"
    cookie = r.headers["set-cookie"]
    assert f"{COOKIE}={TOKEN}" in cookie and "HttpOnly" in cookie and "SameSite=strict" in cookie
    page = client.get("/sessions")
    assert page.status_code == 200 and "練習の記録" in page.text


def test_other_hosts_and_origins_are_refused(client):
    client.cookies.set(COOKIE, TOKEN)
    assert client.get("/", headers={"host": "evil.example:8123"}).status_code == 421   # DNS rebinding
    assert client.get("/", headers={"origin": "http://evil.example"}).status_code == 403
    assert client.get("/", headers={"origin": "http://127.0.0.1:8123"}).status_code == 200
    from starlette.websockets import WebSocketDisconnect

    with pytest.raises(WebSocketDisconnect):
        with client.websocket_connect("/ws/practice", headers={"origin": "http://evil.example"}) as ws:
            ws.receive_json()


def test_paths_cannot_leave_the_data_folder(client, tmp_path):
    client.cookies.set(COOKIE, TOKEN)
    store = Store(tmp_path)
    session = store.begin({"track": "shinsotsu"})
    (store.root / "secret.wav").write_bytes(b"RIFF")
    for path in [f"/sessions/{session.id}/..%2F..%2Fsecret.wav", f"/sessions/{session.id}/session.json",
                 f"/sessions/{session.id}/..%2F..%2Fmensetsu.db", "/sessions/..%2F..%2F/",
                 f"/sessions/{session.id}/01_x.wav"]:
        r = client.get(path, follow_redirects=True)
        assert r.status_code == 404 or "見つかりません" in r.text or "模擬面接を始める" in r.text, path
        assert b"RIFF" not in r.content and b"SQLite" not in r.content and "audio" not in r.headers["content-type"]


def test_bodies_are_size_limited_and_checked(client, tmp_path):
    client.cookies.set(COOKIE, TOKEN)
    sid = Store(tmp_path).begin({"track": "shinsotsu"}).id
    url = f"/sessions/{sid}/answers/1/transcript"
    assert client.post(url, content=b"x" * (70 * 1024)).status_code == 413
    assert client.post(url, content=b"not json").status_code == 400
    assert client.post(url, json={"text": "回答"}).status_code == 404          # no such answer


def test_company_pages_list_profiles_and_serve_their_prep_sheet(client, tmp_path):
    client.cookies.set(COOKIE, TOKEN)
    assert "まだ会社のプロフィールがありません" in client.get("/companies").text
    store = Store(tmp_path)
    shutil.copy(COMPANIES / "hakobu.toml", store.companies_dir / "hakobu.toml")
    (store.companies_dir / "broken.toml").write_text("name = 3\n", encoding="utf-8")   # listed nowhere, breaks nothing
    page = client.get("/companies").text
    assert "株式会社ハコブ" in page and "/companies/hakobu/prep" in page and "broken" not in page
    assert '<option value="hakobu">株式会社ハコブ</option>' in client.get("/").text
    sheet = client.get("/companies/hakobu/prep")
    assert sheet.status_code == 200 and "準備シート: 株式会社ハコブ" in sheet.text
    for name in ("broken", "..%2Fmensetsu", "nothing"):
        r = client.get(f"/companies/{name}/prep")
        assert (r.status_code == 404 or "見つかりません" in r.text) and "準備シート" not in r.text, name


# -- whole sessions in Chromium ---------------------------------------------------------------

@pytest.fixture(scope="module")
def server(analyzer, tmp_path_factory):
    """A real server with the suite's one loaded model."""
    store = Store(tmp_path_factory.mktemp("web-data"))
    with serving(store, analyzer) as base:
        yield store, base


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    from playwright.sync_api import sync_playwright

    wav = as_wav(ANSWER, tmp_path_factory.mktemp("mic") / "answer.wav")
    with sync_playwright() as p:
        b = launch_chromium(p, wav)
        yield b
        b.close()


def _practise_once(page, base: str, company: str = "") -> dict:
    messages: list[str] = []   # the server's messages to the page, in order
    page.on("websocket", lambda ws: ws.on("framereceived", lambda payload: messages.append(
        json.loads(payload).get("type", "") if isinstance(payload, str) else "")))
    page.goto(f"{base}/?question=gyaku_shitsumon&token={TOKEN}" + (f"&company={company}" if company else ""))
    page.click("#start")
    page.wait_for_selector("#meter:not([hidden])", timeout=60000)       # the question was played first
    page.wait_for_selector("#done:not([hidden])", timeout=120000)
    return {"reaction": page.inner_text("#reactions"), "report": page.get_attribute("#report-link", "href"),
            "messages": [m for m in messages if m != "level"]}


@pytest.fixture(scope="module")
def first_session(server, browser, tmp_path_factory):
    store, base = server
    page, errors = open_page(browser, 1280)
    done = _practise_once(page, base)
    shots = tmp_path_factory.mktemp("shots")
    page.screenshot(path=str(shots / "practice-1280.png"), full_page=True)
    page.close()
    return store, base, done, errors, shots


@pytest.mark.slow
def test_a_practice_session_in_the_page_matches_analyze(first_session, analyzer):
    store, base, done, errors, _ = first_session
    assert errors == []
    [row] = store.history()
    folder = store.sessions_dir / row["id"]
    [answer] = session_answers(json.loads((folder / "session.json").read_text(encoding="utf-8")))
    assert answer.ended_by == "silence" and answer.question_id == "gyaku_shitsumon"
    assert "残業" in answer.analysis.transcript.text and "残業" in done["reaction"]
    # the saved recording holds the whole answer, and ended soon after it (the turn rule, not a cap)
    assert answer.analysis.delivery.speech_s > 6.5
    assert answer.recording.stopped_s - answer.recording.speech_end_s < 3.0
    # the interviewer replies to the reverse question (an acknowledgement), not silence until the end
    after = done["messages"][done["messages"].index("recorded"):]
    assert "speak" in after and after.index("speak") < after.index("done"), done["messages"]
    # `analyze` of the recording the browser made finds the same fillers, span and verdicts
    again = analyzer.analyze_file(folder / answer.audio, "gyaku_shitsumon")
    heard = answer.analysis
    assert [f.canonical for f in heard.delivery.fillers] == [f.canonical for f in again.delivery.fillers]
    assert abs(heard.delivery.speech_s - again.delivery.speech_s) < 0.3
    assert heard.content.issue_ids == again.content.issue_ids
    assert heard.voice.verdicts == again.voice.verdicts


@pytest.mark.slow
def test_the_review_page_corrects_a_transcript(first_session, browser):
    store, base, done, _, shots = first_session
    page, errors = open_page(browser, 1280)
    page.goto(f"{base}{done['report']}?token={TOKEN}")
    page.click("details.fix summary")
    corrected = "残業は月にどのくらいありますか。それと、リモートワークは週に何日までできますか。<b>太字</b>"
    page.fill("details.fix textarea", corrected)
    page.click("button.save-fix")
    page.wait_for_selector("text=文字起こしは手で直しました", timeout=30000)
    assert "<b>太字</b>" in page.inner_text(".transcript")        # shown as typed, never as markup
    assert page.locator(".transcript b").count() == 0
    # the corrected words keep the audio's timing: a word late in the answer plays from there
    # (the server answers the player's Range requests, so it can seek)
    words = page.locator(".transcript .w")
    assert words.count() > 5 and page.inner_text(".transcript").replace("\n", "").startswith("残業は")
    late = words.nth(words.count() - 3)
    t = float(late.get_attribute("data-t"))
    assert t > 3.0
    late.click()
    page.wait_for_function("document.querySelector('audio').currentTime > 0")
    assert page.evaluate("document.querySelector('audio').currentTime") >= t - 0.1
    page.screenshot(path=str(shots / "review-1280.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    assert fits(page)
    page.screenshot(path=str(shots / "review-390.png"), full_page=True)
    [row] = store.history()
    [answer] = session_answers(json.loads((store.sessions_dir / row["id"] / "session.json").read_text("utf-8")))
    assert answer.corrected and answer.analysis.transcript.text == corrected
    assert answer.analysis.original_transcript not in ("", corrected)   # what base heard is kept
    assert "conditions_only" in answer.analysis.content.issue_ids           # judged again on what was said
    assert errors == []


@pytest.mark.slow
def test_rework_a_question_and_compare_the_attempts(first_session, browser):
    store, base, done, _, shots = first_session
    page, errors = open_page(browser, 390)
    page.goto(f"{base}{done['report']}?token={TOKEN}")
    page.click("text=この質問にもう一度答える")
    page.wait_for_selector("#setup:not([hidden])")
    assert "最後に、何か質問はありますか。" in page.inner_text("#setup")
    page.click("#start")
    page.wait_for_selector("#done:not([hidden])", timeout=120000)
    assert fits(page)
    page.screenshot(path=str(shots / "practice-390.png"), full_page=True)
    page.goto(f"{base}/compare/gyaku_shitsumon")
    assert page.locator("article.attempt").count() == 2
    assert page.locator("article.attempt audio").count() == 2
    table = page.inner_text("table.changes")
    assert "内容の指摘" in table and "速さ" in table
    assert any(word in table for word in ("良くなった", "悪くなった", "変わらない"))
    assert fits(page)
    page.screenshot(path=str(shots / "compare-390.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.screenshot(path=str(shots / "compare-1280.png"), full_page=True)
    assert len(store.history()) == 2
    # 上達の様子: a real page, the rework is not counted as a session, dates on the axis
    page.click("text=上達の様子")
    assert page.url.endswith("/progress")
    intro = page.inner_text("main")
    assert "練習 1 回の推移" in intro and "やり直した練習 1 回は含めていません" in intro
    # one plot per measure taken (the depth held needs a follow-up, none was asked)
    assert page.locator("figure.progress svg").count() == 6
    day = store.history()[0]["started_at"][5:10].replace("-", "/")
    assert day in page.inner_text("figure.progress") or day in page.content()
    assert "320〜360" in intro and "モーラ" not in intro
    for width in (390, 1280):
        page.set_viewport_size({"width": width, "height": 900})
        assert fits(page)
        page.screenshot(path=str(shots / f"progress-{width}.png"), full_page=True)
    assert errors == []


@pytest.mark.slow
def test_practice_for_a_company_in_the_page(server, browser):
    """Chosen in the page, the company's profile judges the answer: its FAQ already gives
    the overtime the fake microphone asks about."""
    store, base = server
    shutil.copy(COMPANIES / "hakobu.toml", store.companies_dir / "hakobu.toml")
    page, errors = open_page(browser, 1280)
    done = _practise_once(page, base, company="hakobu")
    assert "平均残業時間は月12時間です" in done["reaction"]
    sid = done["report"].strip("/").split("/")[-1]
    meta = json.loads((store.sessions_dir / sid / "session.json").read_text(encoding="utf-8"))
    assert meta["company"] == "株式会社ハコブ"
    [answer] = session_answers(meta)
    assert "answered_by_company_info" in answer.analysis.content.issue_ids
    page.goto(f"{base}/companies")
    assert "株式会社ハコブ （練習した回答 1 件）" in page.inner_text("ul.companies")
    page.goto(f"{base}/companies/hakobu/prep")
    assert "最後に、何か質問はありますか。" in page.inner_text("section h2")
    assert errors == []


def test_answer_audio_answers_range_requests_so_the_player_can_seek(client, tmp_path):
    client.cookies.set(COOKIE, TOKEN)
    session = Store(tmp_path).begin({"track": "shinsotsu"})
    wav = session.path / "01_jikoshokai.wav"
    sf.write(wav, noise(2.0, dbfs=-30.0), 16000, subtype="PCM_16")
    data = wav.read_bytes()
    whole = client.get(f"/sessions/{session.id}/01_jikoshokai.wav")
    assert whole.status_code == 200 and whole.headers["accept-ranges"] == "bytes" and whole.content == data
    part = client.get(f"/sessions/{session.id}/01_jikoshokai.wav", headers={"range": "bytes=32000-32999"})
    assert part.status_code == 206 and part.content == data[32000:33000]
    assert part.headers["content-range"] == f"bytes 32000-32999/{len(data)}"


@pytest.mark.slow
def test_a_typed_interview_in_the_page_digs_into_the_answer(browser, tmp_path):
    """No microphone: the page's text box answers, the interviewer quotes the answer back
    and digs rung by rung, and the review gives the interviewer's conclusion."""
    store = Store(tmp_path)
    answers = ["私の実績は、担当エリアの売上を前年比150%にしたことです。入社三年目に、既存のお客様二十社を担当しました。"
               "その結果、社内の営業表彰を受けました。御社でもこの経験を活かしたいと考えています。",
               "特にありません。とにかく頑張ったとしか言えないです。",
               "うーん、いろいろありましたが、とにかく一生懸命やりました。"]
    with serving(store, max_followups=3) as base:
        page, errors = open_page(browser, 390)
        page.goto(f"{base}/?question=jisseki&token={TOKEN}")
        page.check("input[name=followups]")
        page.check("input[name=mode][value=typed]")
        page.click("#start")
        asked = []
        for text in answers:
            page.wait_for_selector("#typing:not([hidden])", timeout=60000)
            asked.append(page.inner_text("#question"))
            page.fill("#typed-text", text)
            assert page.inner_text("#typed-count") == str(len(text.replace(" ", "")))
            page.click("#typing button[type=submit]")
        page.wait_for_selector("#done:not([hidden])", timeout=60000)
        assert asked[1] == "前年比150%とおっしゃいましたが、その中で、あなた自身は何をしたのですか。"
        assert asked[2] == "具体的には、あなたが何をしたのか教えてください。"
        reactions = page.inner_text("#reactions")
        assert "null" not in reactions and "モーラ" not in reactions   # typed: no delivery shown
        assert fits(page)
        page.goto(f"{base}{page.get_attribute('#report-link', 'href')}?token={TOKEN}")
        verdict = page.inner_text("#verdict")
        assert "再現性（入社後も同じように成果を出せそうか）: 伝わらなかった" in verdict
        assert "「自分の行動」に答えられなかった" in verdict
        assert fits(page)
        page.close()
    [row] = store.history()
    meta = json.loads((store.sessions_dir / row["id"] / "session.json").read_text(encoding="utf-8"))
    assert meta["input"] == "typed"
    assert [a.question_id for a in session_answers(meta)] == ["jisseki", "dig_action", "press_action"]
    assert (store.sessions_dir / row["id"] / "01_jisseki.txt").read_text(encoding="utf-8").startswith("私の実績は")
    assert errors == []


def _start_bare(data: Path) -> tuple[subprocess.Popen, str]:
    """`mensetsu` with no arguments, as a user double-clicks it; returns the process and its URL."""
    proc = subprocess.Popen([sys.executable, "-m", "simulator"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env={**os.environ, "MENSETSU_DATA_DIR": str(data), "BROWSER": "true"},
                            preexec_fn=as_from_a_terminal)
    for line in proc.stdout:
        if line.startswith("http://127.0.0.1:"):
            return proc, line.strip()
    raise AssertionError(proc.stderr.read())


@pytest.mark.slow
def test_mensetsu_alone_opens_the_page_and_a_bookmark_keeps_working(tmp_path, browser):
    data = tmp_path / "data"
    tokens = []
    for _ in range(2):   # started again: the same token, so the bookmarked page opens
        proc, url = _start_bare(data)
        try:
            tokens.append(url.split("token=")[1])
            base = url.split("/?")[0]
            page, errors = open_page(browser, 390)
            page.goto(url)
            assert page.url == f"{base}/" and "模擬面接を始める" in page.inner_text("h1")   # no token in the bar
            [cookie] = page.context.cookies()
            assert cookie["expires"] > time.time() + 300 * 86400                # outlives a closed browser
            page.context.clear_cookies()
            page.goto(f"{base}/sessions")                                       # no token: told how to get in
            assert "合言葉" in page.inner_text("main") and "ブックマーク" in page.inner_text("main")
            assert fits(page)
            page.close()
            assert errors == [] or all("403" in e for e in errors)
        finally:
            proc.send_signal(signal.SIGINT)
            assert proc.wait(30) == 0 and "Traceback" not in proc.stderr.read()
    assert tokens[0] == tokens[1] and len(tokens[0]) >= 20
    assert (data / "web-token").stat().st_mode & 0o077 == 0                     # the owner's only
