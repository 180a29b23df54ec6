"""mensetsu web in a real Chromium: a server on a free port, the browser with a fake microphone."""

from __future__ import annotations

import contextlib
import shutil
from pathlib import Path

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
TOKEN = "test-token-0123456789"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--autoplay-policy=no-user-gesture-required", "--use-fake-ui-for-media-stream",
                 "--use-fake-device-for-media-stream"]


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def web_app(store, port: int, analyzer=None, max_followups: int = 0):
    """The web app on `store`, with `analyzer` already loaded and the OpenJTalk voice."""
    from concurrent.futures import Future

    from simulator.speech.tts import make_engine
    from simulator.web.app import create_app

    ready: Future = Future()
    ready.set_result(analyzer)
    return create_app(store, TOKEN, port, ready, make_engine("openjtalk"), max_followups=max_followups)


@contextlib.contextmanager
def serving(store, analyzer=None, max_followups: int = 0):
    """A real server on a free loopback port; yields its base URL."""
    import asyncio
    import threading
    import time

    import uvicorn

    port = free_port()
    config = uvicorn.Config(web_app(store, port, analyzer, max_followups), host="127.0.0.1", port=port,
                            log_level="warning", ws_max_size=1 << 20, lifespan="off")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=lambda: asyncio.run(srv.serve()), daemon=True)
    thread.start()
    while not srv.started:
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        srv.should_exit = True
        thread.join(10)


def launch_chromium(playwright, microphone: Path):
    """Debian's Chromium with `microphone` (a WAV) as its fake microphone: each
    getUserMedia plays the file from its start, once."""
    if CHROMIUM is None:
        raise AssertionError("chromium is not installed (.ci/run installs it)")
    return playwright.chromium.launch(executable_path=CHROMIUM,
                                      args=[*CHROMIUM_ARGS, f"--use-file-for-fake-audio-capture={microphone}%noloop"])


def open_page(browser, width: int):
    """A page at `width` px, and the list its errors (and any request leaving the machine) go to."""
    page = browser.new_page(viewport={"width": width, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("request", lambda r: errors.append("outside: " + r.url)
            if not r.url.startswith(("http://127.0.0.1", "ws://127.0.0.1", "data:", "blob:")) else None)
    return page, errors


def fits(page) -> bool:
    """Nothing on the page is wider than the window (no sideways scrolling on a phone)."""
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
