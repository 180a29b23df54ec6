"""Latency of feedback after an answer, replayed in real time through the microphone path.

    python benchmarks/bench_latency.py [--threads 2] [--json OUT] [FILE ...]

Each file (default: the dev eval set) is played by replay.ReplayDevice into
MicrophoneSource at 48 kHz, block by block on the clock, exactly as a microphone
delivers it, while StreamingTranscriber transcribes it; the answer ends when the file
does (the user pressing Enter). On the same loaded model, in the same run, it then
times the whole-file analysis (`mensetsu analyze`) and a bare faster-whisper
transcription with its defaults. Per file it prints:

  latency  end of speech (last speech in the answer, on the replay clock) → analysis
           ready; this includes the silence the file has after its last word
  stop     recording stopped → analysis ready
  whole    Analyzer.analyze_file on the same file
  bare     WhisperModel.transcribe(file, language="ja"), segments consumed

and, where truth.json lies beside the file, filler recall/precision and speech-duration
error of the streamed and of the whole-file analysis. Peak memory is the process's
maximum resident set. The last line is the median over answers of 40-70 s (over all
files when none is that long).
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from simulator.analysis.analyze import Analyzer
from simulator.speech.asr import Transcriber
from simulator.speech.audio import load_audio
from simulator.speech.capture import MicrophoneSource
from simulator.speech.models import load_model
from simulator.speech.replay import ReplayDevice
from simulator.speech.streaming import StreamingTranscriber

ROOT = Path(__file__).resolve().parents[1]
DEV = ROOT / "tests" / "data" / "eval" / "dev"


def truth_for(path: Path) -> dict | None:
    f = path.parent / "truth.json"
    if not f.exists():
        return None
    return next((r for r in json.loads(f.read_text(encoding="utf-8")) if r["file"] == path.name), None)


def accuracy(analysis, truth: dict | None) -> dict | None:
    if truth is None:
        return None
    d = analysis.delivery
    t, p = Counter(truth["fillers"]), Counter(f.canonical for f in d.fillers)
    return {"true": len(truth["fillers"]), "predicted": d.filler_count, "hits": sum(min(t[k], p[k]) for k in t),
            "speech_err_s": d.speech_s - truth["speech_s"]}


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("files", nargs="*", type=Path, metavar="FILE")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--model", default="base")
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--json", help="write per-file results and the summary here")
    a = ap.parse_args()
    files = a.files or sorted(p for p in DEV.iterdir() if p.suffix in (".flac", ".wav"))
    if not files:
        sys.exit(f"no audio files (the dev set is expected at {DEV})")

    model, info = load_model(a.model, a.device, "default", a.threads)
    transcriber = Transcriber(model)
    analyzer = Analyzer(transcriber, info)
    print(f"model {info.name} on {info.device} ({info.compute_type}), {a.threads} threads; "
          f"peak RSS after load {peak_rss_mb():.0f} MB", flush=True)
    replay = ReplayDevice()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for i, path in enumerate(files):
            truth = truth_for(path)
            question = truth["question"] if truth else None
            samples = load_audio(path)
            replay.load(samples)
            mic = MicrophoneSource(None, silence_s=600.0, backend=replay, stop=replay.finished, cap_s=600.0)
            stream = StreamingTranscriber(lambda: transcriber, question)
            recording = mic.record(Path(tmp) / f"{i}.wav", 60.0, on_audio=stream.feed)
            stopped = time.monotonic()
            live = analyzer.analyze_samples(recording.samples, question, streamed=stream)
            ready = time.monotonic()
            speech_end = live.delivery.speech_end_s

            def whole():
                t = time.perf_counter()
                res = analyzer.analyze_file(path, question)
                return res, time.perf_counter() - t

            def bare():
                t = time.perf_counter()
                list(model.transcribe(str(path), language="ja")[0])
                return time.perf_counter() - t

            if i % 2:  # alternate the order so neither profits from a warm cache
                t_bare = bare()
                full, t_whole = whole()
            else:
                full, t_whole = whole()
                t_bare = bare()
            row = {"file": str(path), "audio_s": round(len(samples) / 16000, 2),
                   "latency_s": ready - (replay.started_at + speech_end), "after_stop_s": ready - stopped,
                   "whole_s": t_whole, "bare_s": t_bare, "decodes": stream.decodes,
                   "streamed": accuracy(live, truth), "whole_file": accuracy(full, truth),
                   "same_transcript": live.transcript.text == full.transcript.text,
                   "transcripts": {"streamed": live.transcript.text, "whole_file": full.transcript.text}}
            row["ratio"] = row["latency_s"] / t_bare
            rows.append(row)
            acc = ""
            if truth:
                s, w = row["streamed"], row["whole_file"]
                acc = (f" | fillers {s['hits']}/{s['true']} (pred {s['predicted']}) vs whole {w['hits']} "
                       f"(pred {w['predicted']}) | speech err {s['speech_err_s']:+.2f} vs {w['speech_err_s']:+.2f} s")
            print(f"{path.name}: {row['audio_s']:5.1f} s | latency {row['latency_s']:.2f} s (stop {row['after_stop_s']:.2f})"
                  f" | whole {t_whole:5.2f} s | bare {t_bare:5.2f} s | ratio {row['ratio']:.3f}{acc}", flush=True)

    scored = [r for r in rows if r["streamed"]]
    summary = {"model": info.to_dict(), "threads": a.threads, "peak_rss_mb": round(peak_rss_mb())}
    for key in ("streamed", "whole_file"):
        if scored:
            hits = sum(r[key]["hits"] for r in scored)
            true = sum(r[key]["true"] for r in scored)
            pred = sum(r[key]["predicted"] for r in scored)
            worst = max(abs(r[key]["speech_err_s"]) for r in scored)
            summary[key] = {"recall": hits / max(true, 1), "precision": hits / max(pred, 1), "max_speech_err_s": worst}
            print(f"{key}: filler recall {hits / max(true, 1):.2f} precision {hits / max(pred, 1):.2f} "
                  f"({hits}/{true}, {pred} predicted), max speech err {worst:.2f} s")
    band = [r for r in rows if 40.0 <= r["audio_s"] <= 70.0] or rows
    summary["median_latency_s"] = statistics.median(r["latency_s"] for r in band)
    summary["median_ratio"] = statistics.median(r["ratio"] for r in band)
    summary["median_after_stop_s"] = statistics.median(r["after_stop_s"] for r in band)
    summary["median_after_stop_ratio"] = statistics.median(r["after_stop_s"] / r["bare_s"] for r in band)
    summary["median_whole_over_bare"] = statistics.median(r["whole_s"] / r["bare_s"] for r in band)
    summary["band"] = [Path(r["file"]).name for r in band]
    print(f"peak RSS {summary['peak_rss_mb']} MB; whole-file analysis / bare ASR (median) "
          f"{summary['median_whole_over_bare']:.2f}; answers in the median: {len(band)}")
    if a.json:
        Path(a.json).write_text(json.dumps({"summary": summary, "files": rows}, ensure_ascii=False, indent=1),
                                encoding="utf-8")
    print(f"median after the recording stopped {summary['median_after_stop_s']:.2f} s = "
          f"{summary['median_after_stop_ratio']:.2f} × bare whole-file ASR")
    print(f"median latency {summary['median_latency_s']:.2f} s = {summary['median_ratio']:.2f} × bare whole-file ASR")


if __name__ == "__main__":
    main()
