"""Voice analysis: its added time against bare faster-whisper, and its verdicts on the
dev answers and on copies altered by construction (the calibration of prompts/voice.toml).

    python benchmarks/bench_voice.py [--threads 2] [--data tests/data/eval/dev]

Per file: bare faster-whisper time, the time of `analyze_voice` (pitch, loudness,
endings, pace) on the same audio, the main numbers, and the verdicts on the original,
on copies that must fire nothing (white noise 20 dB below the speech, a 0.4 s room
reverberation) and on copies altered by construction (tests/voice_variants.py: pitch
flattened to a tenth, the last 0.5 s of voice in every speech region 12 dB down, 15 s
from 10 s sped up 1.3×, 3.5 s more of room tone before the first word).
Then, per engine (Kokoro or OpenJTalk's HTS voice, from truth.json), how often each altered copy fired
exactly its verdict and how often a copy that must fire nothing stayed silent.
The last line is the ratio of total voice time to total bare time.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from support.variants import (  # noqa: E402
    add_noise,
    delay_start,
    fade_endings,
    flatten_pitch,
    reverberate,
    speed_up,
)

from simulator.analysis.analyze import Analyzer  # noqa: E402
from simulator.rules import bank  # noqa: E402
from simulator.speech.asr import Transcriber  # noqa: E402
from simulator.speech.audio import load_audio, speech_regions  # noqa: E402
from simulator.speech.models import load_model  # noqa: E402
from simulator.speech.voice import analyze_voice  # noqa: E402


def _r(x: float | None) -> str:
    return "—" if x is None else f"{x:.2f}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--data", default=str(ROOT / "tests" / "data" / "eval" / "dev"))
    a = ap.parse_args()
    model, info = load_model("base", "cpu", "default", a.threads)
    analyzer = Analyzer(Transcriber(model), info)
    truth = json.loads((Path(a.data) / "truth.json").read_text(encoding="utf-8"))
    total_voice = total_bare = 0.0
    expected = {"original": (), "noise": (), "reverb": (), "flat": ("monotone",), "fade": ("fading",),
                "fast": ("rushing",), "late": ("slow_start",)}
    tally: dict[tuple[str, str], list[int]] = {}
    for r in truth:
        path = Path(a.data) / r["file"]
        samples = load_audio(path)
        t = time.perf_counter()
        list(model.transcribe(str(path), language="ja")[0])
        bare = time.perf_counter() - t
        res = analyzer.analyze_samples(samples, r["question"])
        d = res.delivery
        t = time.perf_counter()
        v = analyze_voice(samples, list(d.speech), res.transcript.words, d.speech_start_s, d.longest_pause_s,
                          bank.load("voice"), bank.delivery())
        voice = time.perf_counter() - t
        total_voice += voice
        total_bare += bare
        fired = {"original": list(v.verdicts)}
        variants = {"noise": add_noise(samples), "reverb": reverberate(samples),
                    "flat": flatten_pitch(samples), "late": delay_start(samples)}
        if len(v.endings) >= bank.load("voice")["ending"]["min_endings"]:   # fading is judged over sentences
            variants["fade"] = fade_endings(samples, speech_regions(samples))
        if len(samples) / 16000 > 30:
            variants["fast"] = speed_up(samples, 10.0)
        altered = {name: analyzer.analyze_samples(x, r["question"]).voice for name, x in variants.items()}
        fired.update({name: list(av.verdicts) for name, av in altered.items()})
        # the dev answers are Kokoro voices too ("jf_alpha"); rendered ones say "kokoro:jf_nezumi"
        engine = "openjtalk" if r.get("voice") == "openjtalk" else "kokoro"
        for name, got in fired.items():
            hit = tally.setdefault((engine, name), [0, 0])
            hit[0] += tuple(got) == expected[name]
            hit[1] += 1
        print(f"{r['file']}: bare {bare:5.2f} s, voice {voice:4.2f} s ({voice / bare:.1%}) | spread "
              f"{v.pitch_spread_st:.2f} st (flat {altered['flat'].pitch_spread_st:.2f}), fade share "
              f"{v.fade_share:.2f} (faded {altered['fade'].fade_share if 'fade' in altered else 0:.2f}), pace spread {_r(v.pace_spread)} "
              f"(noise {_r(altered['noise'].pace_spread)}, reverb {_r(altered['reverb'].pace_spread)}, sped "
              f"{_r(altered['fast'].pace_spread) if 'fast' in altered else '—'}) | verdicts {fired}", flush=True)
    for (engine, name), (ok, n) in sorted(tally.items()):
        want = ", ".join(expected[name]) or "nothing"
        print(f"{engine:10s} {name:8s} fired exactly {want}: {ok}/{n}")
    print(f"voice analysis / bare faster-whisper time ratio: {total_voice / total_bare:.3f}")


if __name__ == "__main__":
    main()
