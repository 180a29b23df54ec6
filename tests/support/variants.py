"""Dev answers altered so that the expected voice verdict is known by construction."""

from __future__ import annotations

import numpy as np

from simulator.speech.audio import SAMPLE_RATE, Region


def _sound(samples: np.ndarray):
    import parselmouth

    return parselmouth.Sound(samples.astype(np.float64), sampling_frequency=SAMPLE_RATE)


def flatten_pitch(samples: np.ndarray, keep: float = 0.1) -> np.ndarray:
    """Pitch squeezed towards its median (log scale) by `keep`, by PSOLA resynthesis."""
    from parselmouth.praat import call

    sound = _sound(samples)
    manipulation = call(sound, "To Manipulation", 0.01, 75, 500)
    tier = call(manipulation, "Extract pitch tier")
    f0 = sound.to_pitch_ac(time_step=0.01, pitch_floor=75, pitch_ceiling=500).selected_array["frequency"]
    median = float(np.median(f0[f0 > 0]))
    call(tier, "Formula", f"{median} * (self / {median}) ^ {keep}")
    call([tier, manipulation], "Replace pitch tier")
    out = call(manipulation, "Get resynthesis (overlap-add)").values[0]
    return np.asarray(out[:len(samples)], dtype=np.float32)


def fade_endings(samples: np.ndarray, regions: list[Region], tail_s: float = 0.5, db: float = 12.0) -> np.ndarray:
    """The last `tail_s` of voice in every speech region attenuated by `db` (20 ms ramp).

    A region's voice ends at its last voiced (pitched) frame: the VAD's region can run
    on through a breath or a trailing consonant, which would hide the fade.
    """
    pitch = _sound(samples).to_pitch_ac(time_step=0.01, pitch_floor=75, pitch_ceiling=500)
    times, f0 = np.asarray(pitch.xs()), pitch.selected_array["frequency"]
    gain = np.ones(len(samples))
    low, ramp = 10 ** (-db / 20), int(0.02 * SAMPLE_RATE)
    for r in regions:
        voiced = times[(f0 > 0) & (times >= r.start) & (times <= r.end)]
        if not len(voiced):
            continue
        a = int(max(r.start, voiced[-1] + 0.03 - tail_s) * SAMPLE_RATE)
        b = int(r.end * SAMPLE_RATE) + int(0.1 * SAMPLE_RATE)
        gain[a:b] = low
        gain[a:a + ramp] = np.linspace(1, low, len(gain[a:a + ramp]))
    return (samples * gain).astype(np.float32)


def speed_up(samples: np.ndarray, start_s: float, length_s: float = 15.0, factor: float = 1.3) -> np.ndarray:
    """`length_s` seconds from `start_s` played `factor` times faster, pitch kept (PSOLA)."""
    from parselmouth.praat import call

    a, b = int(start_s * SAMPLE_RATE), int((start_s + length_s) * SAMPLE_RATE)
    faster = call(_sound(samples[a:b]), "Lengthen (overlap-add)", 75, 600, 1 / factor).values[0]
    return np.concatenate([samples[:a], faster.astype(np.float32), samples[b:]])


def delay_start(samples: np.ndarray, seconds: float = 3.5, seed: int = 0) -> np.ndarray:
    """`seconds` more of room tone before the first word: a candidate slow to begin.

    The room tone is noise at the level of the answer's quietest tenth of 25 ms frames.
    """
    frames = samples[:len(samples) // 400 * 400].reshape(-1, 400).astype(np.float64)
    rms = float(np.sqrt(np.percentile(np.mean(frames ** 2, axis=1), 10)))
    tone = np.random.default_rng(seed).standard_normal(int(seconds * SAMPLE_RATE)) * rms
    return np.concatenate([tone.astype(np.float32), samples])


def add_noise(samples: np.ndarray, snr_db: float = 20.0, seed: int = 0) -> np.ndarray:
    """White noise `snr_db` below the answer's RMS: a fan or a laptop in a quiet room."""
    rms = float(np.sqrt(np.mean(samples.astype(np.float64) ** 2)))
    noise = np.random.default_rng(seed).standard_normal(len(samples)) * rms * 10 ** (-snr_db / 20)
    return (samples + noise).astype(np.float32)


def reverberate(samples: np.ndarray, rt60_s: float = 0.4, seed: int = 0) -> np.ndarray:
    """A room: the direct sound plus an exponentially decaying noise tail (60 dB down at `rt60_s`)."""
    t = np.arange(int(rt60_s * SAMPLE_RATE)) / SAMPLE_RATE
    tail = np.random.default_rng(seed).standard_normal(len(t)) * np.exp(-6.9 * t / rt60_s)
    response = np.concatenate([[1.0], 0.3 * tail / np.sqrt(np.sum(tail ** 2))])
    wet = np.convolve(samples, response)[:len(samples)]
    return (wet * np.sqrt(np.mean(samples ** 2) / np.mean(wet ** 2))).astype(np.float32)
