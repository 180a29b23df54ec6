"""`mensetsu practice` end to end: a real PulseAudio daemon gives sounddevice a virtual
microphone (answers are played into it) and a speaker whose monitor is recorded."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from support import follow, latest_session, practice

from benchmarks.bench_turns import last_sound_s, locate
from simulator.speech.audio import load_audio, speech_regions
from simulator.speech.turn import text_state

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="PulseAudio test rig is Linux-only")


def test_spoken_interview_through_real_devices(pulse, dev_dir, dev_truth, tmp_path):
    truth = {r["file"]: r for r in dev_truth}
    answers = [dev_dir / "dev04_tenshoku_blame.flac", dev_dir / "dev06_gyaku_none.flac", dev_dir / "dev06_gyaku_none.flac"]
    speaker_wav = tmp_path / "speaker.wav"
    recorder = pulse.record_speaker(speaker_wav)
    played: list[tuple[float, float]] = []  # (start, end of file) per answer, monotonic clock
    players: list[threading.Thread] = []
    queue = list(answers)

    def on_line(line: str) -> None:
        if line.startswith("録音開始") and queue:
            wav = queue.pop(0)

            def play():
                start = time.monotonic()
                assert pulse.play_into_mic(wav) == 0
                played.append((start, time.monotonic()))
            players.append(threading.Thread(target=play, daemon=True))
            players[-1].start()

    proc = practice("--ids", "tenshoku_riyuu,gyaku_shitsumon", "--followups", "1", "--tts", "openjtalk",
                    env=pulse.env, data=tmp_path / "data")
    lines = follow(proc, on_line)
    assert proc.wait(120) == 0, proc.stderr.read()
    for player in players:   # an answer can end (and the session with it) before its file's trailing quiet
        player.join(30)
    recorder.terminate()
    recorder.wait(5)
    out = "\n".join(text for _, text in lines)

    # three questions asked: main, the deep-dive chosen for the blaming answer, the reverse question
    assert out.count("録音開始") == 3 and "深掘り（質問 1 について）" in out
    assert "質問 1/2" in out and "質問 2/2" in out and "質問 2 問と" in out
    # each question was voiced: three separate stretches of speech on the speaker
    spoken = speech_regions(load_audio(speaker_wav), min_silence_s=1.0)
    assert len(spoken) >= 3, spoken
    # each answer was recorded whole (not cut), and ended within 3.5 s of its last sound
    stops = [t for t, text in lines if text.startswith("録音終了")]
    assert len(stops) == 3 and len(played) == 3
    session = latest_session(tmp_path / "data")
    for wav, entry in zip(answers, session["answers"]):
        samples, saved = load_audio(wav), load_audio(session["_folder"] / entry["audio"])
        last = locate(samples[:5 * 16000], saved)[0] + last_sound_s(samples)
        assert last <= len(saved) / 16000 <= last + 3.5, f"{wav.name}: {len(saved) / 16000 - last:.2f} s after its last sound"
    # the saved session holds the audio captured through sounddevice, its transcript and metrics
    assert [a["question_id"] for a in session["answers"]] == ["tenshoku_riyuu", "dig_tried_inside", "gyaku_shitsumon"]
    first = session["answers"][0]
    assert first["recording"]["ended_by"] == "silence" and first["trigger"] is None
    assert abs(first["speech_s"] - truth["dev04_tenshoku_blame.flac"]["speech_s"]) < 0.5
    assert "転職" in first["transcript"] and first["filler_count"] >= 5
    assert "blame" in first["content"]["issues"]
    assert session["answers"][1]["trigger"] == "dig:tried_inside" and session["answers"][1]["reason"]
    assert "no_reverse_question" in session["answers"][2]["content"]["issues"]
    for a in session["answers"]:
        saved = load_audio(session["_folder"] / a["audio"])
        assert speech_regions(saved), a["audio"]
    assert session["ended_at"] and not session["interrupted"]


def _start_and_wait_for_recording(pulse, tmp_path, wav: Path) -> tuple[subprocess.Popen, Path]:
    proc = practice("--ids", "jikoshokai", "--tts", "none", env=pulse.env, data=tmp_path / "data")
    for line in proc.stdout:
        if line.startswith("録音開始"):
            break
    threading.Thread(target=pulse.play_into_mic, args=(wav,), daemon=True).start()
    time.sleep(8.0)  # several seconds of the answer are spoken
    return proc, tmp_path / "data"


def test_sigkill_mid_answer_keeps_the_audio(pulse, dev_dir, tmp_path):
    proc, data = _start_and_wait_for_recording(pulse, tmp_path, dev_dir / "dev01_jikoshokai.flac")
    proc.send_signal(signal.SIGKILL)
    proc.wait(10)
    folder = sorted((data / "sessions").iterdir())[-1]
    audio = load_audio(folder / "01_jikoshokai.wav")
    assert len(audio) / 16000 > 5.0
    assert speech_regions(audio)
    # --resume analyses the half answer and goes on (here with a file for the next answer)
    answers = tmp_path / "answers"
    answers.mkdir()
    shutil.copy(dev_dir / "dev06_gyaku_none.flac", answers)
    resumed = practice("--resume", "--tts", "none", "--answers-from", str(answers), env=pulse.env, data=data)
    out, err = resumed.communicate(timeout=300)
    assert resumed.returncode == 0, err
    assert "前回の録音 01_jikoshokai.wav を分析しました" in out
    recovered = latest_session(data)["answers"][0]
    assert recovered["recording"]["ended_by"] == "recovered" and recovered["transcript"]


def test_ctrl_c_ends_the_session_cleanly(pulse, dev_dir, tmp_path):
    proc, data = _start_and_wait_for_recording(pulse, tmp_path, dev_dir / "dev01_jikoshokai.flac")
    proc.send_signal(signal.SIGINT)
    rest = proc.stdout.read()
    assert proc.wait(30) == 0
    assert "Traceback" not in proc.stderr.read()
    assert "保存しました" in rest and "セッション ID" in rest
    session = latest_session(data)
    assert f"mensetsu report {session['id']} --open" in rest
    assert f"mensetsu practice --resume {session['id']}" in rest
    report = subprocess.run([sys.executable, "-m", "simulator", "report", session["id"], "--data-dir", str(data)],
                            capture_output=True, text=True, env=pulse.env)
    assert f"mensetsu practice --resume {session['id']}" in Path(report.stdout.strip()).read_text(encoding="utf-8")
    assert session["interrupted"] and session["ended_at"]
    answer = session["answers"][0]
    assert answer["recording"]["ended_by"] == "interrupted"
    assert speech_regions(load_audio(session["_folder"] / answer["audio"]))


@pytest.mark.slow
def test_check_plays_records_and_judges_the_level(pulse, dev_dir, tmp_path):
    speaker_wav = tmp_path / "speaker.wav"
    recorder = pulse.record_speaker(speaker_wav)
    proc = subprocess.Popen([sys.executable, "-m", "simulator", "check", "--tts", "openjtalk"], env=pulse.env,
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    for line in proc.stdout:
        if line.startswith("3 秒間"):
            threading.Thread(target=pulse.play_into_mic, args=(dev_dir / "dev03_jikopr_numbers.flac",),
                             daemon=True).start()
            break
    out = proc.stdout.read()
    assert proc.wait(60) == 0, proc.stderr.read()
    recorder.terminate()
    recorder.wait(5)
    assert "問題ありません" in out
    assert speech_regions(load_audio(speaker_wav))  # the test phrase was really played


@pytest.mark.slow
def test_check_with_a_silent_microphone_says_so_without_a_fake_level(pulse):
    p = subprocess.run([sys.executable, "-m", "simulator", "check", "--tts", "none"], env=pulse.env,
                       stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60)
    assert p.returncode == 1, p.stderr     # the check failed, and says why
    assert "音が届いていません" in p.stdout and "-200" not in p.stdout and "Traceback" not in p.stderr


def test_a_silent_microphone_ends_quickly_and_changes_no_history(pulse, tmp_path):
    """Nothing reaches the mic: one clear line per question, no follow-ups, nothing averaged."""
    from simulator.store.storage import Store

    data = tmp_path / "data"
    started = time.monotonic()
    proc = practice("--ids", "jikoshokai,jiko_pr,gyaku_shitsumon", "--tts", "openjtalk", env=pulse.env, data=data)
    out, err = proc.communicate(timeout=120)
    took = time.monotonic() - started
    assert proc.returncode == 0, err
    print(f"silent microphone, three questions: {took:.1f} s")
    assert took < 60, took
    assert "Traceback" not in err
    assert out.count("マイクから音がまったく届いていません") == 3, out
    assert "深掘り（" not in out and "上限時間" not in out
    session = latest_session(data)
    assert [a["recording"]["ended_by"] for a in session["answers"]] == ["no_voice"] * 3
    assert all(not a["analysed"] and (session["_folder"] / a["audio"]).is_file() for a in session["answers"])
    store = Store(data)
    assert store.history() == []              # history and progress unchanged
    report = subprocess.run([sys.executable, "-m", "simulator", "report", "latest", "--data-dir", str(data)],
                            capture_output=True, text=True, env=pulse.env)
    assert report.returncode == 0, report.stderr
    assert "マイクに声が届かなかった" in Path(report.stdout.strip()).read_text(encoding="utf-8")


def test_ctrl_c_at_random_moments_always_ends_cleanly(pulse, dev_dir, tmp_path):
    """Ctrl-C while the question is spoken, while recording, while transcribing, while saving."""
    import random

    rng = random.Random(7)
    outcomes = []
    for n in range(8):
        # a short answer is over in seconds, so Ctrl-C also lands while it is analysed and saved
        wav = dev_dir / ("dev06_gyaku_none.flac" if n % 2 else "dev05_gakuchika_star.flac")
        data = tmp_path / f"data{n}"
        proc = practice("--ids", "jikoshokai,gyaku_shitsumon", "--tts", "openjtalk", env=pulse.env, data=data)
        started = time.monotonic()
        delay = rng.uniform(0.5, 12.0)

        def speak_when_asked():
            for line in proc.stdout:
                if line.startswith("録音開始"):
                    pulse.play_into_mic(wav)
                    return
        reader = threading.Thread(target=speak_when_asked, daemon=True)
        reader.start()
        time.sleep(max(0.0, delay - (time.monotonic() - started)))
        proc.send_signal(signal.SIGINT)
        try:
            code = proc.wait(60)
        except subprocess.TimeoutExpired:
            proc.kill()
            code = "hung"
        err = proc.stderr.read()
        outcomes.append((round(delay, 1), code))
        assert code in (0, 130), (delay, code, err[-500:])
        assert "terminate called" not in err and "Traceback" not in err, (delay, err[-500:])
        # whatever was recorded is on disk and the session folder is readable
        folders = sorted((data / "sessions").iterdir()) if (data / "sessions").exists() else []
        for folder in folders:
            json.loads((folder / "session.json").read_text(encoding="utf-8"))
    print("Ctrl-C delays and exit codes:", outcomes)


def test_a_rambling_answer_is_taken_back_at_a_sentence_end(pulse, dev_dir, tmp_path):
    """Past twice the question's target (45 s here), the interviewer takes the turn back at
    the next sentence end, says so politely and asks for the point, as interviewers do."""
    import numpy as np
    import soundfile as sf

    # three answers of one voice said as one, 0.5 s apart, none of them signing off: 2 min
    parts = []
    for name in ("dev05_gakuchika_star.flac", "dev03_jikopr_numbers.flac", "dev07_tansho.flac"):
        samples = load_audio(dev_dir / name)
        voiced = speech_regions(samples)
        parts += [samples[int(voiced[0].start * 16000):int(voiced[-1].end * 16000)], np.zeros(8000, np.float32)]
    long = tmp_path / "long.wav"
    sf.write(str(long), np.concatenate(parts), 16000)
    queue, playing = [long, dev_dir / "dev06_gyaku_none.flac"], []

    def on_line(line: str) -> None:
        if line.startswith("録音開始") and queue:
            playing.append(pulse.play_into_mic_async(queue.pop(0)))
        elif line.startswith("録音終了") and playing:
            playing[-1].terminate()   # the candidate stops when the interviewer takes the turn

    proc = practice("--ids", "senkou_joukyou", "--followups", "1", "--tts", "openjtalk", env=pulse.env,
                    data=tmp_path / "data")
    out = "\n".join(text for _, text in follow(proc, on_line))
    assert proc.wait(60) == 0, proc.stderr.read()
    session = latest_session(tmp_path / "data")
    first, point = session["answers"][:2]
    taken = first["recording"]["turn"]
    assert taken["state"] == "rambling"
    assert text_state(taken["ending"], 100.0, 45.0) != "open", taken   # after a sentence, not mid-clause
    saved_s = len(load_audio(session["_folder"] / first["audio"])) / 16000
    assert 90.0 <= saved_s <= len(load_audio(long)) / 16000 - 5.0, saved_s   # taken back, well before its end
    assert point["question_id"] == "fu_youten" and point["trigger"] == "rambling"
    assert point["reason"] and "要点を一言で" in out
