"""Audio files and buffers: decoding to 16 kHz mono, speech regions, level checks.

Decoding goes through PyAV (faster-whisper's own decoder), so WAV, FLAC, MP3, M4A/AAC
and OGG/Opus at any rate and channel count all arrive as the same float32 array.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

import numpy as np

from simulator.errors import MensetsuError

SAMPLE_RATE = 16000


class AudioError(MensetsuError):
    """The input cannot be used as an answer recording; the message is for the user."""


@dataclass(frozen=True)
class Region:
    start: float
    end: float

    @property
    def length(self) -> float:
        return self.end - self.start

    def to_dict(self) -> dict:
        return {"start_s": round(self.start, 2), "end_s": round(self.end, 2)}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Region:
        return cls(d["start_s"], d["end_s"])


@dataclass(frozen=True)
class Level:
    """Input level problems a user can fix (microphone gain, distance, wrong device)."""

    peak_dbfs: float
    speech_rms_dbfs: float
    clipped_ratio: float
    clipping: bool
    too_quiet: bool
    silent: bool

    def to_dict(self) -> dict:
        return {"peak_dbfs": round(self.peak_dbfs, 1), "speech_rms_dbfs": round(self.speech_rms_dbfs, 1),
                "clipped_ratio": round(self.clipped_ratio, 5), "clipping": self.clipping,
                "too_quiet": self.too_quiet, "silent": self.silent}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Level:
        return cls(**{f: d[f] for f in ("peak_dbfs", "speech_rms_dbfs", "clipped_ratio", "clipping",
                                         "too_quiet", "silent")})


def check_path(path: str | os.PathLike) -> Path:
    """Cheap checks that need no decoding, so a typo is reported before a model loads."""
    p = Path(path)
    if not p.exists():
        raise AudioError(f"ファイルが見つかりません: {p}")
    if p.is_dir():
        raise AudioError(f"フォルダではなく音声ファイルを指定してください: {p}")
    if p.stat().st_size == 0:
        raise AudioError(f"空のファイルです（0 バイト）: {p}")
    return p


def load_audio(path: str | os.PathLike) -> np.ndarray:
    """Decode any common audio file to 16 kHz mono float32, or raise AudioError."""
    p = check_path(path)
    from faster_whisper.audio import decode_audio

    try:
        samples = decode_audio(str(p), sampling_rate=SAMPLE_RATE)
    except Exception as e:  # PyAV raises its own error family for every bad container
        raise AudioError(f"音声として読めません（{type(e).__name__}）: {p}") from None
    if samples.size == 0:
        raise AudioError(f"音声が入っていません: {p}")
    samples = np.nan_to_num(samples.astype(np.float32, copy=False), nan=0.0, posinf=1.0, neginf=-1.0)
    return samples


def duration(samples: np.ndarray) -> float:
    return len(samples) / SAMPLE_RATE


def _db(x: float) -> float:
    return 20.0 * np.log10(max(x, 1e-10))


def speech_regions(samples: np.ndarray, min_silence_s: float = 0.3) -> list[Region]:
    """Speech regions by Silero VAD (bundled with faster-whisper), without padding.

    Unpadded Silero edges were within 0.12 s of the truth on clean, noisy (-35 dBFS),
    reverberant and re-timed versions of the dev set; an energy threshold was more
    exact on clean audio but cut soft endings by 0.3 s once noise was added.
    """
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    opts = VadOptions(min_silence_duration_ms=int(min_silence_s * 1000), speech_pad_ms=0,
                      min_speech_duration_ms=120)
    return [Region(ts["start"] / SAMPLE_RATE, ts["end"] / SAMPLE_RATE)
            for ts in get_speech_timestamps(_vad_level(samples), opts)]


_VAD_PEAK_DBFS = -1.0
_VAD_MAX_GAIN_DB = 30.0


def _vad_level(samples: np.ndarray) -> np.ndarray:
    """`samples` brought to a full-scale peak for the VAD only.

    Silero's speech probability falls with level: with the microphone gain far too low
    (peak −30 dBFS) it missed a short first word 「はい」 and the span came out 0.9 s short;
    at full scale the span was within 0.01 s, and nothing moved on normal recordings.
    The gain is capped so that a silent room is not raised into speech-like noise.
    """
    if not samples.size:
        return samples
    return vad_gain(float(np.percentile(np.abs(samples), 99.99))) * samples


def vad_gain(peak: float) -> np.float32:
    """The gain that brings a signal peaking at `peak` to the VAD's level (never down, capped)."""
    gain_db = min(_VAD_PEAK_DBFS - _db(peak), _VAD_MAX_GAIN_DB)
    return np.float32(10 ** (gain_db / 20)) if gain_db > 0 else np.float32(1.0)


_FRAME_S = 0.02
_SMOOTH_FRAMES = 10   # 0.2 s: a syllable's dip is not a quieter voice


def near_speech(samples: np.ndarray, regions: list[Region], far_db: float, lead_s: float,
                tail_s: float) -> list[Region]:
    """The candidate's speech: `regions` without the voices far quieter than theirs.

    The candidate is the near, loud voice; a television or a person in the next room
    reaches the microphone `far_db` or more below it, and the VAD hears them as speech
    all the same. A region whose loud frames stay that far under the candidate's loud
    frames is dropped, and a far-quiet stretch of at least `lead_s` opening a region (or
    `tail_s` closing it: a fading ending is short and stays) is cut off.
    """
    if not regions:
        return regions
    n = int(_FRAME_S * SAMPLE_RATE)
    frames = len(samples) // n
    rms = np.sqrt(np.mean(samples[:frames * n].astype(np.float64).reshape(frames, n) ** 2, axis=1) + 1e-12)
    db = 20 * np.log10(np.convolve(rms, np.ones(_SMOOTH_FRAMES) / _SMOOTH_FRAMES, mode="same") + 1e-12)
    spans = [(int(r.start / _FRAME_S), max(int(r.end / _FRAME_S), int(r.start / _FRAME_S) + 1)) for r in regions]
    loud = np.percentile(np.concatenate([db[a:b] for a, b in spans]), 90)
    floor = loud - far_db
    out = []
    for r, (a, b) in zip(regions, spans):
        level = db[a:b]
        if not level.size or np.percentile(level, 90) < floor:
            continue
        near = np.flatnonzero(level >= floor)
        start, end = r.start, r.end
        if near[0] * _FRAME_S >= lead_s:
            start = r.start + near[0] * _FRAME_S
        if (len(level) - 1 - near[-1]) * _FRAME_S >= tail_s:
            end = r.start + (near[-1] + 1) * _FRAME_S
        out.append(Region(start, min(end, r.end)))
    return out


def level(samples: np.ndarray, regions: list[Region]) -> Level:
    peak = float(np.max(np.abs(samples))) if samples.size else 0.0
    clipped = float(np.mean(np.abs(samples) >= 0.999)) if samples.size else 0.0
    if regions:
        parts = [samples[int(r.start * SAMPLE_RATE):int(r.end * SAMPLE_RATE)] for r in regions]
        speech = np.concatenate(parts)
        rms = float(np.sqrt(np.mean(speech.astype(np.float64) ** 2))) if speech.size else 0.0
    else:
        rms = float(np.sqrt(np.mean(samples.astype(np.float64) ** 2))) if samples.size else 0.0
    return Level(peak_dbfs=float(_db(peak)), speech_rms_dbfs=float(_db(rms)), clipped_ratio=clipped,
                 clipping=bool(clipped > 0.001), too_quiet=bool(regions) and bool(_db(rms) < -40.0),
                 silent=not regions)
