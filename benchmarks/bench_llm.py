"""The language-model interviewer in real time: is its follow-up asked within 1.2 s?

    python benchmarks/bench_llm.py [--delays 0.3,1.5,4] [--threads 2]

For each delay, a local server that speaks the chat-completions protocol
(tests/llm_server.py) replies after that many seconds, as a model on this machine
would. An interview of three main questions is practised through the microphone path in real
time (replay.ReplayDevice into MicrophoneSource, the answer ending when its clip
does), each main answer one with claims to dig into, and one follow-up each. The requests are sent while each
answer is spoken; a reply not in 0.9 s after the answer ends is dropped for the
rules' follow-up. Per delay it prints the follow-ups asked, how many were in the
model's words, and the gap from the answer's end to the next question (median, max)
with its ratio to the 1.2 s goal.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from support.llm_server import LLMServer  # noqa: E402

from simulator.analysis.analyze import Analyzer  # noqa: E402
from simulator.interviewer import llm  # noqa: E402
from simulator.practice.session import Practice  # noqa: E402
from simulator.rules import bank
from simulator.speech.asr import Transcriber  # noqa: E402
from simulator.speech.audio import SAMPLE_RATE, load_audio  # noqa: E402
from simulator.speech.capture import MicrophoneSource  # noqa: E402
from simulator.speech.models import load_model  # noqa: E402
from simulator.speech.replay import ReplayDevice  # noqa: E402
from simulator.speech.tts import SilentEngine, Voice  # noqa: E402
from simulator.store.storage import Store  # noqa: E402

EVAL = ROOT / "tests" / "data" / "eval"
# main answers with claims to dig into; each follow-up is answered with a short clip
MAIN = {"jiko_pr": "dev/dev03_jikopr_numbers.flac", "gakuchika": "dev/dev05_gakuchika_star.flac",
        "jisseki": "rendered/r11_jisseki_fillers_after_numbers.flac"}
FOLLOWUP = ("rendered/r09_team_role.flac", 8.0)   # its first 8 s
GOAL_S = 1.2


class TimedUI:
    """Plays each question's clip and notes when answers end and follow-ups are asked."""

    def __init__(self, device: ReplayDevice, clips: dict, followup) -> None:
        self.device, self.clips, self.followup = device, clips, followup
        self.ended: float | None = None
        self.gaps: list[float] = []

    def asking(self, question, main, reason) -> None:
        if question.type == "followup":
            self.gaps.append(time.monotonic() - self.ended)
        self.device.load(self.clips.get(question.id, self.followup))

    def recording(self, target_s):
        return None

    def recorded(self, recording) -> None:
        self.ended = time.monotonic()

    def resumed(self) -> None:
        pass

    def reaction(self, analysis) -> None:
        pass

    def recovered(self, audio, analysis) -> None:
        pass

    def no_voice(self, recording) -> str:
        return "skip"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--delays", default="0.3,1.5,4", help="the model's reply times to try, in seconds")
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    model, info = load_model("base", "cpu", "default", a.threads)
    analyzer = Analyzer(Transcriber(model), info)
    clips = {qid: load_audio(EVAL / c) for qid, c in MAIN.items()}
    followup = load_audio(EVAL / FOLLOWUP[0])[:int(FOLLOWUP[1] * SAMPLE_RATE)]
    print(f"model {info.name} on {info.device}; budget {llm.rules().reply_within_s} s for the reply, goal {GOAL_S} s")
    plan = [bank.questions()[qid] for qid in MAIN]
    for delay in [float(d) for d in a.delays.split(",")]:
        device = ReplayDevice()
        ui = TimedUI(device, clips, followup)
        with LLMServer(["good"], delay_s=delay) as server, tempfile.TemporaryDirectory() as tmp:
            client = llm.Client(server.url)
            client.connect(2.0)
            interviewer = llm.Interviewer(client)
            mic = MicrophoneSource(None, backend=device, stop=device.finished)
            practice = Practice(Store(Path(tmp)), Voice(SilentEngine(), None), mic, lambda: analyzer, ui,
                                max_followups=1, interviewer=interviewer)
            practice.run(plan, {"track": "tenshoku"})
        t = interviewer.tally
        asked = len(ui.gaps)
        gaps = ui.gaps or [0.0]
        print(f"delay {delay:.1f} s: follow-ups {asked}, model's words {t['llm']}/{asked}, "
              f"late {t['late']}, invalid {t['invalid']}, error {t['error']}; "
              f"answer end → next question median {statistics.median(gaps):.2f} s, max {max(gaps):.2f} s "
              f"(max / goal {max(gaps) / GOAL_S:.2f})", flush=True)


if __name__ == "__main__":
    main()
