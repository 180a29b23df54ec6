"""Turn-taking through real audio devices: how soon the interviewer answers, and cuts.

    python benchmarks/bench_turns.py [--json OUT] [--threads 2] [--silence S] [--variants] [FILE ...]

`mensetsu practice` runs against a private PulseAudio daemon (benchmarks/pulse_rig.py):
each answer file (up to 1 s after its last sound) is played into the virtual microphone in
real time once its question has been asked (the "録音開始" line), faint room noise stays on
the microphone throughout, and one stereo recording holds the microphone (left) and the
speaker (right) on one clock.

Per file, from the answer's last sound: the first sound of the interviewer at the
speaker (a 相槌, an acknowledgement or the question: `first`) and the start of the next
question (`next`, found by its own synthesised audio); the interviewer's sounds during
the answer (相槌) and how many of them overlapped the candidate's speech, over the
answer's pauses of 0.3 s or more; each barge-in (the candidate speaking over the
interviewer) and how soon it stopped; whether the answer was cut (its saved recording
ends before its last sound). Then the medians, and last, exactly:
`median first sound X.XX s, next question X.XX s, cut N/M`.

Each answer is given to its own question (what ends an answer depends on what was asked):
the question id comes from the truth.json beside the file (`qid`), or from the file name's
first part (`tansho_x.wav` → tansho), or the default question when neither names one.

Default files: the dev answers (tests/data/eval/dev) and copies of each with a pause
inserted: 3.5 s after a filler, 3.5 s after a comma, 1.5 s between two sentences in
the middle of the answer, and 1.5 s after a sentence in the middle that has the form of
a closing one (「…を学んだと思います。」), the hardest breath to wait through (positions
found from the answer's own transcript, never in a pause of 1 s or more that the answer
already has: a 3.5 s pause set into a 3.5 s thinking pause is a 7 s one). `--variants`
makes the same copies of the FILEs given. `--silence S` runs the fixed silence rule
instead of the end-of-turn rule, for comparison.
"""

from __future__ import annotations

import argparse
import json
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import soundfile as sf

sys.path.insert(0, str(Path(__file__).resolve().parent))
from pulse_rig import Pulse  # noqa: E402

from simulator.rules import bank
from simulator.speech import turn  # noqa: E402
from simulator.speech.audio import SAMPLE_RATE, load_audio, speech_regions  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
DEV = ROOT / "tests" / "data" / "eval" / "dev"
ROOM_DBFS = -58.0          # faint room noise on the microphone between and after answers
SOUND_DBFS = -45.0         # a 10 ms frame louder than this at the speaker is the interviewer speaking
FRAME = SAMPLE_RATE // 100
LONG_PAUSE_S = 1.0         # a silence this long is a pause of the answer's own: no pause is set into it


def _envelope(x: np.ndarray) -> np.ndarray:
    n = len(x) // FRAME
    return np.sqrt(np.mean(x[:n * FRAME].reshape(n, FRAME) ** 2, axis=1) + 1e-12)


def locate(needle: np.ndarray, hay: np.ndarray, min_score: float = 0.8) -> tuple[float, float]:
    """Where `needle` first occurs in `hay` (seconds) and how well it matches there (Pearson
    correlation of 10 ms log envelopes). The first place that matches well is taken, not the
    best one: the pause copies of an answer are nearly identical and follow each other."""
    a, b = np.log10(_envelope(needle) + 1e-5), np.log10(_envelope(hay) + 1e-5)
    n = len(a)
    if len(b) < n:
        return 0.0, 0.0
    a = (a - a.mean()) / (a.std() * n + 1e-12)
    sums = np.concatenate([[0.0], np.cumsum(b)])
    squares = np.concatenate([[0.0], np.cumsum(b * b)])
    mean = (sums[n:] - sums[:-n]) / n
    std = np.sqrt(np.maximum((squares[n:] - squares[:-n]) / n - mean ** 2, 1e-12))
    score = np.correlate(b, a, mode="valid") / std
    good = np.flatnonzero(score >= min_score)
    if good.size == 0:
        k = int(np.argmax(score))
    else:   # the best point of the first run of good matches
        k0 = int(good[0])
        k = k0 + int(np.argmax(score[k0:k0 + 100]))
    return k / 100, float(score[k])


def last_sound_s(samples: np.ndarray) -> float:
    regions = speech_regions(samples)
    return regions[-1].end if regions else 0.0


# --- pause variants -------------------------------------------------------------------------

def _insert(samples: np.ndarray, at_s: float, pause_s: float) -> np.ndarray:
    i = int(at_s * SAMPLE_RATE)
    return np.concatenate([samples[:i], np.zeros(int(pause_s * SAMPLE_RATE), np.float32), samples[i:]])


def make_variants(files: list[Path], out: Path, threads: int) -> list[Path]:
    """Copies with a thinking pause after a filler and after a comma, and a breath between
    two sentences, each placed in the silence that follows the word in the transcript."""
    from simulator.analysis.analyze import Analyzer
    from simulator.speech.asr import Transcriber
    from simulator.speech.models import load_model

    model, _ = load_model(cpu_threads=threads)
    analyzer = Analyzer(Transcriber(model))
    closing_forms = turn.rules().closing
    made = []
    for f in files:
        samples = load_audio(f)
        a = analyzer.analyze_samples(samples)
        words, regions = a.transcript.words, speech_regions(samples)
        end = regions[-1].end if regions else 0.0

        def silence_after(t: float) -> tuple[float, float] | None:
            """The middle and length of the silence right after time t, if one begins within 0.6 s."""
            for r, nxt in zip(regions, regions[1:]):
                if r.end >= t - 0.3 and nxt.start - r.end >= 0.15 and r.end <= t + 0.6:
                    return (r.end + nxt.start) / 2, nxt.start - r.end
            return None

        def gap_after(t: float) -> float | None:
            silence = silence_after(t)
            return silence[0] if silence else None

        def short_silence_after(t: float) -> bool:
            """Whether the speaker goes on within `LONG_PAUSE_S` of t: a pause set into a
            thinking pause the answer already has would make it twice as long as meant."""
            silence = silence_after(t)
            return silence is None or silence[1] < LONG_PAUSE_S

        picks: dict[str, float] = {}
        fillers = [fl.end_s for fl in a.delivery.fillers if 0.15 * end < fl.end_s < 0.85 * end
                   and short_silence_after(fl.end_s)]
        if fillers:   # in the silence after the filler, or right at its end when it runs on
            picks["filler"] = gap_after(fillers[0]) or fillers[0]
        said = ""
        closing = []   # ends of sentences in the closing form, not the last one
        for w in words[:-1]:
            said += w.text
            if w.text.endswith("。") and any(p.search(said.rstrip("。 ")) for p in closing_forms):
                closing.append(w.end)
        for kind, mark in (("comma", "、"), ("sentence", "。")):
            options = [w.end for w in words if w.text.endswith(mark) and 0.25 * end < w.end < 0.75 * end
                       and not any(abs(fl.end_s - w.end) < 0.3 for fl in a.delivery.fillers)
                       and short_silence_after(w.end)]
            options.sort(key=lambda t: abs(t - end / 2))   # nearest the middle of the answer
            if options:
                picks[kind] = gap_after(options[0]) or options[0]
        closing = [t for t in closing if 0.25 * end < t < end - 2.0 and abs(t - picks.get("sentence", -9)) > 0.3
                   and short_silence_after(t)]
        if closing:
            closing.sort(key=lambda t: abs(t - end / 2))
            picks["closing"] = gap_after(closing[0]) or closing[0]
        for kind, at in picks.items():
            pause = 1.5 if kind in ("sentence", "closing") else 3.5
            dest = out / f"{f.stem}+{kind}{pause:.1f}s.wav"
            sf.write(dest, _insert(samples, at, pause), SAMPLE_RATE, subtype="PCM_16")
            made.append(dest)
    del analyzer, model
    return made


# --- the run --------------------------------------------------------------------------------

def question_ids(files: list[Path]) -> list[str]:
    """The question each file answers: truth.json's `qid` for the file (or the file it was
    copied from: `dev05_x+comma3.5s` → `dev05_x`), else the file name's first part when it
    is a question id, else the self-introduction. None for an answer to a follow-up, which
    practice never asks first."""
    qs = bank.questions()
    known: dict[str, str] = {}
    for truth in {f.parent / "truth.json" for f in files} | {DEV / "truth.json", DEV.parent / "rendered" / "truth.json"}:
        if truth.exists():
            known |= {Path(r["file"]).stem: r["qid"] for r in json.loads(truth.read_text(encoding="utf-8"))}
    ids = []
    for f in files:
        stem = f.stem.split("+")[0]
        guess = stem.split("_")[0]
        qid = known.get(stem) or (guess if guess in qs and qs[guess].type != "followup" else "jikoshokai")
        ids.append(None if qs[qid].type == "followup" else qid)
    return ids


def _room_noise(path: Path, seconds: float = 30.0) -> None:
    rng = np.random.default_rng(7)
    white = rng.standard_normal(int(seconds * SAMPLE_RATE)).astype(np.float32)
    brown = np.cumsum(white)
    brown -= np.convolve(brown, np.ones(400) / 400, mode="same")   # no drift: a soft hum-free rumble
    noise = 0.5 * white + brown / (np.std(brown) + 1e-9)
    noise *= 10 ** (ROOM_DBFS / 20) / np.sqrt(np.mean(noise ** 2))
    sf.write(path, noise, SAMPLE_RATE, subtype="PCM_16")


def run(files: list[Path], ids: list[str], work: Path, threads: int, silence: float | None) -> list[dict]:
    # what the next question sounds like at the speaker, to find where it begins
    from simulator.speech.tts import OpenJTalkEngine, trim_silence

    engine, qs = OpenJTalkEngine(), bank.questions()
    heads = []
    for qid in ids[1:]:
        samples, rate = engine.synthesize(qs[qid].text)
        heads.append(load_audio_array(trim_silence(samples, rate)[:int(2.0 * rate)], rate))
    pulse = Pulse(work / "runtime")
    noise = work / "room.wav"
    _room_noise(noise)
    stop_noise = threading.Event()

    def room() -> None:
        while not stop_noise.is_set():
            pulse.play_into_mic(noise)

    probe = work / "probe.wav"
    recorder = pulse.record_both(probe)
    threading.Thread(target=room, daemon=True).start()
    time.sleep(1.0)
    args = [sys.executable, "-m", "simulator", "practice", "--data-dir", str(work / "data"), "--threads", str(threads),
            "--tts", "openjtalk", "--followups", "0", "--ids", ",".join(ids), "--max-seconds", "300"]
    if silence is not None:
        args += ["--silence", str(silence)]
    # ended with SIGINT, as Ctrl-C: not ignored, though a shell's background job ignores it
    proc = subprocess.Popen(args, env={**pulse.env, "PYTHONUNBUFFERED": "1"}, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    queue = list(files)
    playing: list[subprocess.Popen] = []

    def play_next() -> None:
        if playing:
            playing[-1].wait()
        playing.append(pulse.play_into_mic_async(queue.pop(0)))

    log = (work / "practice.log").open("w", encoding="utf-8")
    t0 = time.monotonic()
    for line in proc.stdout:
        log.write(f"{time.monotonic() - t0:8.2f} {line}")
        if line.startswith("録音開始") and queue:   # once per question: a resumed answer prints no 録音開始
            threading.Thread(target=play_next, daemon=True).start()
    if playing:   # the session ends by itself after the last answer
        playing[-1].wait()
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(60)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.write(proc.stderr.read())
    log.close()
    stop_noise.set()
    recorder.send_signal(signal.SIGINT)
    recorder.wait(10)
    pulse.close()
    return measure(files, probe, work / "data", heads + [None])


def load_audio_array(samples: np.ndarray, rate: int) -> np.ndarray:
    import soxr

    return soxr.resample(samples, rate, SAMPLE_RATE).astype(np.float32)


def _sounds(loud: np.ndarray) -> list[tuple[float, float]]:
    """Runs of loud 10 ms frames (joined across gaps under 0.15 s), in seconds."""
    frames = np.flatnonzero(loud)
    runs: list[list[int]] = []
    for f in frames:
        if runs and f - runs[-1][1] <= 15:
            runs[-1][1] = f
        else:
            runs.append([f, f])
    return [(a / 100, (b + 1) / 100) for a, b in runs]


def measure(files: list[Path], probe: Path, data: Path, heads: list[np.ndarray | None]) -> list[dict]:
    both, rate = sf.read(probe, dtype="float32", always_2d=True)
    assert rate == SAMPLE_RATE
    mic, speaker = both[:, 0], both[:, 1]
    loud = _envelope(speaker) > 10 ** (SOUND_DBFS / 20)
    sounds = _sounds(loud)
    # the speaker is digitally silent between sounds: a faint dither keeps the envelope
    # correlation that finds the next question from matching silence
    speaker = speaker + 1e-4 * np.random.default_rng(1).standard_normal(len(speaker)).astype(np.float32)
    folders = sorted((data / "sessions").iterdir())
    session = json.loads((folders[-1] / "session.json").read_text(encoding="utf-8"))
    answers = [a for a in session["answers"] if a["recording"]["ended_by"] != "no_voice"]
    saved = [load_audio(folders[-1] / a["file"]) for a in answers]
    rows, cursor, j = [], 0.0, 0
    for f, next_head in zip(files, heads):
        samples = load_audio(f)
        head = samples[:5 * SAMPLE_RATE]
        last = last_sound_s(samples)
        offset, _ = locate(head, mic[int(cursor * SAMPLE_RATE):])
        start = cursor + offset
        end_abs = start + last
        cursor = start + len(samples) / SAMPLE_RATE
        spoken = [(start + r.start, start + r.end) for r in speech_regions(samples)]
        during = [snd for snd in sounds if start <= snd[0] < end_abs - 0.05]
        onset = next((a for a, _ in sounds if a >= end_abs - 0.05), None)
        following = None
        if next_head is not None:   # the best match in the 20 s that follow (the question is said once there)
            window = speaker[int(end_abs * SAMPLE_RATE):int((end_abs + 20.0) * SAMPLE_RATE)]
            at, score = locate(next_head, window, min_score=1.0)
            following = round(at, 2) if score >= 0.3 else None
        row = {"file": f.name, "first_s": None if onset is None else round(onset - end_abs, 2), "next_s": following,
               "aizuchi": len(during), "pauses": sum(b[0] - a[1] >= 0.3 for a, b in zip(spoken, spoken[1:])),
               "overlap": sum(any(a < snd[1] and snd[0] < b for a, b in spoken) for snd in during),
               "barge_in_s": [], "cut": None, "turn": None, "ended_by": None}
        # the answer whose recording holds this file's beginning (a cut one spills into the next)
        for k in range(j, len(answers)):
            at, score = locate(head, saved[k])
            if score >= 0.8:
                row["cut"] = bool(at + last > len(saved[k]) / SAMPLE_RATE - 0.05)
                rec = answers[k]["recording"]
                row["turn"], row["ended_by"] = rec["turn"], rec["ended_by"]
                row["barge_in_s"] = (rec["turn"] or {}).get("barge_in_s", [])
                j = k + 1
                break
        else:
            row["cut"] = True    # no recording begins with it: the one before ended inside it
        rows.append(row)
    return rows


def trimmed(files: list[Path], out: Path) -> list[Path]:
    """Each answer up to 1 s after its last sound: what follows is the room noise, which stays
    on. A file's own long tail would otherwise still be playing when the next question wants
    its answer, and the program would rightly say that no voice came."""
    out.mkdir(parents=True, exist_ok=True)
    made = []
    for f in files:
        samples = load_audio(f)
        dest = out / f"{f.stem}.wav"
        sf.write(dest, samples[:int((last_sound_s(samples) + 1.0) * SAMPLE_RATE)], SAMPLE_RATE, subtype="PCM_16")
        made.append(dest)
    return made


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("files", nargs="*", type=Path)
    ap.add_argument("--json", type=Path)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--silence", type=float, help="the fixed silence rule instead of the end-of-turn rule")
    ap.add_argument("--variants", action="store_true", help="also the pause copies of the FILEs given")
    ap.add_argument("--keep", type=Path, help="keep the variants and recordings in this folder")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = args.keep or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        files = args.files or sorted(DEV.glob("*.flac"))
        for f in [f for f, qid in zip(files, question_ids(files)) if qid is None]:
            print(f"{f.name}: left out (it answers a follow-up, which practice never asks first)", file=sys.stderr)
            files.remove(f)
        if not args.files or args.variants:
            (work / "variants").mkdir(exist_ok=True)
            files = files + make_variants(files, work / "variants", args.threads)
        rows = run(trimmed(files, work / "answers"), question_ids(files), work, args.threads, args.silence)
    print(report(rows))
    if args.json:
        args.json.write_text(json.dumps({"rows": rows, **summary(rows)}, ensure_ascii=False, indent=2))


def _median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def summary(rows: list[dict]) -> dict:
    barge = [b for r in rows for b in r["barge_in_s"]]
    return {"median_first_s": _median([r["first_s"] for r in rows if r["first_s"] is not None]),
            "median_next_s": _median([r["next_s"] for r in rows if r["next_s"] is not None]),
            "aizuchi": sum(r["aizuchi"] for r in rows), "overlap": sum(r["overlap"] for r in rows),
            "pauses": sum(r["pauses"] for r in rows), "barge_ins": len(barge), "median_barge_in_s": _median(barge),
            "cut": sum(bool(r["cut"]) for r in rows), "answers": len(rows)}


def report(rows: list[dict]) -> str:
    def s(x: float | None) -> str:
        return "  n/a" if x is None else f"{x:5.2f}"

    lines = [f"{'file':<42} first  next  相槌 重なり/間  barge-in  cut  (how the answer ended)"]
    for r in rows:
        t = r["turn"] or {}
        why = (f"{t.get('state')}{' +相槌' if t.get('aizuchi') else ''}, p={t.get('probability')}, "
               f"wait {t.get('wait_s')} s") if t.get("state") else r["ended_by"]
        barge = ",".join(f"{b:.2f}" for b in r["barge_in_s"]) or "-"
        lines.append(f"{r['file']:<42} {s(r['first_s'])} {s(r['next_s'])}  {r['aizuchi']:3d}  {r['overlap']:2d}/{r['pauses']:<3d}"
                     f"  {barge:<8}  {'CUT' if r['cut'] else 'ok '}  ({why})")
    m = summary(rows)
    share = m["overlap"] / m["pauses"] if m["pauses"] else 0.0
    lines += ["", f"相槌 {m['aizuchi']}, overlapping speech at {m['overlap']} of {m['pauses']} pauses ({share:.0%}); "
                  f"barge-ins {m['barge_ins']}, stopped after {s(m['median_barge_in_s']).strip()} s (median)",
              f"median first sound {s(m['median_first_s']).strip()} s, next question {s(m['median_next_s']).strip()} s, "
              f"cut {m['cut']}/{m['answers']}"]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
