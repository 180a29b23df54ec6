"""Time and accuracy of `analyze` against bare faster-whisper, in one run.

    python benchmarks/bench_analyze.py [--threads 2] [--data tests/data/eval/dev] [--json OUT]

For every file of an eval set (truth.json beside the audio) it runs, on one loaded
model, the full analysis (Analyzer.analyze_file: decoding, VAD, guard, text layer,
metrics) and a bare `WhisperModel.transcribe(path, language="ja")` with faster-whisper's
defaults, alternating the order per file so neither run profits from a warm cache. It
prints per-file times and accuracy for both (the bare transcript is scored with the
same text layer: that is "plain decoding, no filler handling"), and ends with the
ratio of total analyze time to total bare time.
"""

from __future__ import annotations

import argparse
import json
import time
from collections import Counter
from pathlib import Path

from simulator.analysis.analyze import Analyzer
from simulator.lang.japanese import count_mora, find_fillers
from simulator.speech.asr import Transcriber
from simulator.speech.models import load_model

ROOT = Path(__file__).resolve().parents[1]


def filler_hits(truth: list[str], predicted: list[str]) -> int:
    t, p = Counter(truth), Counter(predicted)
    return sum(min(t[k], p[k]) for k in t)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--data", default=str(ROOT / "tests" / "data" / "eval" / "dev"))
    ap.add_argument("--model", default="base")
    ap.add_argument("--json", help="write per-file results here")
    a = ap.parse_args()

    model, info = load_model(a.model, "cpu", "default", a.threads)
    analyzer = Analyzer(Transcriber(model), info)
    truth = json.loads((Path(a.data) / "truth.json").read_text(encoding="utf-8"))
    rows = []
    for i, r in enumerate(truth):
        path = str(Path(a.data) / r["file"])

        def run_analyze():
            t = time.perf_counter()
            res = analyzer.analyze_file(path, r["question"])
            return res, time.perf_counter() - t

        def run_bare():
            t = time.perf_counter()
            segments = list(model.transcribe(path, language="ja")[0])
            return segments, time.perf_counter() - t

        if i % 2:
            (bare, t_bare), (res, t_an) = run_bare(), run_analyze()
        else:
            (res, t_an), (bare, t_bare) = run_analyze(), run_bare()

        bare_text = "".join(s.text for s in bare)
        bare_span = (bare[-1].end - bare[0].start) if bare else 0.0
        d = res.delivery
        row = {
            "file": r["file"], "audio_s": r["total_s"], "analyze_s": t_an, "bare_s": t_bare,
            "true_fillers": len(r["fillers"]),
            "ours": {"hits": filler_hits(r["fillers"], [f.canonical for f in d.fillers]),
                     "predicted": d.filler_count, "speech_err_s": d.speech_s - r["speech_s"],
                     "pace_err": d.mora_per_min / r["mora_per_min"] - 1},
            "plain": {"hits": filler_hits(r["fillers"], [f.canonical for f in find_fillers(bare_text)]),
                      "predicted": len(find_fillers(bare_text)), "speech_err_s": bare_span - r["speech_s"],
                      "pace_err": (count_mora(bare_text) / bare_span * 60 / r["mora_per_min"] - 1)
                      if bare_span else -1.0},
        }
        rows.append(row)
        o, p = row["ours"], row["plain"]
        print(f'{r["file"]}: analyze {t_an:5.2f} s, bare {t_bare:5.2f} s | fillers {o["hits"]}/{len(r["fillers"])} '
              f'(pred {o["predicted"]}) vs plain {p["hits"]} (pred {p["predicted"]}) | speech err '
              f'{o["speech_err_s"]:+.2f} vs {p["speech_err_s"]:+.2f} s | pace err {o["pace_err"]:+.1%} vs {p["pace_err"]:+.1%}',
              flush=True)

    def summary(key: str) -> str:
        hits = sum(x[key]["hits"] for x in rows)
        true = sum(x["true_fillers"] for x in rows)
        pred = sum(x[key]["predicted"] for x in rows)
        worst_span = max(abs(x[key]["speech_err_s"]) for x in rows)
        worst_pace = max(abs(x[key]["pace_err"]) for x in rows)
        return (f"{key}: filler recall {hits / true:.2f} precision {hits / max(pred, 1):.2f} ({hits}/{true}, "
                f"{pred} predicted), max speech err {worst_span:.2f} s, max pace err {worst_pace:.1%}")

    print(summary("ours"))
    print(summary("plain"))
    t_an = sum(x["analyze_s"] for x in rows)
    t_bare = sum(x["bare_s"] for x in rows)
    audio_s = sum(x["audio_s"] for x in rows)
    if a.json:
        Path(a.json).write_text(json.dumps({"model": info.to_dict(), "threads": a.threads, "files": rows},
                                           ensure_ascii=False, indent=1), encoding="utf-8")
    print(f"analyze {t_an:.1f} s ({t_an / audio_s:.2f}x real time), bare faster-whisper {t_bare:.1f} s "
          f"({t_bare / audio_s:.2f}x) on {audio_s:.0f} s of audio, {a.threads} threads")
    print(f"analyze / bare time ratio: {t_an / t_bare:.2f}")


if __name__ == "__main__":
    main()
