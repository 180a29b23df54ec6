"""Everything a job seeker does outside the interview, in the page: company profiles
(a form over the same TOML `mensetsu company add` makes), entry-sheet and round-one notes,
exporting and deleting sessions. Real server, real files, real Chromium."""

from __future__ import annotations

import json

import pytest
from support.web import TOKEN, fits, launch_chromium, open_page, serving

from simulator.analysis.analyze import analyze_text
from simulator.analysis.record import RecordingInfo, SavedAnswer
from simulator.judge.company import list_profiles, load_profile
from simulator.rules.bank import questions
from simulator.store.notes import load_notes
from simulator.store.storage import Store


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    from playwright.sync_api import sync_playwright
    from support import noise, write_wav

    from simulator.speech.audio import SAMPLE_RATE

    wav = write_wav(tmp_path_factory.mktemp("mic") / "quiet.wav", noise(1.0), SAMPLE_RATE)
    with sync_playwright() as p:
        b = launch_chromium(p, wav)
        yield b
        b.close()


def _typed_session(store: Store) -> str:
    """A saved session with one typed answer, judged by the real rules."""
    q = questions()["jikoshokai"]
    session = store.begin({"plan": [q.id], "track": "shinsotsu", "input": "typed"})
    text = "大学では物流を学び、アルバイトで在庫管理の改善に取り組みました。"
    (session.path / "01_jikoshokai.txt").write_text(text, encoding="utf-8")
    store.add_answer(session, SavedAnswer(1, q.id, q.text, "01_jikoshokai.txt", recording=RecordingInfo("typed"),
                                          analysis=analyze_text(text, q)))
    store.finish(session)
    return session.id


@pytest.mark.parametrize("width", [390, 1280])
@pytest.mark.slow
def test_profiles_notes_and_sessions_are_managed_in_the_page(browser, tmp_path, width):
    store = Store(tmp_path)
    sid = _typed_session(store)
    with serving(store) as base:
        page, errors = open_page(browser, width)
        page.on("dialog", lambda d: d.accept())
        page.goto(f"{base}/companies?token={TOKEN}")
        assert "mensetsu " not in page.inner_text("main")            # no terminal command anywhere
        page.click("text=会社を追加する")
        page.fill("input[name=name]", "株式会社ミライ物流")
        page.fill("textarea[name=business]", "中小の小売店向けに共同配送を提供しています。")
        page.fill("textarea[name=products]", "「ミライ便」\n共同配送センター\n")
        page.fill("textarea[name=posting]", "法人営業（既存顧客への提案）\n配送ルートの改善提案")
        assert fits(page)
        page.click("#profile button[type=submit]")
        page.wait_for_url(f"{base}/companies")
        assert "株式会社ミライ物流" in page.inner_text("ul.companies")
        [(key, profile)] = list_profiles(store.root).items()
        assert profile.products == ("「ミライ便」", "共同配送センター")
        assert profile.posting == "法人営業（既存顧客への提案）\n配送ルートの改善提案"
        assert "# 事業内容" in (store.companies_dir / f"{key}.toml").read_text(encoding="utf-8")   # still the template

        page.click("text=編集")
        assert page.input_value("textarea[name=products]") == "「ミライ便」\n共同配送センター"
        page.fill("textarea[name=news]", "2026年に九州に物流センターを開設")
        page.click("#profile button[type=submit]")
        page.wait_for_url(f"{base}/companies")
        assert load_profile(store.companies_dir / f"{key}.toml").news == ("2026年に九州に物流センターを開設",)

        page.click("text=会社を追加する")                              # the same company twice is refused
        page.fill("input[name=name]", "株式会社ミライ物流")
        page.click("#profile button[type=submit]")
        page.wait_for_selector("text=もうあります")
        assert len(list(store.companies_dir.glob("*.toml"))) == 1

        page.goto(f"{base}/notes")
        page.select_option("#new-note select[name=kind]", "es")
        page.select_option("#new-note select[name=company]", "株式会社ミライ物流")
        page.fill("#new-note textarea[name=text]", "私の強みは粘り強さです。アルバイトでは在庫の廃棄を前年比30%減らしました。")
        with page.expect_navigation():
            page.click("#new-note button[type=submit]")
        card = page.inner_text("article.note-card")
        assert "エントリーシート（株式会社ミライ物流" in card and "強み: 粘り強さ" in card   # what it will check
        assert "30%" in page.input_value("article.note-card textarea")
        [note] = load_notes(store.root)
        page.fill("article.note-card textarea", "私の強みは粘り強さです。廃棄を前年比40%減らしました。")
        with page.expect_navigation():
            page.click("article.note-card button[type=submit]")
        assert "40%" in page.input_value("article.note-card textarea")
        [edited] = load_notes(store.root)
        assert edited.id == note.id and "40%" in edited.text and edited.company == "株式会社ミライ物流"
        assert fits(page)
        with page.expect_navigation():
            page.click("article.note-card button.quiet")
        assert "まだメモがありません" in page.inner_text("main")
        assert load_notes(store.root) == []

        page.goto(f"{base}/sessions")
        with page.expect_download() as download:
            page.click("td.actions a[href$=\"export.csv\"]")
        csv = download.value.path().read_text(encoding="utf-8-sig")
        assert "自己紹介" in csv and "在庫管理" in csv
        assert fits(page)
        with page.expect_navigation():
            page.click("td.actions button")
        assert "まだ記録がありません" in page.inner_text("main")
        assert not (store.sessions_dir / sid).exists() and store.history() == []

        page.goto(f"{base}/companies")
        with page.expect_navigation():
            page.click("ul.companies button")
        assert "まだ会社のプロフィールがありません" in page.inner_text("main")
        assert list_profiles(store.root) == {}
        page.close()
    # the one refusal (the same company twice) is the only failed request
    assert errors == ["Failed to load resource: the server responded with a status of 400 (Bad Request)"]


def test_the_save_routes_refuse_what_is_not_a_form(tmp_path):
    from starlette.testclient import TestClient
    from support.web import web_app

    from simulator.web.app import COOKIE

    client = TestClient(web_app(Store(tmp_path), 8123), base_url="http://127.0.0.1:8123")
    client.cookies.set(COOKIE, TOKEN)
    assert client.post("/companies/save", content=b"[1]").status_code == 400
    assert client.post("/companies/save", json={"name": "A社", "products": "not a list"}).status_code == 400
    r = client.post("/companies/save", json={"name": " "})
    assert r.status_code == 400 and "会社名" in r.json()["error"]
    assert client.post("/companies/save", json={"key": "nothing", "name": "A社"}).status_code == 404
    assert client.post("/notes/save", json={"text": ""}).status_code == 400
    assert client.post("/notes/nothing/delete").status_code == 404
    assert client.post("/sessions/20260101-000000-abcd/delete").status_code == 404
    assert client.get("/sessions/20260101-000000-abcd/export.csv").status_code == 404
    r = client.post("/companies/save", json={"name": "株式会社A", "notes": "'''"})   # written so it reads back
    assert r.status_code == 200 and json.loads(r.text)["ok"]
    assert load_profile(next((tmp_path / "companies").glob("*.toml"))).notes == "'''"
