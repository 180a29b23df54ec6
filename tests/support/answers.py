"""Saved answers built from text, with the delivery figures a recording would have added."""

from __future__ import annotations

from dataclasses import replace

from simulator.analysis.analyze import AnswerAnalysis, analyze_text
from simulator.analysis.record import RecordingInfo, SavedAnswer
from simulator.judge.delivery import DeliveryMetrics
from simulator.rules import bank
from simulator.speech.audio import Region
from simulator.speech.voice import VoiceMetrics


def delivery(**figures) -> DeliveryMetrics:
    """A clean 40-second answer at an easy pace; `figures` override any field."""
    base = dict(duration_s=41.0, speech_start_s=0.8, speech_end_s=40.8, speech_s=40.0, articulation_s=38.0,
                mora=227, mora_per_min=340.0, articulation_mora_per_min=358.4, chars=150, chars_per_min=225.0,
                fillers=(), fillers_per_min=0.0, speech=(Region(0.8, 40.8),), pauses=(), pause_count=3,
                longest_pause_s=0.6, target_s=60.0, length_verdict="ok", pace_verdict="easy")
    return DeliveryMetrics(**{**base, **figures})


def voice(*verdicts: str) -> VoiceMetrics:
    """A voice measurement that found `verdicts` (monotone, fading, rushing …)."""
    return VoiceMetrics(median_f0_hz=180.0, pitch_spread_st=2.5, loudness_db=-22.0, loudness_spread_db=6.0,
                        endings=(), fade_share=0.0, pace=(), pace_spread=1.05, response_latency_s=0.8,
                        longest_silence_s=0.6, verdicts=verdicts, curve={"t": [], "st": [], "db": []})


def spoken(text: str, qid: str, verdicts: tuple[str, ...] = (), **figures) -> AnswerAnalysis:
    """The analysis of `text` as if it had been said, with `figures` of its delivery."""
    return replace(analyze_text(text, qid), delivery=delivery(**figures), voice=voice(*verdicts))


def saved(text: str, qid: str, idx: int = 1, verdicts: tuple[str, ...] = (), **figures) -> SavedAnswer:
    return SavedAnswer(idx, qid, bank.questions()[qid].text, f"{idx:02d}_{qid}.wav",
                       recording=RecordingInfo("silence"), analysis=spoken(text, qid, verdicts, **figures))
