"""Storage, report, history, export and consistency, on a real analysed session.

The report is opened in headless Chromium (Debian's chromium, driven by Playwright):
no console errors, audio loads, no request leaves the file, clicking a word seeks."""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
import soundfile as sf
from support import QuietUI, as_wav
from support.variants import fade_endings, speed_up

from simulator.analysis.analyze import analyze_text
from simulator.analysis.record import SavedAnswer
from simulator.judge.consistency import Stated, conflicts, extract_facts
from simulator.practice.session import Practice
from simulator.present.report import export, find_session, render
from simulator.rules import bank
from simulator.speech.audio import load_audio, speech_regions
from simulator.speech.capture import FileSource
from simulator.speech.tts import SilentEngine, Voice
from simulator.store.storage import MIGRATIONS, Store, session_answers

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="module")
def store(analyzer, dev_dir, tmp_path_factory) -> Store:
    """Two real sessions: the second contradicts the first's monthly sales figure."""
    store = Store(tmp_path_factory.mktemp("data"))
    answers = tmp_path_factory.mktemp("answers")
    for n, name in enumerate(["dev04_tenshoku_blame.flac", "dev06_gyaku_none.flac"], 1):
        as_wav(dev_dir / name, answers / f"{n:02d}.wav")
    for sales in ("100万円", "200万円"):
        practice = Practice(store, Voice(SilentEngine(), None), FileSource(answers), lambda: analyzer, QuietUI(),
                            max_followups=1)
        result = practice.run([bank.questions()["tenshoku_riyuu"]], {"track": "tenshoku"})
        # a written answer that states a figure, as said in this session
        draft = analyze_text(f"前職では月間の売上は{sales}でした。<script>window.__xss = 1</script>", "jisseki")
        idx = len(result.answers) + 1
        audio = result.session.answer_audio(idx, "jisseki")
        as_wav(dev_dir / "dev06_gyaku_none.flac", audio)
        store.add_answer(result.session, SavedAnswer(idx, "jisseki", draft.question_text or "", audio.name,
                                                     analysis=draft))
    # the latest session also holds an answer with weak spots by construction: sped up, endings faded
    fast = speed_up(load_audio(dev_dir / "dev01_jikoshokai.flac"), 10.0)
    weak = fade_endings(fast, speech_regions(fast))
    audio = result.session.answer_audio(idx + 1, "jikoshokai")
    sf.write(audio, weak, 16000)
    analysis = analyzer.analyze_samples(weak, bank.questions()["jikoshokai"].text)
    assert set(analysis.voice.verdicts) == {"fading", "rushing"}
    store.add_answer(result.session, SavedAnswer(idx + 1, "jikoshokai", analysis.question_text or "", audio.name,
                                                 analysis=analysis))
    return store


@pytest.fixture(scope="module")
def report(store) -> Path:
    return render(store, find_session(store, "latest"))


@pytest.mark.slow
def test_report_is_written_next_to_the_audio(store, report):
    assert report.parent == find_session(store, "latest") and report.name == "report.html"
    html = report.read_text(encoding="utf-8")
    assert "&lt;script&gt;window.__xss" in html and "<script>window.__xss" not in html
    assert "一貫性" in html and "100万円" in html and "200万円" in html
    assert not re.search(r'(src|href)\s*=\s*["\']?(https?:)?//|url\(\s*["\']?(https?:)?//', html)


def test_the_summary_cards_add_up_the_spoken_answers(store, report):
    html = report.read_text(encoding="utf-8")
    spoken = [a.analysis.delivery for a in session_answers(json.loads(
        (report.parent / "session.json").read_text(encoding="utf-8"))) if a.analysis and a.analysis.delivery]
    assert len(spoken) >= 2 and sum(d.filler_count for d in spoken) > 0
    assert f"フィラー（合計）<b>{sum(d.filler_count for d in spoken)} 回</b>" in html
    pace = round(sum(d.mora_per_min for d in spoken) / len(spoken))
    assert f"話す速さ（平均）<b>{pace}</b>" in html


@pytest.mark.skipif(CHROMIUM is None, reason="chromium not installed (.ci/run installs it)")
@pytest.mark.slow
def test_report_in_headless_chromium(report, tmp_path):
    from playwright.sync_api import sync_playwright

    errors, requests = [], []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--autoplay-policy=no-user-gesture-required"])
        page = browser.new_page(viewport={"width": 1100, "height": 1600})
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("request", lambda r: requests.append(r.url))
        page.goto(report.as_uri())
        page.wait_for_function("[...document.querySelectorAll('audio')].every(a => a.readyState >= 1)",
                               timeout=15000)
        durations = page.eval_on_selector_all("audio", "els => els.map(a => a.duration)")
        assert durations and all(d > 1 for d in durations)
        assert page.evaluate("window.__xss") is None  # the transcript's <script> stayed text
        word = page.locator('.transcript[data-answer="1"] .w').nth(10)
        t = float(word.get_attribute("data-t"))
        word.click()
        current = page.evaluate("document.querySelector('audio[data-answer=\"1\"]').currentTime")
        assert abs(current - t) < 0.5 and t > 1
        # the voice curves are drawn under the first answer: pitch points and a loudness line
        voice = page.locator('#answer-1 figure.voice svg')
        assert voice.count() == 1 and voice.bounding_box()["width"] > 300
        voice_text = page.locator('#answer-1 figure.voice').inner_text()
        assert "声の高さ" in voice_text and "大きさ（dB）" in voice_text
        assert page.locator('#answer-1 figure.voice svg path').count() >= 2
        assert "声:" in page.locator('#answer-1 .voice-verdicts').inner_text()
        # the weak spots of the altered answer are marked on its curves and named under them
        weak = page.locator('figure.voice').last.inner_text()
        assert "早口" in weak and "語尾が消える" in weak
        verdicts = page.locator('.voice-verdicts').last.inner_text()
        assert "早口になる" in verdicts and "語尾が消える" in verdicts
        progress = page.locator(".plots").inner_text()
        assert "声の高さの幅（抑揚）" in progress and "語尾が弱い文の割合" in progress
        page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
        page.emulate_media(media="print")
        pdf = page.pdf(format="A4")
        browser.close()
    assert errors == []
    assert all(u.startswith(("file://", "data:")) for u in requests), requests
    assert (tmp_path / "report.png").stat().st_size > 50_000 and pdf[:4] == b"%PDF"


def test_report_elsewhere_embeds_the_audio(store, tmp_path):
    out = render(store, find_session(store, "latest"), tmp_path / "mine.html")
    html = out.read_text(encoding="utf-8")
    assert html.count('src="data:audio/wav;base64,') >= 2


def test_reindex_restores_history_exactly(store):
    def history():
        p = subprocess.run([sys.executable, "-m", "simulator", "history", "--json", "--data-dir", str(store.root)],
                           capture_output=True, text=True, check=True)
        return json.loads(p.stdout)

    before = history()
    with sqlite3.connect(store.db_path) as con:
        facts_before = con.execute("SELECT * FROM facts ORDER BY session_id, idx, value").fetchall()
    store.db_path.unlink()
    assert store.reindex() == 2
    assert history() == before and len(before) == 2
    with sqlite3.connect(store.db_path) as con:
        assert con.execute("SELECT * FROM facts ORDER BY session_id, idx, value").fetchall() == facts_before


def test_export_json_and_csv(store, tmp_path):
    import csv
    import io

    folder = find_session(store, "latest")
    assert json.loads(export(folder, "json"))["id"] == folder.name
    text = export(folder, "csv")
    assert text.startswith("\ufeff番号,質問,")            # a BOM, so Excel reads UTF-8
    rows = list(csv.reader(io.StringIO(text[1:])))
    assert len(rows) >= 3
    body = " ".join(" ".join(r) for r in rows[1:])
    assert "True" not in body and "False" not in body and "vague_team" not in body and "blame" not in body
    assert "はい" in body or "いいえ" in body
    assert "他責" in body                                  # the blame issue, by its Japanese name
    out = tmp_path / "session.csv"
    p = subprocess.run([sys.executable, "-m", "simulator", "export", "latest", "--format", "csv", "--out", str(out),
                        "--data-dir", str(store.root)], capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    assert out.read_bytes().startswith(b"\xef\xbb\xbf") and out.read_bytes().decode("utf-8-sig") == text[1:]
    assert out.stat().st_mode & 0o077 == 0


@pytest.mark.slow
def test_cli_report_history_export(store):
    run = lambda *a: subprocess.run([sys.executable, "-m", "simulator", *a, "--data-dir", str(store.root)],
                                    capture_output=True, text=True)
    p = run("report", "latest")
    assert p.returncode == 0 and Path(p.stdout.strip()).is_file()
    assert run("history").returncode == 0
    p = run("report", "no-such-session")
    assert p.returncode != 0 and "Traceback" not in p.stderr and "見つかりません" in p.stderr
    env_run = subprocess.run([sys.executable, "-m", "simulator", "history", "--json"], capture_output=True, text=True,
                             env={**os.environ, "MENSETSU_DATA_DIR": str(store.root)})
    assert len(json.loads(env_run.stdout)) == 2


def test_migrations_upgrade_an_old_database(tmp_path):
    db = tmp_path / "mensetsu.db"
    with sqlite3.connect(db) as con:
        con.executescript(MIGRATIONS[0])
        con.execute("PRAGMA user_version = 1")
        con.execute("INSERT INTO sessions VALUES ('s1', '2026-01-01T10:00:00', NULL, 'tenshoku', 'base', 0, 'x')")
    store = Store(tmp_path)
    with store.connect() as con:
        assert con.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
        assert con.execute("SELECT track FROM sessions WHERE id = 's1'").fetchone()[0] == "tenshoku"
        con.execute("SELECT subject FROM facts").fetchall()  # the table the second migration adds


RULES = bank.load("consistency")


def said(text: str, session: str) -> list[Stated]:
    return [Stated(f, session, "2026-11-0" + session[-1], "q") for f in extract_facts(text, RULES)]


@pytest.mark.parametrize("first, second, conflict", [
    ("前職では月間の売上は100万円でした。", "月の売上を二百万円まで伸ばしました。", True),
    ("月間の売上は100万円です。", "毎月の売上はおよそ百万円でした。", False),
    ("5人のチームのリーダーでした。", "チームは五人で、私がまとめ役でした。", False),
    ("8名のチームを率いていました。", "部下は3名でした。", True),
    ("月間の売上は100万円でした。", "年間の売上は1200万円でした。", False),        # different periods
    ("出荷件数を800件から1100件に増やしました。", "受注件数は月に20件です。", False),  # different subjects
    ("月間の売上は100万円でした。", "三年生の夏に二か月間のインターンに参加しました。", False),  # unrelated numbers
    ("成約件数は月に12件でした。", "月の成約件数は十二件です。", False),
    ("成約件数は月に12件でした。", "月間の成約件数は30件でした。", True),
    ("売上を前年比120%にしました。", "売上は前年比150%でした。", False),              # relative, not stated amounts
])
def test_consistency_pairs(first, second, conflict):
    found = conflicts(said(first, "s1") + said(second, "s2"), RULES["tolerance"])
    assert bool(found) == conflict, found
    if conflict:
        assert found[0].first.fact.quote and found[0].second.fact.quote


def test_delete_removes_audio_and_rows(tmp_path, dev_dir):
    store = Store(tmp_path)
    session = store.begin({"track": "shinsotsu"})
    audio = session.answer_audio(1, "jiko_pr")
    as_wav(dev_dir / "dev06_gyaku_none.flac", audio)
    store.add_answer(session, SavedAnswer(1, "jiko_pr", "あなたの強みを教えてください。", audio.name,
                                          analysis=analyze_text("私の強みは粘り強さです。", "jiko_pr")))
    p = subprocess.run([sys.executable, "-m", "simulator", "delete", session.id, "--data-dir", str(tmp_path)],
                       capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    assert not session.path.exists()
    with sqlite3.connect(store.db_path) as con:
        assert con.execute("SELECT COUNT(*) FROM answers").fetchone()[0] == 0
        assert con.execute("SELECT COUNT(*) FROM sessions").fetchone()[0] == 0


def test_plots_need_no_japanese_font_where_the_report_is_made(store, tmp_path, monkeypatch):
    """With only Latin fonts installed: no glyph warnings, and the Japanese stays text for the browser."""
    import warnings

    from matplotlib import font_manager

    latin = [f for f in font_manager.fontManager.ttflist if "IPA" not in f.name and "CJK" not in f.name
             and "Gothic" not in f.name]
    monkeypatch.setattr(font_manager.fontManager, "ttflist", latin)
    font_manager.fontManager._findfont_cached.cache_clear()
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            out = render(store, find_session(store, "latest"), tmp_path / "report.html")
        assert not [w for w in caught if "Glyph" in str(w.message)]
        html = out.read_text(encoding="utf-8")
        assert re.search(r"<text[^>]*>[^<]*発話", html) or "発話</text>" in html or ">発話<" in html
    finally:
        font_manager.fontManager._findfont_cached.cache_clear()


@pytest.mark.skipif(CHROMIUM is None, reason="chromium not installed (.ci/run installs it)")
@pytest.mark.parametrize("width", [390, 1280])
@pytest.mark.slow
def test_report_reads_well_on_a_phone_and_a_screen(report, tmp_path, width):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync"])
        page = browser.new_page(viewport={"width": width, "height": 900})
        page.goto(report.as_uri())
        page.screenshot(path=str(tmp_path / f"report_{width}.png"), full_page=True)
        # nothing but a figure's own scroller is wider than the screen
        assert page.evaluate("document.documentElement.scrollWidth") <= width + 1
        # every plot is drawn at 70 % of its size or more, so its 9 pt labels stay legible
        scales = page.eval_on_selector_all("figure svg", """els => els.map(s => {
            const vb = s.viewBox.baseVal; return s.getBoundingClientRect().width / (vb && vb.width || 1); })""")
        assert scales and min(scales) >= 0.7, scales
        # table headings never wrap one character a line
        heights = page.eval_on_selector_all("th", """els => els.map(e => {
            const r = document.createRange(); r.selectNodeContents(e);
            return r.getBoundingClientRect().height / parseFloat(getComputedStyle(e).lineHeight); })""")
        assert max(heights) < 2.6, heights
        assert page.locator("table.by-type").inner_text().count("自己紹介") + page.locator(
            "table.by-type").inner_text().count("転職理由") >= 1           # types by name, not id
        assert "gyaku" not in page.locator("table.by-type").inner_text()
        browser.close()


def test_progress_axes_do_not_turn_noise_into_a_swing():
    from simulator.present.report import axis_range

    low, high = axis_range([2.66, 2.67], 3.0)
    assert high - low >= 3.0 and low < 2.66 and high > 2.67
    low, high = axis_range([0.0, 0.1], 1.0)
    assert low < 0 < 0.1 < high and low > -0.1             # a share stays near 0..1
    assert axis_range([float("nan")], 3.0) is None          # a session without the measure: no point
    low, high = axis_range([300.0, 480.0], 120.0)          # real change keeps its own range
    assert low < 300 and high > 480 and high - low < 200


def test_a_corrected_transcript_keeps_its_words_times_and_fillers():
    """After a correction the report still links each word to the audio and highlights
    the fillers the user kept; a misheard word typed over takes the heard word's time."""
    from simulator.present.report import _realigned

    heard = [{"text": "えーと", "t": 0.2, "filler": True, "unsure": False}, {"pause": 1.2},
             {"text": "温者", "t": 1.9, "filler": False, "unsure": True},
             {"text": "を", "t": 2.4, "filler": False, "unsure": False},
             {"text": "志望", "t": 2.6, "filler": False, "unsure": False},
             {"hole": "（聞き取れなかった部分）", "t": 3.5}]
    out = _realigned(heard, "えーと御社を志望しました。")
    texts = [w.get("text") for w in out if "text" in w]
    assert "".join(texts) == "えーと御社を志望しました。"
    assert out[0] == {"text": "えーと", "t": 0.2, "filler": True, "unsure": False}
    assert out[1] == {"pause": 1.2}                           # the pause stays before the next word
    typed = next(w for w in out if "御社" in w.get("text", ""))
    assert typed["t"] == 1.9 and not typed["filler"] and not typed["unsure"]
    assert not any("hole" in w for w in out)
    assert next(w for w in out if w.get("text", "").startswith("しました"))["t"] == 2.6
