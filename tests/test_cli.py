"""`mensetsu analyze` as a user runs it: real files, real formats, bad input, no network."""

from __future__ import annotations

import json
import os
import struct
import subprocess
import sys
from pathlib import Path

import av
import numpy as np
import pytest
import soundfile as sf
from support import BLOCK_NETWORK, assert_clean_failure, mensetsu, noise, write_wav

from simulator.speech.audio import SAMPLE_RATE, load_audio


def encode(samples: np.ndarray, path: Path, codec: str, rate: int, channels: int) -> Path:
    """Write `samples` (16 kHz mono) in another container/codec, rate and channel count with PyAV."""
    resampled = np.interp(np.arange(0, len(samples), SAMPLE_RATE / rate), np.arange(len(samples)), samples)
    data = np.tile(resampled.astype(np.float32), (channels, 1))
    layout = "stereo" if channels == 2 else "mono"
    with av.open(str(path), "w") as out:
        stream = out.add_stream(codec, rate=rate, layout=layout)
        frame = av.AudioFrame.from_ndarray(data, format="fltp", layout=layout)
        frame.rate = rate
        for packet in stream.encode(frame):
            out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return path


@pytest.mark.parametrize("name, codec, rate, channels", [
    ("answer.flac", "flac", 44100, 2),
    ("answer.mp3", "mp3", 44100, 1),
    ("answer.m4a", "aac", 48000, 2),
    ("answer.ogg", "libopus", 48000, 1),
    ("answer.wav", "pcm_s16le", 8000, 1),
])
@pytest.mark.slow
def test_common_formats_rates_and_channels(analyzer, dev_dir, tmp_path, name, codec, rate, channels):
    samples = load_audio(dev_dir / "dev04_tenshoku_blame.flac")
    path = encode(samples, tmp_path / name, codec, rate, channels)
    result = analyzer.analyze_file(path, "tenshoku_riyuu")
    assert result.delivery.speech_s == pytest.approx(18.72, abs=0.3)
    assert "転職" in result.transcript.text
    assert result.delivery.filler_count >= 5


def test_several_files_give_one_json_line_each(dev_dir):
    files = [str(dev_dir / "dev06_gyaku_none.flac"), str(dev_dir / "dev02_shibou_generic.flac")]
    p = mensetsu("analyze", *files, "--json", "--threads", "2")
    assert p.returncode == 0, p.stderr
    lines = p.stdout.strip().splitlines()
    assert [json.loads(line)["file"] for line in lines] == files
    assert json.loads(lines[1])["filler_count"] == 4


def test_readable_summary_is_japanese(dev_dir):
    p = mensetsu("analyze", str(dev_dir / "dev06_gyaku_none.flac"), "--question", "gyaku_shitsumon")
    assert p.returncode == 0, p.stderr
    assert "回答の長さ" in p.stdout and "フィラー: 1 回" in p.stdout and "短すぎます" in p.stdout


def test_runs_with_every_connection_refused(dev_dir, tmp_path):
    (tmp_path / "sitecustomize.py").write_text(BLOCK_NETWORK)
    log = tmp_path / "net.log"
    env = {"PYTHONPATH": os.pathsep.join([str(tmp_path), os.environ.get("PYTHONPATH", "")]), "NET_LOG": str(log)}
    p = mensetsu("analyze", str(dev_dir / "dev06_gyaku_none.flac"), "--json", env=env)
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["filler_count"] == 1
    assert not log.exists(), log.read_text()


def test_missing_file():
    assert_clean_failure(mensetsu("analyze", "no/such/answer.wav"), "見つかりません")


def test_directory(tmp_path):
    assert_clean_failure(mensetsu("analyze", str(tmp_path)), "フォルダ")


def test_zero_byte_file(tmp_path):
    (tmp_path / "empty.wav").write_bytes(b"")
    assert_clean_failure(mensetsu("analyze", str(tmp_path / "empty.wav")), "0 バイト")


def test_not_audio(tmp_path):
    (tmp_path / "notes.wav").write_text("これは音声ではありません\n" * 50)
    assert_clean_failure(mensetsu("analyze", str(tmp_path / "notes.wav")), "音声として読めません")


def _as_wav(dev_dir, name: str, tmp_path) -> bytes:
    """The dev answer (FLAC in the repository) as the WAV bytes a recorder writes."""
    return write_wav(tmp_path / "whole.wav", load_audio(dev_dir / name)).read_bytes()


def test_wav_cut_inside_its_header(dev_dir, tmp_path):
    (tmp_path / "cut.wav").write_bytes(_as_wav(dev_dir, "dev06_gyaku_none.flac", tmp_path)[:30])
    p = mensetsu("analyze", str(tmp_path / "cut.wav"))
    assert_clean_failure(p, "cut.wav")


@pytest.mark.slow
def test_wav_cut_mid_speech_keeps_what_was_said(dev_dir, tmp_path, analyzer):
    data = _as_wav(dev_dir, "dev04_tenshoku_blame.flac", tmp_path)
    (tmp_path / "cut.wav").write_bytes(data[: len(data) // 2])
    result = analyzer.analyze_file(tmp_path / "cut.wav", "tenshoku_riyuu")
    assert 8 < result.delivery.duration_s < 12
    assert "転職" in result.transcript.text


def test_silent_file(tmp_path):
    write_wav(tmp_path / "silence.wav", noise(5.0))
    assert_clean_failure(mensetsu("analyze", str(tmp_path / "silence.wav")), "無音")


def test_one_bad_file_among_good_ones(dev_dir):
    p = mensetsu("analyze", "missing.wav", str(dev_dir / "dev06_gyaku_none.flac"), "--json")
    assert p.returncode != 0 and "Traceback" not in p.stderr
    assert len(p.stdout.strip().splitlines()) == 1  # the good file is still analysed


def test_unknown_model_offline(dev_dir, tmp_path):
    p = mensetsu("analyze", str(dev_dir / "dev06_gyaku_none.flac"), "--model", "small",
                 env={"HF_HUB_OFFLINE": "1", "HF_HOME": str(tmp_path / "hf")})
    assert_clean_failure(p, "base")


def test_help_lists_the_commands_and_says_mensetsu_alone_opens_the_page():
    # `mensetsu` alone starts the web page (tests/test_web.py starts it for real)
    p = mensetsu("--help")
    assert p.returncode == 0 and "analyze" in p.stdout and "practice" in p.stdout
    assert "mensetsuとだけ打つと、ブラウザで練習のページが開きます" in "".join(p.stdout.split())


def _wav_header(rate: int, channels: int, bits: int, data_bytes: int) -> bytes:
    """A PCM WAV header that says whatever the test wants it to say."""
    return (b"RIFF" + struct.pack("<I", 36 + data_bytes) + b"WAVEfmt "
            + struct.pack("<IHHIIHH", 16, 1, channels, rate, rate * max(channels, 1) * bits // 8,
                          max(channels, 1) * bits // 8, bits)
            + b"data" + struct.pack("<I", data_bytes))


@pytest.mark.parametrize("name, content, needle", [
    ("zero_hz.wav", _wav_header(0, 1, 16, 32000) + bytes(32000), "音声として読めません"),
    ("no_channels.wav", _wav_header(16000, 0, 16, 32000) + bytes(32000), "音声として読めません"),
    ("eight_hours.wav", _wav_header(16000, 1, 16, 0xFFFFFF00) + bytes(32000), "無音"),  # header claims 37 h
    ("one_sample.wav", _wav_header(16000, 1, 16, 2) + b"\x10\x00", "無音"),
    ("garbage.wav", b"RIFF" + bytes(range(256)) * 20, "音声として読めません"),
])
def test_adversarial_headers_fail_in_one_line(tmp_path, name, content, needle):
    (tmp_path / name).write_bytes(content)
    assert_clean_failure(mensetsu("analyze", str(tmp_path / name)), needle)


@pytest.mark.slow
def test_nan_and_inf_samples_are_treated_as_silence(dev_dir, tmp_path, analyzer):
    samples = load_audio(dev_dir / "dev06_gyaku_none.flac")
    samples[:4000] = np.nan
    samples[-4000:-3000] = np.inf
    samples[-3000:-2000] = -np.inf
    path = tmp_path / "nan.wav"
    sf.write(str(path), samples, SAMPLE_RATE, subtype="FLOAT")
    result = analyzer.analyze_file(path, "gyaku_shitsumon")
    assert result.delivery.filler_count == 1 and "特にありません" in result.transcript.text
    assert np.isfinite(result.delivery.level.peak_dbfs)
    only_nan = tmp_path / "only_nan.wav"
    sf.write(str(only_nan), np.full(16000, np.nan, np.float32), SAMPLE_RATE, subtype="FLOAT")
    assert_clean_failure(mensetsu("analyze", str(only_nan)), "無音")


def test_a_silence_that_cannot_end_an_answer_is_refused(tmp_path):
    assert_clean_failure(mensetsu("practice", "--silence", "-1", "--data-dir", str(tmp_path)), "--silence は 0.3〜30 秒")


@pytest.mark.slow
def test_practice_without_a_microphone_says_so_in_one_line_every_time(tmp_path):
    """No sound server, no card: one Japanese line and exit 2, never an abort while the
    end-of-turn model starts up in the background (that raced the exit before)."""
    runtime = tmp_path / "runtime"   # an empty runtime folder: no PulseAudio to reach
    runtime.mkdir(mode=0o700)
    env = {**os.environ, "XDG_RUNTIME_DIR": str(runtime), "PULSE_SERVER": str(runtime / "none")}
    for _ in range(3):
        p = subprocess.run([sys.executable, "-m", "simulator", "practice", "--data-dir", str(tmp_path / "data"),
                            "--tts", "none"], env=env, capture_output=True, text=True, timeout=120)
        assert p.returncode == 2 and p.stderr.count("\n") == 1 and "マイクが見つかりません" in p.stderr, p.stderr
