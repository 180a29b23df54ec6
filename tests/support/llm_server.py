"""A real local HTTP server that speaks the OpenAI chat-completions protocol, with canned
replies: what `--interviewer llm` meets in the wild (a good model, a slow one, garbage,
a refusal, English, a rung that is not open, a server error). Every request is kept so
tests can check what was sent."""

from __future__ import annotations

import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SLOW_S = 8.0   # a model far too slow for a conversation
QUESTION = "もう少しだけ伺います。そのとき、ご自身では何から手をつけられたのでしょうか。"


def _open_rung(request: dict) -> str:
    """The first rung the request offers (the prompt lists them as `- id: …`)."""
    found = re.search(r"- id: (\w+)", request["messages"][-1]["content"])
    return found.group(1) if found else "none"


def _reply(mode: str, request: dict) -> tuple[int, str]:
    """(HTTP status, the completion's text) for one canned behaviour."""
    rung = _open_rung(request)
    good = json.dumps({"rung": rung, "question": QUESTION}, ensure_ascii=False)
    if mode == "good":
        return 200, good
    if mode == "fenced":   # what many chat models do: the JSON in a code fence, after a preamble
        return 200, f"承知しました。\n```json\n{good}\n```"
    if mode == "slow":
        time.sleep(SLOW_S)
        return 200, good
    if mode == "garbage":
        return 200, "はい、がんばってください！"
    if mode == "refusal":
        return 200, json.dumps({"rung": rung, "question": "申し訳ありませんが、そのご依頼にはお答えできません。"},
                               ensure_ascii=False)
    if mode == "english":
        return 200, json.dumps({"rung": rung, "question": "Could you tell me more about what you did there?"})
    if mode == "wrong_rung":
        return 200, json.dumps({"rung": "no_such_rung", "question": QUESTION}, ensure_ascii=False)
    if mode == "error":
        return 500, ""
    raise ValueError(mode)


class LLMServer:
    """`with LLMServer(["good"]) as s:` serves on 127.0.0.1:s.port; replies take the
    modes in turn (the last one repeats), each after `delay_s`; `s.requests` holds every
    chat request's body. Also used by benchmarks/bench_llm.py."""

    def __init__(self, modes: list[str], models: list[str] = ("test-model",), delay_s: float = 0.0) -> None:
        self.modes, self.models, self.delay_s = list(modes), list(models), delay_s   # delay_s: the model's thinking
        self.requests: list[dict] = []
        self.paths: list[str] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def _send(self, status: int, body: dict | None) -> None:
                data = json.dumps(body, ensure_ascii=False).encode("utf-8") if body is not None else b""
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                server.paths.append(self.path)
                if self.path == "/v1/models":
                    self._send(200, {"object": "list", "data": [{"id": m, "object": "model"} for m in server.models]})
                else:
                    self._send(404, {"error": "not found"})

            def do_POST(self) -> None:
                server.paths.append(self.path)
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                server.requests.append(body)
                mode = server.modes.pop(0) if len(server.modes) > 1 else server.modes[0]
                time.sleep(server.delay_s)
                status, text = _reply(mode, body)
                try:
                    self._send(status, {"choices": [{"index": 0, "message": {"role": "assistant", "content": text},
                                                     "finish_reason": "stop"}]} if status == 200 else None)
                except (BrokenPipeError, ConnectionResetError):   # the client gave up waiting: as it should
                    pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self.port = self._httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/v1"

    def __enter__(self) -> LLMServer:
        threading.Thread(target=self._httpd.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
