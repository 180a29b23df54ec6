"""End of an answer in the browser against the terminal, on the same answer files.

    python benchmarks/bench_web.py [--threads 2] [FILE …]

Each file is answered twice, in real time, to the question its truth.json names, with
a second question after it (the reverse question, or the self-introduction after a
reverse question): once through the terminal's microphone path (PortAudio stand-in
`ReplayDevice` behind `MicrophoneSource`, a speaker that notes when each sound starts),
once in headless Chromium through `mensetsu web` (the file as Chromium's fake
microphone, AudioWorklet PCM over the WebSocket; the page notes when each <audio>
starts playing). Per file and path:

  wait   the silence the end-of-turn rule waited after the answer's last sound (where
         the answer's last 3 s are found in the saved recording); cut if they are not
  first  the answer's last sound → the interviewer's first sound (the acknowledgement)
  next   the answer's last sound → the next question's first sound: where its own
         synthesised opening is found in the sounds played (it may be joined to the
         acknowledgement in one sound)

and whether both transcripts give the same fillers and content verdicts. The last line
is the median of each figure per path, the browser/terminal ratio of `next`, and the cuts.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import socket
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import Future
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import soundfile as sf

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_turns import load_audio_array, locate  # noqa: E402

from simulator.analysis.analyze import Analyzer  # noqa: E402
from simulator.practice.session import Practice  # noqa: E402
from simulator.rules import bank  # noqa: E402
from simulator.speech.asr import Transcriber  # noqa: E402
from simulator.speech.audio import SAMPLE_RATE, load_audio, speech_regions  # noqa: E402
from simulator.speech.capture import MicrophoneSource  # noqa: E402
from simulator.speech.models import load_model  # noqa: E402
from simulator.speech.replay import ReplayDevice  # noqa: E402
from simulator.speech.tts import Voice, loudest, make_engine  # noqa: E402
from simulator.store.storage import Store, session_answers  # noqa: E402

DEFAULT = [ROOT / "tests/data/eval/rendered" / n for n in
           ("r05_gyaku_conditions.flac", "r04_gyaku_good.flac", "r03_tenshoku_blame_spoken.flac",
            "r10_tansho_pauses.flac")] + [ROOT / "tests/data/eval/dev/dev06_gyaku_none.flac"]


class _Quiet:
    def asking(self, *a): pass
    def recording(self, target_s): return None
    def recorded(self, recording): pass
    def resumed(self): pass
    def reaction(self, analysis): pass
    def recovered(self, audio, analysis): pass
    def no_voice(self, recording): return "skip"


def _question(path: Path) -> str:
    truth = json.loads((path.parent / "truth.json").read_text(encoding="utf-8"))
    return next((r["qid"] for r in truth if r["file"] == path.name), "gyaku_shitsumon")


def _result(store: Store, source: Path) -> tuple[float, dict]:
    """The silence after the answer's last sound in the saved recording, and what was heard.

    The answer's last 3 s are found in the recording by their envelope (bench_turns.locate):
    a recording that does not hold them was cut; the browser's may lack its first moment
    (Chromium's fake microphone plays from the moment it opens, before the page records).
    """
    folder = sorted(store.sessions_dir.iterdir())[-1]
    answer = session_answers(json.loads((folder / "session.json").read_text(encoding="utf-8")))[0]
    recorded = load_audio(folder / answer.audio)
    spoken = load_audio(source)
    last = speech_regions(spoken)[-1].end
    ending = spoken[int((last - 3.0) * SAMPLE_RATE):int(last * SAMPLE_RATE)]
    at, score = locate(ending, recorded)
    wait = len(recorded) / SAMPLE_RATE - (at + 3.0)
    return wait, {"cut": score < 0.8, "turn": answer.recording.turn,
                  "fillers": [f.canonical for f in answer.analysis.delivery.fillers],
                  "issues": answer.analysis.content.issue_ids, "transcript": answer.analysis.transcript.text}


def _next(qid: str) -> str:
    return "jikoshokai" if qid == "gyaku_shitsumon" else "gyaku_shitsumon"


def _opening(qid: str) -> np.ndarray:
    """The first second of question `qid` as the interviewer says it, at 16 kHz."""
    from simulator.speech.tts import OpenJTalkEngine, trim_silence

    samples, rate = OpenJTalkEngine().synthesize(bank.questions()[qid].text)
    return load_audio_array(trim_silence(samples, rate)[:rate], rate)


def _question_in(sounds: list[tuple[float, np.ndarray]], opening: np.ndarray) -> float | None:
    """When the question that opens with `opening` starts: (start time, 16 kHz samples) of
    each sound played, the question alone or after an acknowledgement in the same sound."""
    for started, samples in sounds:
        padded = np.concatenate([samples, np.zeros(len(opening), np.float32)])
        at, score = locate(opening, padded)
        if score >= 0.8:
            return started + at
    return None


class _NotingSpeaker:
    """A speaker that notes each sound and when it starts (time.monotonic()), and takes as long as it lasts.

    Its sounds report the level they are played at, as a real output's do: the echo gate
    then learns the room (here, headphones: the microphone hears none of it), as it does
    in the browser, so both paths reply by the same rule."""

    def __init__(self) -> None:
        self.sounds: list[tuple[float, np.ndarray]] = []

    def start(self, samples: np.ndarray, rate: int):
        """The sound lasts its length, or until it is stopped."""
        self.sounds.append((time.monotonic(), load_audio_array(samples, rate)))
        until = [self.sounds[-1][0] + len(samples) / rate]
        return SimpleNamespace(length_s=len(samples) / rate, level=loudest(samples, rate),
                               active=lambda: time.monotonic() < until[0], stop=lambda: until.__setitem__(0, 0.0))


class _Stop(_Quiet):
    """Ends the session once the second question is being answered."""

    def __init__(self) -> None:
        self.asked = 0

    def asking(self, *a):
        self.asked += 1

    def recording(self, target_s):
        if self.asked >= 2:
            raise KeyboardInterrupt
        return None


def terminal(analyzer: Analyzer, path: Path, qid: str, data: Path) -> tuple[float, dict]:
    device = ReplayDevice()
    spoken = load_audio(path)
    device.load(np.concatenate([spoken, np.zeros(10 * SAMPLE_RATE, np.float32)]))
    store = Store(data)
    mic = MicrophoneSource(None, backend=device, stop=lambda: False)
    speaker, ui = _NotingSpeaker(), _Stop()
    voice = Voice(make_engine("openjtalk"), speaker)
    Practice(store, voice, mic, lambda: analyzer, ui, max_followups=0).run(
        [bank.questions()[qid], bank.questions()[_next(qid)]], {"track": "shinsotsu"})
    wait, r = _result(store, path)
    spoken_end = device.started_at + speech_regions(spoken)[-1].end
    after = [(t, samples) for t, samples in speaker.sounds if t > spoken_end]
    nxt = _question_in(after, _opening(_next(qid)))
    return wait, {**r, "first": after[0][0] - spoken_end if after else None,
                  "next": None if nxt is None else nxt - spoken_end}


def browser(analyzer: Analyzer, path: Path, qid: str, data: Path, wav: Path) -> tuple[float, dict]:
    import uvicorn
    from playwright.sync_api import sync_playwright

    from simulator.web import live
    from simulator.web.app import create_app

    sf.write(wav, load_audio(path), SAMPLE_RATE, subtype="PCM_16")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    ready: Future = Future()
    ready.set_result(analyzer)
    store = Store(data)
    app = create_app(store, "bench", port, ready, make_engine("openjtalk"), max_followups=0)
    sent: dict[str, np.ndarray] = {}   # clip → what it says, at 16 kHz
    send = live.PageSpeaker._send

    def noting(speaker, samples: np.ndarray, rate: int) -> str:
        clip = send(speaker, samples, rate)
        sent[clip] = load_audio_array(samples, rate)
        return clip

    live.PageSpeaker._send = noting
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=lambda: asyncio.run(server.serve()), daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    try:
        with sync_playwright() as p:
            b = p.chromium.launch(executable_path=shutil.which("chromium"), args=[
                "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run",
                "--autoplay-policy=no-user-gesture-required", "--use-fake-ui-for-media-stream",
                "--use-fake-device-for-media-stream", f"--use-file-for-fake-audio-capture={wav}%noloop"])
            page = b.new_page()
            page.add_init_script(_NOTE_TIMES)
            page.goto(f"http://127.0.0.1:{port}/?token=bench")
            page.evaluate(f"window.benchIds = ['{qid}', '{_next(qid)}']")
            page.click("#start")
            # the second question is asked: its sound has started once it is being answered
            page.wait_for_function("window.benchAsked >= 2 && window.benchMics.length >= 3", timeout=180000)
            page.click("#quit")
            page.wait_for_selector("#done:not([hidden])", timeout=180000)
            times = page.evaluate("({mics: window.benchMics, sounds: window.benchSounds, asked: window.benchAskedAt})")
            b.close()
    finally:
        server.should_exit = True
        thread.join(10)
        live.PageSpeaker._send = send
    wait, r = _result(store, path)
    # the answer's microphone opened at mics[1] (mics[0] is the page's permission check);
    # Chromium's fake microphone plays the file from the moment it opens (page clock, ms)
    spoken_end = times["mics"][1] + speech_regions(load_audio(path))[-1].end * 1000
    after = [(t / 1000, sent[clip]) for t, clip in times["sounds"] if t > spoken_end and clip in sent]
    nxt = _question_in(after, _opening(_next(qid)))
    return wait, {**r, "first": (after[0][0] - spoken_end / 1000) if after else None,
                  "next": None if nxt is None else nxt - spoken_end / 1000}


# Notes, in the page's clock, when each microphone opens, each <audio> starts playing and
# each question is asked; and sends the plan's two question ids with the start message.
_NOTE_TIMES = """
window.benchMics = []; window.benchSounds = []; window.benchAskedAt = []; window.benchAsked = 0;
const gum = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
navigator.mediaDevices.getUserMedia = async (c) => { const s = await gum(c); window.benchMics.push(performance.now()); return s; };
const play = HTMLMediaElement.prototype.play;
HTMLMediaElement.prototype.play = function () {
  const clip = decodeURIComponent(this.src.split("/clips/")[1] || "");
  this.addEventListener("playing", () => window.benchSounds.push([performance.now(), clip]), { once: true });
  return play.call(this);
};
const Real = window.WebSocket;
window.WebSocket = function (url) {
  const ws = new Real(url);
  const send = ws.send.bind(ws);
  ws.send = (data) => {
    if (typeof data === "string" && data.includes('"start"') && window.benchIds) {
      const m = JSON.parse(data); m.ids = window.benchIds; data = JSON.stringify(m);
    }
    send(data);
  };
  ws.addEventListener("message", (e) => {
    const m = JSON.parse(e.data);
    if (m.type === "asking") { window.benchAsked += 1; window.benchAskedAt.push(performance.now()); }
  });
  return ws;
};
window.WebSocket.OPEN = Real.OPEN;
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("files", nargs="*", type=Path, default=DEFAULT)
    a = ap.parse_args()
    model, info = load_model("base", "cpu", "default", a.threads)
    analyzer = Analyzer(Transcriber(model), info)
    figures = {path: {"wait": [], "first": [], "next": []} for path in ("terminal", "browser")}
    cuts = {"terminal": 0, "browser": 0}

    def shown(value: float | None) -> str:
        return "—" if value is None else f"{value:.2f} s"

    with tempfile.TemporaryDirectory() as tmp:
        for n, path in enumerate(a.files):
            qid = _question(path)
            results = {"terminal": terminal(analyzer, path, qid, Path(tmp) / f"t{n}"),
                       "browser": browser(analyzer, path, qid, Path(tmp) / f"b{n}", Path(tmp) / f"mic{n}.wav")}
            for name, (wait, r) in results.items():
                figures[name]["wait"].append(wait)
                for key in ("first", "next"):
                    if r[key] is not None:
                        figures[name][key].append(r[key])
                cuts[name] += r["cut"]
            (_, t), (_, w) = results["terminal"], results["browser"]
            same = t["fillers"] == w["fillers"] and t["issues"] == w["issues"]
            print(f"{path.name}: " + " | ".join(
                f"{name} wait {wait:.2f} s{' (cut)' if r['cut'] else ''}, first {shown(r['first'])}, next {shown(r['next'])}"
                for name, (wait, r) in results.items())
                + f" | fillers and verdicts {'the same' if same else 'differ'}", flush=True)
            for name, (_, r) in results.items():
                turn = r["turn"] or {}
                print(f"    {name}: ended {turn.get('state')} "
                      f"(P {turn.get('probability')}, wait {turn.get('wait_s')} s) on 「{turn.get('ending')}」")

    def median(name: str, key: str) -> float:
        values = figures[name][key]
        return statistics.median(values) if values else float("nan")

    print("medians: " + "; ".join(
        f"{name} wait {median(name, 'wait'):.2f} s, first sound {median(name, 'first'):.2f} s, "
        f"next question {median(name, 'next'):.2f} s" for name in figures)
        + f"; next-question ratio browser/terminal {median('browser', 'next') / max(median('terminal', 'next'), 0.01):.2f}"
        + f"; cut: terminal {cuts['terminal']}/{len(a.files)}, browser {cuts['browser']}/{len(a.files)}")


if __name__ == "__main__":
    main()
