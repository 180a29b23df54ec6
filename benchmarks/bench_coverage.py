"""Every word kept: mensetsu's transcript against plain faster-whisper's, file by file.

    python benchmarks/bench_coverage.py [--streamed] [--json OUT] [FILE|DIR ...]

Default: every answer in tests/data/eval (dev, rendered, rooms). On one loaded model
(the embedded default), each file is transcribed twice:

  plain     WhisperModel.transcribe(file, language="ja", vad_filter=True), nothing else tuned
  mensetsu  Analyzer.analyze_file, what `mensetsu analyze --json` prints
            (--streamed: fed block by block through StreamingTranscriber, as in practice)

and per file and overall it prints:

  kept      what mensetsu's transcript says / what plain faster-whisper's says, counted in
            mora of the reading (so 15% and 15パーセント, 3か月 and 3ヶ月 count the same;
            punctuation and spaces not at all); goal ≥ 0.98 on every file
  holes     seconds of speech marked as not heard (shown to the user)
  unmarked  seconds of speech with no word near them that are not marked; goal 0
  fillers   recall / precision against truth.json, where it lies beside the file
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from simulator.analysis.analyze import Analyzer  # noqa: E402
from simulator.lang.japanese import count_mora  # noqa: E402
from simulator.speech import audio  # noqa: E402
from simulator.speech.asr import Transcriber, uncovered  # noqa: E402
from simulator.speech.models import load_model  # noqa: E402
from simulator.speech.streaming import StreamingTranscriber  # noqa: E402

EVAL = ROOT / "tests" / "data" / "eval"
_NOT_COUNTED = re.compile(r"[\s、。,.!?！？「」『』・…()（）]")


def chars(text: str) -> int:
    """The length of what is said: mora of the reading (a spelling does not count)."""
    return count_mora(_NOT_COUNTED.sub("", text))


def answers(paths: list[str]) -> list[tuple[Path, dict | None]]:
    out = []
    for p in map(Path, paths or [EVAL / "dev", EVAL / "rendered", EVAL / "rooms"]):
        files = sorted(f for f in p.iterdir() if f.suffix in (".flac", ".wav", ".mp3")) if p.is_dir() else [p]
        for f in files:
            truth_file = f.parent / "truth.json"
            truth = (next((r for r in json.loads(truth_file.read_text(encoding="utf-8")) if r["file"] == f.name), None)
                     if truth_file.exists() else None)
            out.append((f, truth))
    return out


def streamed(analyzer: Analyzer, samples, question: str | None):
    stream = StreamingTranscriber(lambda: analyzer.transcriber, question)
    block = audio.SAMPLE_RATE // 10
    for i in range(0, len(samples), block):
        stream.feed(samples[i:i + block])
    return analyzer.analyze_samples(samples, question, streamed=stream)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("paths", nargs="*")
    ap.add_argument("--streamed", action="store_true", help="feed each file through StreamingTranscriber")
    ap.add_argument("--json", help="write the rows here")
    a = ap.parse_args()
    model, info = load_model()
    analyzer = Analyzer(Transcriber(model), info)
    rows = []
    print(f"{'file':44} {'plain':>6} {'mensetsu':>8} {'kept':>5} {'holes':>6} {'unmarked':>8}  fillers")
    for path, truth in answers(a.paths):
        samples = audio.load_audio(path)
        segments, _ = model.transcribe(samples, language="ja", vad_filter=True)
        plain = "".join(s.text for s in segments)
        question = truth["question"] if truth else None
        result = streamed(analyzer, samples, question) if a.streamed else analyzer.analyze_samples(samples, question)
        t = result.transcript
        unmarked = sum(r.length for r in uncovered(t.words, list(result.delivery.speech))
                       if not any(h.start <= r.start + 0.01 and r.end <= h.end + 0.01 for h in t.holes))
        row = {"file": str(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path),
               "plain_mora": chars(plain), "mora": chars(t.text), "hole_s": round(t.hole_s, 2),
               "unmarked_s": round(unmarked, 2)}
        row["kept"] = round(row["mora"] / row["plain_mora"], 3) if row["plain_mora"] else 1.0
        fillers = ""
        if truth:
            want, got = Counter(truth["fillers"]), Counter(f.canonical for f in result.delivery.fillers)
            hits = sum(min(want[k], got[k]) for k in want)
            row.update(filler_true=sum(want.values()), filler_found=sum(got.values()), filler_hits=hits)
            fillers = f"{hits}/{sum(want.values())} heard, {sum(got.values()) - hits} extra"
        rows.append(row)
        print(f"{path.name:44} {row['plain_mora']:6} {row['mora']:8} {row['kept']:5.2f} {row['hole_s']:6.1f} "
              f"{row['unmarked_s']:8.1f}  {fillers}", flush=True)
    plain_total, kept_total = sum(r["plain_mora"] for r in rows), sum(r["mora"] for r in rows)
    true = sum(r.get("filler_true", 0) for r in rows)
    found = sum(r.get("filler_found", 0) for r in rows)
    hits = sum(r.get("filler_hits", 0) for r in rows)
    print(f"overall: kept {kept_total / max(plain_total, 1):.3f} of what plain faster-whisper heard (mora) "
          f"(lowest file {min(r['kept'] for r in rows):.3f}), holes {sum(r['hole_s'] for r in rows):.1f} s, "
          f"unmarked {sum(r['unmarked_s'] for r in rows):.1f} s, filler recall {hits / max(true, 1):.2f} "
          f"precision {hits / max(found, 1):.2f}")
    if a.json:
        Path(a.json).write_text(json.dumps(rows, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
