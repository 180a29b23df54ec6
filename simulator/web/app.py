"""The browser front end: routes, the practice WebSocket, and the guard in front of them.

A thin layer: practice is `session.Practice`, review is `report.render`, correction is
`correction.correct`, comparison is `compare.compare`; this module only turns requests
into those calls. It listens on 127.0.0.1 only, and `Guard` refuses any request that
does not carry the token of the URL the server printed, or that names another host or
origin (a web page elsewhere reaching this port through DNS rebinding), before any
route runs.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import secrets
import threading
from concurrent.futures import Future
from dataclasses import replace
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Callable, Mapping
from urllib.parse import parse_qs, urlencode

import jinja2
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import (
    FileResponse,
    HTMLResponse,
    JSONResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
)
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.websockets import WebSocket, WebSocketDisconnect

from simulator.analysis.analyze import Analyzer
from simulator.analysis.correction import correct
from simulator.analysis.record import SavedAnswer
from simulator.errors import MensetsuError
from simulator.interviewer.llm import Client, Interviewer
from simulator.judge.company import (
    LIST_KEYS,
    TEXT_KEYS,
    CompanyError,
    list_profiles,
    session_profile,
    with_rivals,
)
from simulator.judge.consistency import fact_words
from simulator.paths import open_private
from simulator.practice.session import Practice, opening, unfinished
from simulator.present.compare import compare
from simulator.present.prep import answer_counts, prep_html
from simulator.present.report import export, progress_rows, progress_svgs, render
from simulator.rules import bank
from simulator.rules.bank import TRACKS
from simulator.speech.tts import Voice
from simulator.store.notes import KINDS as NOTE_KINDS
from simulator.store.notes import load_notes, new_note
from simulator.store.storage import Store, load_session_meta, short_ids
from simulator.web.live import BrowserMic, Channel, PageSpeaker, PageTyping, PageUI

log = logging.getLogger(__name__)

HERE = Path(__file__).parent
COOKIE = "mensetsu_token"
COOKIE_DAYS = 365
# The page for a request without the token: styled inline (the stylesheet is behind the
# guard too), with what to do, in words for someone who never opened a terminal.
REFUSAL = """<!doctype html><html lang="ja"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>mensetsu 面接練習</title>
<style>body{{margin:0;font-family:"IPAGothic","Noto Sans CJK JP","Hiragino Sans","Yu Gothic",sans-serif;
background:#f6f7f9;color:#1f2933;line-height:1.8}}main{{max-width:36rem;margin:3rem auto;padding:1.5rem;
background:#fff;border:1px solid #d9dee5;border-radius:8px}}h1{{font-size:1.3rem}}</style></head>
<body><main><h1>mensetsu 面接練習</h1><p>{message}</p>
<p>開き方: mensetsu を起動すると、ブラウザでこのページが自動で開きます。開かないときは、起動したときに表示された
アドレス（http://127.0.0.1:… で始まるもの）をブラウザに貼り付けてください。一度開けば、次からはブックマークからも開けます。</p>
</main></body></html>"""
MAX_BODY = 64 * 1024           # a corrected transcript, with room to spare
SESSION_ID = re.compile(r"\d{8}-\d{6}-[0-9a-f]{4}")
AUDIO_NAME = re.compile(r"\d{2}_[a-z0-9_]+\.wav")
PAGE_MIC_WAIT_S = 600.0        # a page whose microphone failed shows why, with a retry
TAKEOVER_WAIT_S = 60.0         # an interview left by its page ends once its last answer is analysed


async def _json_body(request: Request) -> dict | None:
    """A POST's JSON object, or None when it is not one."""
    try:
        body = json.loads(await request.body())
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def _plain(value):
    """numpy scalars in a message (a figure straight from the analysis) as plain JSON numbers,
    and a read-only table of prompts/ as the object it is."""
    if hasattr(value, "item"):
        return value.item()
    if isinstance(value, Mapping):
        return dict(value)
    raise TypeError(f"{type(value).__name__} is not JSON")


class Guard:
    """ASGI middleware: the right Host, the right Origin, and the token, or nothing at all."""

    def __init__(self, app, token: str, port: int) -> None:
        self.app, self.token = app, token
        self.hosts = {f"127.0.0.1:{port}", f"localhost:{port}"}
        self.origins = {f"http://{h}" for h in self.hosts}

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] not in ("http", "websocket"):
            return await self.app(scope, receive, send)
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        origin = headers.get("origin")
        if headers.get("host") not in self.hosts:
            return await self._refuse(scope, send, 421, "このアドレスでは開けません（mensetsu web が表示した URL を使ってください）")
        if origin is not None and origin not in self.origins:
            return await self._refuse(scope, send, 403, "ほかのサイトからの接続は受け付けません")
        cookie = SimpleCookie(headers.get("cookie", "")).get(COOKIE)
        if cookie is not None and secrets.compare_digest(cookie.value, self.token):
            return await self.app(scope, receive, send)
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        given = (query.get("token") or [""])[0]
        if scope["type"] == "http" and given and secrets.compare_digest(given, self.token):
            # the token leaves the address bar and the history: it lives on in a cookie only
            rest = {k: v for k, v in query.items() if k != "token"}
            target = scope["path"] + ("?" + urlencode(rest, doseq=True) if rest else "")
            response = RedirectResponse(target, status_code=303)
            # kept for a year: the token is the same at every start, so a bookmark keeps working
            response.set_cookie(COOKIE, self.token, max_age=COOKIE_DAYS * 86400, httponly=True,
                                samesite="strict", path="/")
            return await response(scope, receive, send)
        return await self._refuse(scope, send, 403, "このページを開くための合言葉（アドレスの token）がありません。")

    @staticmethod
    async def _refuse(scope, send, status: int, message: str) -> None:
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 4403})
            return
        body = REFUSAL.format(message=message).encode("utf-8")
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", b"text/html; charset=utf-8"),
                                (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})


class WebApp:
    """What the routes share: the store, the model, the voice engine and the one live practice."""

    def __init__(self, store: Store, analyzer: Future, engine, max_followups: int = 3,
                 llm: Client | None = None) -> None:
        self.store, self.analyzer, self.engine, self.max_followups = store, analyzer, engine, max_followups
        self.llm = llm   # the language model that words the follow-ups (`--interviewer llm`), if any
        self.clips: dict[str, bytes] = {}
        self.practising = threading.Lock()   # one microphone, one interview at a time
        self.live: Channel | None = None     # the page whose interview holds it
        self.pages = jinja2.Environment(loader=jinja2.FileSystemLoader(HERE / "templates"), autoescape=True)

    # -- helpers ---------------------------------------------------------------------
    def page(self, name: str, **context) -> HTMLResponse:
        return HTMLResponse(self.pages.get_template(name).render(tracks=bank.load("labels")["tracks"], **context))

    def folder(self, sid: str) -> Path:
        """A session folder from an id in a URL; never anything outside the sessions folder."""
        folder = self.store.sessions_dir / sid
        if not SESSION_ID.fullmatch(sid) or not (folder / "session.json").is_file():
            raise LookupError(sid)
        return folder

    # -- pages -----------------------------------------------------------------------
    async def index(self, request: Request) -> Response:
        qid = request.query_params.get("question")
        question = bank.questions().get(qid) if qid else None
        if qid and (question is None or question.type == "followup"):
            return self.page("message.html.j2", title="質問が見つかりません", text=f"質問 ID {qid} はありません。")
        return self.page("practice.html.j2", question=question, companies=list_profiles(self.store.root),
                         chosen=request.query_params.get("company", ""), rework=bool(qid))

    async def resumable(self, request: Request) -> Response:
        """The interrupted session the practice page offers to go on with, as JSON (null if none).

        Asked by the page as it opens: after a reload the old page's interview may still be
        saving its last answer, so that is waited for; another tab practising is said."""
        other = self.live
        for _ in range(40):   # a reloaded page's socket closes a moment after the new page loads
            if other is None or other.closed.is_set():
                break
            await asyncio.sleep(0.05)
        if other is not None and not other.closed.is_set():
            return JSONResponse({"busy": True})
        if other is not None and await asyncio.to_thread(self.practising.acquire, True, TAKEOVER_WAIT_S):
            self.practising.release()
        return JSONResponse(self._resumable(request.query_params.get("session")))

    def _resumable(self, sid: str | None) -> dict | None:
        """The session `sid` (from a report's link), else the last one, when it was left
        before its planned questions were all answered."""
        rows = self.store.history()
        row = next((r for r in rows if r["id"] == sid), None) if sid else (rows[-1] if rows else None)
        meta = load_session_meta(self.store.sessions_dir / row["id"]) if row else None
        left = unfinished(meta) if meta else 0
        if not left:
            return None
        return {"id": meta["id"], "when": meta["started_at"][5:16].replace("-", "/").replace("T", " "),
                "answered": row["answers"], "left": left, "company": meta.get("company")}

    async def sessions(self, request: Request) -> Response:
        rows = self.store.history()
        shorts = short_ids([r["id"] for r in rows])
        return self.page("sessions.html.j2", rows=[{**r, "short": shorts[r["id"]]} for r in reversed(rows)])

    async def report(self, request: Request) -> Response:
        sid = request.path_params["sid"]
        try:
            folder = self.folder(sid)
        except LookupError:
            return self.page("message.html.j2", title="セッションが見つかりません", text=f"セッション {sid} はありません。")
        out = await asyncio.to_thread(render, self.store, folder, None, True)
        return HTMLResponse(out.read_text(encoding="utf-8"))

    async def audio(self, request: Request) -> Response:
        sid, name = request.path_params["sid"], request.path_params["name"]
        try:
            folder = self.folder(sid)
        except LookupError:
            return PlainTextResponse("not found", 404)
        path = folder / name
        if not AUDIO_NAME.fullmatch(name) or not path.is_file() or path.resolve().parent != folder.resolve():
            return PlainTextResponse("not found", 404)
        # FileResponse answers Range requests (206), so the player can seek to any word
        return FileResponse(path, media_type="audio/wav")

    async def compare_page(self, request: Request) -> Response:
        qid = request.path_params["qid"]
        question = bank.questions().get(qid)
        if question is None:
            return self.page("message.html.j2", title="質問が見つかりません", text=f"質問 ID {qid} はありません。")
        attempts = self.store.attempts(qid)
        changes = (compare(attempts[-2][2], attempts[-1][2], bank.delivery().pace)
                   if len(attempts) >= 2 else [])
        return self.page("compare.html.j2", question=question, attempts=attempts[-2:], all_count=len(attempts),
                         changes=changes, labels=bank.load("labels"), voice_labels=bank.load("voice")["labels"])

    async def progress(self, request: Request) -> Response:
        rows, by_type, reworks = await asyncio.to_thread(progress_rows, self.store)
        svgs = await asyncio.to_thread(progress_svgs, rows) if rows else []
        return self.page("progress.html.j2", rows=rows, by_type=by_type, reworks=reworks, svgs=svgs,
                         types=bank.load("labels")["question_types"])

    async def companies(self, request: Request) -> Response:
        profiles = list_profiles(self.store.root)
        practised = answer_counts(self.store)
        counts = {key: practised.get(p.name, 0) for key, p in profiles.items()}
        return self.page("companies.html.j2", profiles=profiles, counts=counts, folder=self.store.companies_dir)

    async def company_form(self, request: Request) -> Response:
        key = request.path_params.get("name")
        profile = list_profiles(self.store.root).get(key) if key else None
        if key and profile is None:
            return self.page("message.html.j2", title="会社が見つかりません", text="その会社のプロフィールはありません。")
        rules = bank.load("company")
        return self.page("company_form.html.j2", key=key, profile=profile and profile.to_dict(), labels=rules["labels"],
                         hints=rules["form_hints"], list_keys=LIST_KEYS)

    async def save_company(self, request: Request) -> Response:
        body = await _json_body(request)
        if body is None:
            return JSONResponse({"error": "送られた内容を読めません"}, 400)
        key = body.get("key")
        existing = list_profiles(self.store.root).get(str(key)) if key else None
        if key and existing is None:
            return JSONResponse({"error": "編集する会社のプロフィールが見つかりません"}, 404)
        form = {k: body.get(k) for k in (*LIST_KEYS, *TEXT_KEYS)}
        if any(not isinstance(v, list) or not all(isinstance(x, str) for x in v) for k, v in form.items()
               if k in LIST_KEYS and v is not None) or not isinstance(body.get("name", ""), str):
            return JSONResponse({"error": "送られた内容を読めません"}, 400)
        try:
            await asyncio.to_thread(self.store.save_profile, str(body.get("name") or ""), form, existing)
        except MensetsuError as e:
            return JSONResponse({"error": str(e)}, 400)
        return JSONResponse({"ok": True, "next": "/companies"})

    async def delete_company(self, request: Request) -> Response:
        profile = list_profiles(self.store.root).get(request.path_params["name"])
        if profile is None:
            return JSONResponse({"error": "その会社のプロフィールはありません"}, 404)
        try:
            self.store.delete_profile(profile)
        except MensetsuError as e:
            return JSONResponse({"error": str(e)}, 400)
        return JSONResponse({"ok": True, "next": "/companies"})

    async def notes(self, request: Request) -> Response:
        rules = bank.load("consistency")
        notes = load_notes(self.store.root)
        facts = {n.id: [fact_words(f) for f in n.facts(rules)] for n in notes}
        return self.page("notes.html.j2", notes=list(reversed(notes)), facts=facts, kinds=NOTE_KINDS,
                         companies=[p.name for p in list_profiles(self.store.root).values()])

    async def save_note(self, request: Request) -> Response:
        body = await _json_body(request)
        if body is None or not all(isinstance(body.get(k, ""), str) for k in ("id", "kind", "company", "text")):
            return JSONResponse({"error": "送られた内容を読めません"}, 400)
        try:
            note = new_note(body.get("text", ""), body.get("kind") or "es", body.get("company") or None)
            if body.get("id"):   # an edit keeps the note's id and the day it was added
                old = next((n for n in load_notes(self.store.root) if n.id == body["id"]), None)
                if old is None:
                    return JSONResponse({"error": "そのメモは見つかりません"}, 404)
                note = replace(old, text=note.text)
        except MensetsuError as e:
            return JSONResponse({"error": str(e)}, 400)
        self.store.add_note(note)
        return JSONResponse({"ok": True, "next": "/notes"})

    async def delete_note(self, request: Request) -> Response:
        nid = request.path_params["nid"]
        if not any(n.id == nid for n in load_notes(self.store.root)):
            return JSONResponse({"error": "そのメモは見つかりません"}, 404)
        self.store.delete_note(nid)
        return JSONResponse({"ok": True, "next": "/notes"})

    async def delete_session(self, request: Request) -> Response:
        try:
            folder = self.folder(request.path_params["sid"])
        except LookupError:
            return JSONResponse({"error": "セッションが見つかりません"}, 404)
        await asyncio.to_thread(self.store.delete, folder)
        return JSONResponse({"ok": True, "next": "/sessions"})

    async def export_session(self, request: Request) -> Response:
        try:
            folder = self.folder(request.path_params["sid"])
        except LookupError:
            return PlainTextResponse("not found", 404)
        kind = request.path_params["kind"]
        if kind not in ("json", "csv"):
            return PlainTextResponse("not found", 404)
        text = await asyncio.to_thread(export, folder, kind)
        media = "application/json" if kind == "json" else "text/csv"
        return Response(text.encode("utf-8"), media_type=f"{media}; charset=utf-8", headers={
            "content-disposition": f'attachment; filename="mensetsu-{folder.name}.{kind}"'})

    async def prep(self, request: Request) -> Response:
        profile = list_profiles(self.store.root).get(request.path_params["name"])   # never a path from the URL
        if profile is None:
            return self.page("message.html.j2", title="会社が見つかりません", text="その会社のプロフィールはありません。")
        return HTMLResponse(await asyncio.to_thread(prep_html, self.store, with_rivals(profile, self.store.root), True))

    async def clip(self, request: Request) -> Response:
        data = self.clips.get(request.path_params["clip"])
        return Response(data, media_type="audio/wav") if data else PlainTextResponse("not found", 404)

    # -- correction ------------------------------------------------------------------
    async def fix_transcript(self, request: Request) -> Response:
        sid, idx = request.path_params["sid"], request.path_params["idx"]
        try:
            folder = self.folder(sid)
            body = json.loads(await request.body())
            text = body["text"] if isinstance(body, dict) and isinstance(body.get("text"), str) else None
            if text is None:
                raise ValueError
        except LookupError:
            return JSONResponse({"error": "セッションが見つかりません"}, 404)
        except ValueError:
            return JSONResponse({"error": "送られた内容を読めません"}, 400)
        try:   # judging and indexing take a moment: off the event loop, which carries live audio
            fixed = await asyncio.to_thread(self._correct, folder, idx, text)
        except LookupError:
            return JSONResponse({"error": f"回答 {idx} がありません"}, 404)
        except MensetsuError as e:
            return JSONResponse({"error": str(e)}, 400)
        return JSONResponse({"idx": idx, "transcript": fixed.analysis.transcript.text,
                             "issues": fixed.analysis.content.issue_ids})

    def _correct(self, folder: Path, idx: int, text: str) -> SavedAnswer:
        session = self.store.reopen(folder)
        answer = next((a for a in session.answers if a.idx == idx), None)
        if answer is None:
            raise LookupError(idx)
        # judged again against the profile it was practised for, if it is still there
        company = session_profile(session.meta, self.store.root, missing_ok=True)
        fixed = correct(answer, text, session.meta.get("track"), frozenset(a.question_id for a in session.answers),
                        company)
        self.store.replace_answer(session, fixed)
        return fixed

    # -- live practice ---------------------------------------------------------------
    async def practice(self, ws: WebSocket) -> None:
        await ws.accept()
        loop = asyncio.get_running_loop()
        outbox: asyncio.Queue = asyncio.Queue()
        channel = Channel(lambda m: loop.call_soon_threadsafe(outbox.put_nowait, m))
        mic: list[BrowserMic] = []
        held = False   # this page holds `practising`: the one microphone, the one interview

        async def pump() -> None:
            while True:
                message = await outbox.get()
                try:
                    text = json.dumps(message, ensure_ascii=False, default=_plain)
                except (TypeError, ValueError):   # a bug in one message must not silence the rest
                    log.exception("unsendable message %s", message.get("type"))
                    continue
                try:
                    await ws.send_text(text)
                except (RuntimeError, WebSocketDisconnect):   # the page has gone: the worker stops at its next step
                    channel.close()
                    return

        sender = asyncio.create_task(pump())
        worker: threading.Thread | None = None
        try:
            while True:
                message = await ws.receive()
                if message["type"] == "websocket.disconnect":
                    break
                if message.get("bytes") is not None:
                    if mic:
                        mic[0].push(message["bytes"])
                    continue
                try:
                    msg = json.loads(message.get("text") or "")
                except ValueError:
                    continue
                kind = msg.get("type") if isinstance(msg, dict) else None
                if kind == "start" and worker is None:
                    held = held or await self._hold(channel, bool(msg.get("takeover")))
                    if not held:
                        continue   # the page was told another tab practises, and may take over
                    try:
                        if not msg.get("typed"):
                            mic[:] = [BrowserMic(int(msg.get("rate", 0)))]
                            channel.mic = mic[0]
                        worker = self._start(msg, channel, mic[0] if mic else None)
                    except (MensetsuError, TypeError, ValueError) as e:
                        channel.send({"type": "error", "message": str(e) or "始められませんでした"})
                elif kind == "played":
                    channel.reply(f"played:{msg.get('clip')}", True)
                elif kind == "stop":
                    channel.stop_answer.set()
                elif kind == "typed":
                    channel.reply("typed", str(msg.get("text") or ""))
                elif kind == "choice" and msg.get("value") in ("retry", "skip"):
                    channel.reply("choice", msg["value"])
                elif kind == "quit":
                    channel.quit()   # the loop ends as on Ctrl-C and the page is sent the done card
                    if mic:
                        mic[0].hang_up()
        except WebSocketDisconnect:
            pass
        finally:
            channel.close()
            if mic:
                mic[0].hang_up()
            if worker is not None:
                await asyncio.to_thread(worker.join)
            # what the worker sent last (done, error) goes out before the socket closes
            while not outbox.empty():
                try:
                    await ws.send_text(json.dumps(outbox.get_nowait(), ensure_ascii=False, default=_plain))
                except (RuntimeError, WebSocketDisconnect):
                    break
            sender.cancel()
            if held and worker is None:   # a started interview lets go itself, as it ends
                self._let_go(channel)

    def _let_go(self, channel: Channel) -> None:
        if self.live is channel:
            self.live = None
        self.practising.release()

    async def _hold(self, channel: Channel, takeover: bool) -> bool:
        """Take the one live interview for this page. An interview still going on in another
        tab is left alone unless the page asked to take over (that tab is told, and its
        answer so far kept); one that is only finishing (its page closed or reloaded) is
        waited for while its last answer is analysed and saved."""
        if self.practising.acquire(blocking=False):
            self.live = channel
            return True
        other = self.live
        if other is not None and not other.closed.is_set():
            if not takeover:
                channel.send({"type": "busy"})
                return False
            other.send({"type": "taken"})
            other.close()
            if other.mic is not None:
                other.mic.hang_up()
        channel.send({"type": "saving"})
        if await asyncio.to_thread(self.practising.acquire, True, TAKEOVER_WAIT_S):
            self.live = channel
            return True
        channel.send({"type": "error", "message": "前の練習の保存が終わりません。少し待ってからもう一度始めてください"})
        return False

    def _start(self, msg: dict, channel: Channel, mic: BrowserMic | None) -> threading.Thread:
        """Plan the interview the page asked for (or go on with the interrupted session it
        names) and run it on a worker thread; without `mic` the answers are typed in the page."""
        from simulator.speech.capture import MicrophoneSource

        resume, company = None, None
        if msg.get("resume"):
            try:
                resume = self.store.reopen(self.folder(str(msg["resume"])))
            except LookupError:
                raise MensetsuError("再開するセッションが見つかりません") from None
            track = resume.meta.get("track") or "shinsotsu"
        else:
            track = msg.get("track") if msg.get("track") in TRACKS else "shinsotsu"
            if msg.get("company"):
                company = list_profiles(self.store.root).get(str(msg["company"]))
                if company is None:
                    raise CompanyError("選んだ会社のプロフィールが見つかりません（読めない書き方かもしれません）")
                company = with_rivals(company, self.store.root)
        ids = msg.get("ids")
        ids = [str(i) for i in ids][:10] if isinstance(ids, list) and ids else None
        start = opening(self.store, resume, track, max(1, min(int(msg.get("questions", 5)), 10)), ids, company)
        plan, company = start.plan, start.company
        followups = self.max_followups if msg.get("followups", True) else 0
        source = (MicrophoneSource(None, None, 180.0, backend=mic, stop=channel.stop_answer.is_set,
                                   first_block_s=PAGE_MIC_WAIT_S) if mic
                  else PageTyping(channel))
        voice = Voice(self.engine, PageSpeaker(channel, self.clips))
        ui = PageUI(channel, bank.load("voice"), bank.load("labels"))
        practice = Practice(self.store, voice, source, self.analyzer.result, ui, max_followups=followups,
                            company=company, interviewer=Interviewer(self.llm) if self.llm else None,
                            analyse_partial=True)
        meta = {"track": track, "tts": self.engine.name, "input": "browser" if mic else "typed", "front_end": "web",
                **({"company": company.name, "company_file": company.path} if company else {})}
        channel.send({"type": "planned", "questions": [q.text for q in plan], "notice": start.notice})

        def run() -> None:
            try:
                result = practice.run(plan, meta, resume)
                channel.send({"type": "done", "session": result.session.id, "interrupted": result.interrupted,
                              "report": f"/sessions/{result.session.id}/"})
            except MensetsuError as e:
                channel.send({"type": "error", "message": str(e)})
            except BaseException:  # the page gets one line; the details go to the server's log
                log.exception("web practice failed")
                channel.send({"type": "error", "message": "内部エラーで練習を続けられませんでした"})
            finally:   # saved: another tab, or this page reloaded, may practise now
                self._let_go(channel)

        worker = threading.Thread(target=run, name="web-practice", daemon=True)
        worker.start()
        return worker


def create_app(store: Store, token: str, port: int, analyzer: Future, engine, max_followups: int = 3,
               llm: Client | None = None):
    """The ASGI application, wrapped in its guard."""
    web = WebApp(store, analyzer, engine, max_followups, llm)

    routes = [
        Route("/", web.index),
        Route("/sessions", web.sessions),
        Route("/sessions/{sid}/", web.report),
        # before the audio route, which would take these names
        Route("/sessions/{sid}/delete", web.delete_session, methods=["POST"]),
        Route("/sessions/{sid}/export.{kind:str}", web.export_session),
        Route("/sessions/{sid}/{name}", web.audio),
        Route("/sessions/{sid}/answers/{idx:int}/transcript", web.fix_transcript, methods=["POST"]),
        Route("/compare/{qid}", web.compare_page),
        Route("/progress", web.progress),
        Route("/resumable", web.resumable),
        Route("/companies", web.companies),
        Route("/companies/new", web.company_form),
        Route("/companies/save", web.save_company, methods=["POST"]),
        Route("/companies/{name}/edit", web.company_form),
        Route("/companies/{name}/delete", web.delete_company, methods=["POST"]),
        Route("/notes", web.notes),
        Route("/notes/save", web.save_note, methods=["POST"]),
        Route("/notes/{nid}/delete", web.delete_note, methods=["POST"]),
        Route("/companies/{name}/prep", web.prep),
        Route("/clips/{clip}", web.clip),
        Route("/favicon.ico", lambda request: Response(status_code=204)),
        WebSocketRoute("/ws/practice", web.practice),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]
    app = Starlette(routes=routes, max_body_size=MAX_BODY)
    return Guard(app, token, port)


def user_token(store: Store) -> str:
    """This user's token, kept in the data folder (owner-only) so that a bookmark or a
    reopened browser still gets in after `mensetsu web` starts again."""
    path = store.root / "web-token"
    try:
        token = path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        token = ""
    if len(token) < 20:
        token = secrets.token_urlsafe(24)
        with open_private(path, "w", encoding="ascii") as f:
            f.write(token)
    return token


def serve(store: Store, port: int, load_analyzer: Callable[[], Analyzer], engine, open_browser: bool,
          on_ready: Callable[[str], None], max_followups: int = 3, llm: Client | None = None) -> None:
    """Serve on 127.0.0.1 until Ctrl-C; `on_ready` gets the URL to open once it listens."""
    import socket
    import webbrowser
    from concurrent.futures import ThreadPoolExecutor

    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(("127.0.0.1", port))
    except OSError as e:
        raise MensetsuError(f"ポート {port} を使えません（{e.strerror}）。--port で別の番号を指定してください") from None
    port = sock.getsockname()[1]
    token = user_token(store)
    loader = ThreadPoolExecutor(max_workers=1, thread_name_prefix="model")
    analyzer = loader.submit(load_analyzer)     # the model loads while the page opens
    app = create_app(store, token, port, analyzer, engine, max_followups, llm)
    config = uvicorn.Config(app, log_level="warning", ws_max_size=1 << 20, lifespan="off")
    server = uvicorn.Server(config)
    url = f"http://127.0.0.1:{port}/?token={token}"

    async def main() -> None:
        task = asyncio.create_task(server.serve(sockets=[sock]))
        while not server.started and not task.done():
            await asyncio.sleep(0.05)
        if server.started:
            on_ready(url)
            if open_browser:
                webbrowser.open(url)
        await task

    try:
        asyncio.run(main())
    finally:
        loader.shutdown(wait=True, cancel_futures=True)
