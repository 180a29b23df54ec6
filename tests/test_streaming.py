"""Transcribing while recording: the microphone path replayed in real time, real model."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from simulator.speech.asr import chunk_regions
from simulator.speech.audio import Region, load_audio
from simulator.speech.capture import MicrophoneSource
from simulator.speech.replay import ReplayDevice
from simulator.speech.streaming import StreamingTranscriber


def test_min_s_cuts_at_the_first_pause_once_a_chunk_is_long_enough():
    regions = [Region(i * 2.0, i * 2.0 + 1.6) for i in range(10)]   # 0.4 s pauses
    assert len(chunk_regions(regions)) == 1                          # whole file: one window
    short = chunk_regions(regions, min_s=5.0)
    assert [round(c.start, 1) for c in short] == [0.0, 6.0, 12.0, 18.0]
    assert all(c.length >= 5.0 for c in short[:-1])


@pytest.fixture(scope="module")
def replayed(analyzer, dev_dir, dev_truth, tmp_path_factory):
    """dev04 (21 s) spoken into MicrophoneSource in real time while it is transcribed."""
    truth = next(r for r in dev_truth if r["file"].startswith("dev04"))
    samples = load_audio(dev_dir / truth["file"])
    device = ReplayDevice()
    device.load(samples)
    mic = MicrophoneSource(None, silence_s=10.0, backend=device, stop=device.finished)
    stream = StreamingTranscriber(lambda: analyzer.transcriber, truth["question"])
    dest = tmp_path_factory.mktemp("stream") / "a.wav"
    recording = mic.record(dest, 60.0, on_audio=stream.feed)
    decoded_while_recording = stream.decodes
    analysis = analyzer.analyze_samples(recording.samples, truth["question"], streamed=stream)
    return truth, samples, recording, analysis, decoded_while_recording


@pytest.mark.slow
def test_streamed_answer_is_decoded_while_it_is_spoken(replayed):
    truth, samples, recording, analysis, decoded_while_recording = replayed
    assert recording.ended_by == "enter"
    assert decoded_while_recording >= 2      # chunks were decoded before the answer ended
    on_disk = load_audio(recording.path)
    assert abs(len(on_disk) - len(samples)) < 0.2 * 16000   # the whole answer is on disk
    n = min(len(on_disk), len(samples))
    assert np.corrcoef(on_disk[:n], samples[:n])[0, 1] > 0.99


def test_streamed_answer_keeps_fillers_and_timing(replayed, dev_results):
    truth, _, _, analysis, _ = replayed
    d = analysis.delivery
    assert Counter(f.canonical for f in d.fillers) == Counter(truth["fillers"])
    assert abs(d.speech_s - truth["speech_s"]) < 0.3
    whole = dev_results[truth["file"]]
    assert abs(d.mora_per_min / whole.delivery.mora_per_min - 1) < 0.1
    labels = ("conclusion_first", "has_numbers", "issues")
    assert {k: analysis.content.to_dict()[k] for k in labels} == {k: whole.content.to_dict()[k] for k in labels}


def test_cancel_stops_the_worker_and_errors_reach_the_caller():
    stream = StreamingTranscriber(lambda: (_ for _ in ()).throw(RuntimeError("model failed")))
    stream.feed(np.zeros(16000, np.float32))
    with pytest.raises(RuntimeError, match="model failed"):
        stream.finish()
    idle = StreamingTranscriber(lambda: None)
    idle.cancel()
    idle._thread.join(timeout=5)
    assert not idle._thread.is_alive()
