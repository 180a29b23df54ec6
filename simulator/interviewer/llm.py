"""The optional language-model interviewer: a model the user runs words the next follow-up.

The rules stay in charge (dig.py): they decide whether to dig at all, which rungs of
the ladder are still open and when the story gave way. The model only picks one of
the open rungs and words the question from the candidate's own words, through any
OpenAI-compatible chat endpoint (Ollama, llama.cpp's server, LM Studio).

Three promises hold whatever the model does:
- Only text is sent — the questions and the transcripts — never audio, and only to a
  server on this machine unless the user names another host (`allow_remote`).
- The interview never waits on it: requests are sent while the answer is still being
  spoken, and a reply not in `reply_within_s` after the answer ends is dropped.
- A reply that is not JSON, names a rung that is not open, refuses, or is not a
  Japanese question of a sayable length is dropped. Every drop asks the rules' own
  follow-up instead, and is counted (`Interviewer.tally`) so the user can see it.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import re
import socket
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Callable

from simulator.errors import MensetsuError
from simulator.interviewer import dig
from simulator.interviewer.followup import FollowUp
from simulator.rules.bank import PromptsError, load, prompt_line

log = logging.getLogger(__name__)


class EndpointError(MensetsuError):
    """The language-model endpoint cannot be used; the message is for the user."""


@dataclass(frozen=True)
class LLMRules:
    url: str
    reply_within_s: float
    connect_timeout_s: float
    max_tokens: int
    temperature: float
    min_chars: int
    max_chars: int
    refusals: tuple[re.Pattern, ...]
    reason: str
    press_note: str
    system: str
    user: str


@lru_cache(maxsize=None)
def rules(folder: str | None = None) -> LLMRules:
    """prompts/llm.toml (or `folder`'s), checked once with file:line errors."""
    data = load("llm", folder)
    if "llm" not in data:
        raise PromptsError(f"{prompt_line('llm', '[llm]', folder)}: [llm] がありません")
    s = data["llm"]
    fields = {"url": str, "reply_within_s": float, "connect_timeout_s": float, "max_tokens": int,
              "temperature": float, "min_chars": int, "max_chars": int, "reason": str, "press_note": str,
              "system": str, "user": str}
    values = {}
    for key, kind in fields.items():
        if key not in s:
            raise PromptsError(f"{prompt_line('llm', '[llm]', folder)}: {key} がありません")
        try:
            values[key] = kind(s[key])
        except (TypeError, ValueError):
            raise PromptsError(f"{prompt_line('llm', key, folder)}: {key} の値が不正です") from None
    try:
        values["refusals"] = tuple(re.compile(p) for p in s.get("refusals", []))
    except re.error as e:
        raise PromptsError(f"{prompt_line('llm', 'refusals', folder)}: 正規表現が不正です: {e}") from None
    for key, slots in (("user", ("type", "main", "turns", "rungs", "proposal")), ("reason", ("reason",))):
        try:
            values[key].format(**{k: "" for k in slots})
        except (KeyError, IndexError, ValueError) as e:
            raise PromptsError(f"{prompt_line('llm', key, folder)}: {key} の {{…}} が不正です（使えるのは "
                               f"{', '.join(slots)}）: {e}") from None
    return LLMRules(**values)


# --- the endpoint ------------------------------------------------------------------------

def _is_loopback(host: str) -> bool:
    """Whether every address `host` names is this machine (a name is resolved, so a
    name that points elsewhere is not taken for local)."""
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, None)
    except OSError:
        return False
    return bool(infos) and all(ipaddress.ip_address(i[4][0].split("%")[0]).is_loopback for i in infos)


def chat_url(url: str, allow_remote: bool = False) -> str:
    """The chat-completions address for `url` (a server's base, its /v1, or the full
    address), refusing a host other than this machine unless `allow_remote`."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise EndpointError(f"--llm-url は http://127.0.0.1:11434/v1 のようなアドレスで指定してください（指定: {url}）")
    if not allow_remote and not _is_loopback(parts.hostname):
        raise EndpointError(f"--llm-url の {parts.hostname} はこのパソコンではありません。回答の文字起こしが外へ送られるため、"
                            "使うときは --llm-allow-remote を付けてください")
    path = parts.path.rstrip("/")
    if not path.endswith("/chat/completions"):
        path = (path or "/v1") + "/chat/completions"
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, path, "", ""))


class Client:
    """A minimal OpenAI-compatible chat client. Proxies are ignored: a loopback server is
    reached directly, and a transcript is never handed to a proxy the user did not name."""

    def __init__(self, url: str, model: str | None = None, allow_remote: bool = False) -> None:
        self.url = chat_url(url, allow_remote)
        self.model = model
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def _call(self, url: str, body: dict | None, timeout: float) -> dict:
        data = json.dumps(body, ensure_ascii=False).encode("utf-8") if body is not None else None
        req = urllib.request.Request(url, data, {"Content-Type": "application/json"} if data else {})
        with self._opener.open(req, timeout=timeout) as resp:
            return json.loads(resp.read().decode("utf-8"))

    def connect(self, timeout: float) -> str:
        """Check the server is there and settle the model: the one named, else the first it serves."""
        base = self.url.removesuffix("/chat/completions")
        try:
            listed = self._call(base + "/models", None, timeout)
        except (OSError, ValueError) as e:   # refused, timed out, HTTP error, not JSON
            if self.model and isinstance(e, urllib.error.HTTPError):
                return self.model   # some servers list no models; the chat call will tell
            raise EndpointError(f"言語モデルのサーバー（{base}）に接続できません: {_why(e)}") from None
        ids = [m.get("id") for m in listed.get("data", []) if isinstance(m, dict) and m.get("id")] \
            if isinstance(listed, dict) else []
        if not self.model:
            if not ids:
                raise EndpointError(f"言語モデルのサーバー（{base}）にモデルがありません。--llm-model で名前を指定してください")
            self.model = ids[0]
        return self.model

    def complete(self, messages: list[dict], max_tokens: int, temperature: float, timeout: float) -> str:
        """The reply's text (raises OSError or ValueError when there is none)."""
        body = {"model": self.model or "", "messages": messages, "max_tokens": max_tokens,
                "temperature": temperature, "stream": False}
        reply = self._call(self.url, body, timeout)
        try:
            return str(reply["choices"][0]["message"]["content"])
        except (KeyError, IndexError, TypeError):
            raise ValueError("no choices[0].message.content") from None


def _why(e: BaseException) -> str:
    if isinstance(e, urllib.error.HTTPError):
        return f"HTTP {e.code}"
    if isinstance(e, urllib.error.URLError):
        return str(e.reason)
    return str(e) or type(e).__name__


# --- the interviewer -------------------------------------------------------------------

_KANA = re.compile(r"[ぁ-んァ-ヶ]")
_LATIN = re.compile(r"[A-Za-z]")


@dataclass(frozen=True)
class _Ask:
    """One request: what was asked of the model, about which topic, with which rungs open."""

    topic: dig.Topic
    proposal: FollowUp
    open: tuple[str, ...]   # rung ids the model may choose, the rules' choice first
    messages: tuple[dict, ...]


class Interviewer:
    """Words the rules' next follow-up with the model, within the time a person would take."""

    def __init__(self, client: Client, r: LLMRules | None = None) -> None:
        self.client, self.r = client, r or rules()
        self._lock = threading.Lock()
        self._latest: tuple[_Ask, Future] | None = None   # the last request sent while an answer was spoken
        self._replied: tuple[_Ask, str] | None = None      # the last reply back from one of those
        self._waiting: tuple[_Ask, Callable] | None = None  # a newer one, sent when that one is back
        self.tally: Counter[str] = Counter()               # "llm", or why the rules' own question was asked

    # The rules' follow-up, for a topic whose last turn is the answer (or the answer so far).
    def _ask(self, topic: dig.Topic, proposal: FollowUp) -> _Ask | None:
        rung = proposal.question.trigger
        if not proposal.question.id.startswith(("dig_", "press_")) or rung not in dig.rules().rungs:
            return None   # a contradiction or a stock probe: worded by the rules, never by the model
        pressed = proposal.question.id.startswith("press_")
        spec = dig.rules().rungs
        if pressed:
            open_ = (rung,)
        else:
            todo = [s.id for s in dig.remaining(topic)]
            open_ = (rung, *(i for i in todo if i != rung))
        turns = []
        for n, t in enumerate(topic.turns):
            turns.append(f"面接官: {t.asked if n else topic.main.text}")
            turns.append(f"候補者: {t.text}")
        rungs = "\n".join(f"- id: {i} / {spec[i].label}（例: {spec[i].question}）" for i in open_)
        if pressed:
            rungs += "\n" + self.r.press_note
        user = self.r.user.format(type=topic.main.intent or topic.main.type, main=topic.main.text,
                                  turns="\n".join(turns), rungs=rungs, proposal=proposal.question.text)
        return _Ask(topic, proposal, open_, ({"role": "system", "content": self.r.system},
                                             {"role": "user", "content": user}))

    def _send(self, ask: _Ask, timeout: float) -> Future:
        """The reply to `ask`, on a daemon thread: a server that hangs never holds up the
        interview, nor the program's exit (a pool's threads are joined at exit)."""
        future: Future = Future()

        def work() -> None:
            try:
                future.set_result(self.client.complete(list(ask.messages), self.r.max_tokens, self.r.temperature,
                                                       timeout))
            except BaseException as e:   # handed to whoever waits on the reply
                future.set_exception(e)

        future.set_running_or_notify_cancel()
        threading.Thread(target=work, name="llm", daemon=True).start()
        return future

    def foresee(self, topic: dig.Topic, proposal: FollowUp, prepare: Callable[[str], None]) -> None:
        """While the answer is spoken: ask about the answer so far, one request at a time
        (the newest waits for the one in flight, older waiting ones are dropped), and
        `prepare` (synthesise) the question the reply holds, so it can be played at once."""
        ask = self._ask(topic, proposal)
        if ask is None:
            return
        with self._lock:
            if self._latest is not None and not self._latest[1].done():
                self._waiting = (ask, prepare)
                return
            self._start(ask, prepare)

    def _start(self, ask: _Ask, prepare: Callable[[str], None]) -> None:
        # a foreseen reply is wanted soon or not at all: no longer than the whole budget of a turn
        future = self._send(ask, timeout=max(self.r.reply_within_s * 10, 5.0))
        self._latest = (ask, future)
        future.add_done_callback(lambda f: self._back(f, ask, prepare))

    def _back(self, future: Future, ask: _Ask, prepare: Callable[[str], None]) -> None:
        if future.exception() is None and (fu := self._read(future.result(), ask)):
            with self._lock:
                self._replied = (ask, future.result())
            try:
                prepare(fu.question.text)
            except Exception:   # a head start only: the question is voiced when asked anyway
                log.debug("preparing the model's question failed", exc_info=True)
        with self._lock:
            waiting, self._waiting = self._waiting, None
            if waiting is not None:
                self._start(*waiting)

    def word(self, topic: dig.Topic, proposal: FollowUp, ended_at: float) -> FollowUp:
        """`proposal` in the model's words, or `proposal` itself when the model's reply is not
        in by `ended_at` + reply_within_s (time.monotonic()) or is not a question to ask.
        A reply to the answer so far is used when it fits the whole answer; else, while
        there is time, the whole answer is sent."""
        ask = self._ask(topic, proposal)
        if ask is None:
            return proposal
        deadline = ended_at + self.r.reply_within_s
        with self._lock:
            self._waiting = None
            latest, replied = self._latest, self._replied
            self._latest = self._replied = None   # what was foreseen is for this answer only
        why = None
        if latest is not None and _same_turn(latest[0], ask):
            # the newest request if its reply is in time, else the newest reply already back
            got = self._reply(latest[1], ask, deadline)
            if got == "late" and replied is not None and _same_turn(replied[0], ask):
                got = self._read(replied[1], ask) or "late"
                if isinstance(got, FollowUp):
                    self.tally["llm"] += 1
            if isinstance(got, FollowUp):
                return got
            why = got
        left = deadline - time.monotonic()
        if why != "late" and left > 0.05:
            got = self._reply(self._send(ask, timeout=left), ask, deadline)
            if isinstance(got, FollowUp):
                return got
            why = got
        self.tally[why or "late"] += 1
        return proposal

    def _reply(self, future: Future, ask: _Ask, deadline: float) -> FollowUp | str:
        """The follow-up in `future`'s reply by `deadline`, else why not: late, error, invalid."""
        try:
            text = future.result(timeout=max(deadline - time.monotonic(), 0.0))
        except FutureTimeout:
            return "late"
        except (OSError, ValueError) as e:
            log.info("language model failed: %s", _why(e))
            return "error"
        chosen = self._read(text, ask)
        if chosen is None:
            return "invalid"
        self.tally["llm"] += 1
        return chosen

    def _read(self, text: str, ask: _Ask) -> FollowUp | None:
        """The follow-up in the model's reply, or None when it is not one to ask."""
        found = re.search(r"\{.*\}", text, re.S)
        try:
            reply = json.loads(found.group(0)) if found else None
        except ValueError:
            reply = None
        if not isinstance(reply, dict) or not isinstance(reply.get("question"), str):
            log.info("language model reply is not the JSON asked for: %.80r", text)
            return None
        rung, question = str(reply.get("rung", "")), " ".join(reply["question"].split()).strip("「」\"")
        if rung not in ask.open or not self._sayable(question):
            log.info("language model reply dropped (rung %r): %.80r", rung, question)
            return None
        if question[-1] not in "。？?":
            question += "。"
        r = dig.rules()
        spec = r.rungs[rung]
        pressed = ask.proposal.question.id.startswith("press_")
        why = (ask.proposal.reason if rung == ask.open[0]
               else r.reason_rung.format(rung=spec.label))
        fu = dig.followup(spec, question, self.r.reason.format(reason=why), r, pressed=pressed)
        return replace(fu, trigger=f"{fu.trigger}:llm")

    def _sayable(self, q: str) -> bool:
        """A Japanese question of a sayable length that does not refuse or talk about itself."""
        return (self.r.min_chars <= len(q) <= self.r.max_chars and bool(_KANA.search(q))
                and len(_LATIN.findall(q)) <= len(q) // 10
                and not any(p.search(q) for p in self.r.refusals))

    def summary(self) -> dict:
        return {"kind": "llm", "url": self.client.url, "model": self.client.model, **dict(self.tally)}

    def close(self) -> None:
        """Send nothing more: a request still waiting to go is dropped (one in flight ends on its own)."""
        with self._lock:
            self._waiting = None


def _same_turn(foreseen: _Ask, now: _Ask) -> bool:
    """Whether a request sent while the answer was spoken can stand for the whole answer:
    the same earlier turns and most of the answer already heard (its reply must still
    name a rung open now)."""
    before, after = foreseen.topic.turns, now.topic.turns
    if len(before) != len(after) or before[:-1] != after[:-1]:
        return False
    return len(before[-1].text) >= 0.8 * len(after[-1].text)
