"""End of an answer in the browser against the terminal, on the same answer files.

    python benchmarks/bench_web.py [--threads 2] [FILE …]

Each file is answered twice, in real time, to the question its truth.json names (the
reverse question by default): once through the terminal's microphone path (PortAudio
stand-in `ReplayDevice` behind `MicrophoneSource`), once in headless Chromium through
`mensetsu web` (the file as Chromium's fake microphone, AudioWorklet PCM over the
WebSocket). Per file and path: the silence the end-of-turn rule waited after the
answer's last sound (where the answer's last 3 s are found in the saved recording),
whether the recording holds them (else it was cut), and whether both transcripts give
the same fillers and content verdicts. The last line is the median wait of each path,
their ratio, and the cuts.
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

import numpy as np
import soundfile as sf

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_turns import locate  # noqa: E402
from simulator import bank  # noqa: E402
from simulator.analyze import Analyzer  # noqa: E402
from simulator.asr import Transcriber  # noqa: E402
from simulator.audio import SAMPLE_RATE, load_audio, speech_regions  # noqa: E402
from simulator.capture import MicrophoneSource  # noqa: E402
from simulator.models import load_model  # noqa: E402
from simulator.replay import ReplayDevice  # noqa: E402
from simulator.session import Practice  # noqa: E402
from simulator.storage import Store, session_answers  # noqa: E402
from simulator.tts import SilentEngine, Voice, make_engine  # noqa: E402

DEFAULT = [ROOT / "tests/data/eval/rendered" / n for n in
           ("r05_gyaku_conditions.flac", "r04_gyaku_good.flac", "r03_tenshoku_blame_spoken.flac",
            "r10_tansho_pauses.flac")] + [ROOT / "tests/data/eval/dev/dev06_gyaku_none.flac"]


class _Quiet:
    def asking(self, *a): pass
    def recording(self, target_s): return None
    def recorded(self, recording): pass
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
    [answer] = session_answers(json.loads((folder / "session.json").read_text(encoding="utf-8")))
    recorded = load_audio(folder / answer.audio)
    spoken = load_audio(source)
    last = speech_regions(spoken)[-1].end
    ending = spoken[int((last - 3.0) * SAMPLE_RATE):int(last * SAMPLE_RATE)]
    at, score = locate(ending, recorded)
    wait = len(recorded) / SAMPLE_RATE - (at + 3.0)
    return wait, {"cut": score < 0.8, "turn": answer.recording.turn,
                  "fillers": [f.canonical for f in answer.analysis.delivery.fillers],
                  "issues": answer.analysis.content.issue_ids, "transcript": answer.analysis.transcript.text}


def terminal(analyzer: Analyzer, path: Path, qid: str, data: Path) -> tuple[float, dict]:
    device = ReplayDevice()
    device.load(np.concatenate([load_audio(path), np.zeros(10 * SAMPLE_RATE, np.float32)]))
    store = Store(data)
    mic = MicrophoneSource(None, backend=device, stop=lambda: False)
    Practice(store, Voice(SilentEngine(), None), mic, lambda: analyzer, _Quiet(), max_followups=0).run(
        [bank.questions()[qid]], {"track": "shinsotsu"})
    return _result(store, path)


def browser(analyzer: Analyzer, path: Path, qid: str, data: Path, wav: Path) -> tuple[float, dict]:
    import uvicorn
    from playwright.sync_api import sync_playwright

    from simulator.web.app import create_app

    sf.write(wav, load_audio(path), SAMPLE_RATE, subtype="PCM_16")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    ready: Future = Future()
    ready.set_result(analyzer)
    store = Store(data)
    app = create_app(store, "bench", port, ready, make_engine("openjtalk"), max_followups=0)
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
            page.goto(f"http://127.0.0.1:{port}/?question={qid}&token=bench")
            page.click("#start")
            page.wait_for_selector("#done:not([hidden])", timeout=180000)
            b.close()
    finally:
        server.should_exit = True
        thread.join(10)
    return _result(store, path)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("files", nargs="*", type=Path, default=DEFAULT)
    a = ap.parse_args()
    model, info = load_model("base", "cpu", "default", a.threads)
    analyzer = Analyzer(Transcriber(model), info)
    waits: dict[str, list[float]] = {"terminal": [], "browser": []}
    cuts = {"terminal": 0, "browser": 0}
    with tempfile.TemporaryDirectory() as tmp:
        for n, path in enumerate(a.files):
            qid = _question(path)
            t_wait, t = terminal(analyzer, path, qid, Path(tmp) / f"t{n}")
            b_wait, w = browser(analyzer, path, qid, Path(tmp) / f"b{n}", Path(tmp) / f"mic{n}.wav")
            waits["terminal"].append(t_wait)
            waits["browser"].append(b_wait)
            cuts["terminal"] += t["cut"]
            cuts["browser"] += w["cut"]
            same = t["fillers"] == w["fillers"] and t["issues"] == w["issues"]
            cut = lambda r: " (cut)" if r["cut"] else ""  # noqa: E731
            print(f"{path.name}: terminal {t_wait:.2f} s{cut(t)}, browser {b_wait:.2f} s{cut(w)} after the last sound | "
                  f"fillers and verdicts {'the same' if same else 'differ'} "
                  f"(terminal {t['fillers']} {t['issues']}, browser {w['fillers']} {w['issues']})", flush=True)
            for name, r in (("terminal", t), ("browser", w)):
                turn = r["turn"] or {}
                print(f"    {name}: ended {turn.get('state')} "
                      f"(P {turn.get('probability')}, wait {turn.get('wait_s')} s) on 「{turn.get('ending')}」")
    tm, bm = statistics.median(waits["terminal"]), statistics.median(waits["browser"])
    print(f"median end-of-answer wait: terminal {tm:.2f} s, browser {bm:.2f} s, ratio {bm / max(tm, 0.01):.2f}; "
          f"cut: terminal {cuts['terminal']}/{len(a.files)}, browser {cuts['browser']}/{len(a.files)}")


if __name__ == "__main__":
    main()
