"""Two attempts at the same question, figure by figure: what improved and what got worse.

Each figure says which way is better in interview terms: length towards the question's
target, pace into the easy band (prompts/delivery.toml [pace]), fewer fillers, the
conclusion first, figures given, fewer content issues and voice verdicts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from simulator.analysis.record import SavedAnswer


@dataclass(frozen=True)
class Change:
    name: str            # speech_s, mora_per_min, fillers_per_min, conclusion_first, …
    before: Any
    after: Any
    verdict: str         # better, worse, same

    def to_dict(self) -> dict:
        return {"name": self.name, "before": self.before, "after": self.after, "verdict": self.verdict}


def _distance_to(low: float, high: float) -> Callable[[float], float]:
    return lambda v: max(low - v, 0.0, v - high)


def _figures(a: SavedAnswer, pace: dict) -> dict[str, tuple[Any, Callable[[Any], float] | None]]:
    """Each figure's value and its badness (lower is better); None where no direction holds."""
    m = a.analysis
    d, c = (m.delivery, m.content) if m else (None, None)
    target = d.target_s if d else 60.0
    return {
        "speech_s": (d and d.speech_s, _distance_to(0.75 * target, 1.25 * target)),
        "mora_per_min": (d and d.mora_per_min, _distance_to(pace.easy_low, pace.easy_high)),
        "fillers_per_min": (d and d.fillers_per_min, lambda v: v),
        "conclusion_first": (c and c.conclusion_first, lambda v: 0.0 if v else 1.0),
        "has_numbers": (c and c.has_numbers, lambda v: 0.0 if v else 1.0),
        "issues": (c.issue_ids if c else [], len),
        "voice_verdicts": (list(m.voice.verdicts) if m and m.voice else [], len),
    }


def compare(before: SavedAnswer, after: SavedAnswer, pace: dict, tolerance: float = 0.05) -> list[Change]:
    """Figure by figure; a change in a number smaller than `tolerance` of its size is `same`."""
    old, new = _figures(before, pace), _figures(after, pace)
    out = []
    for name, (b, badness) in old.items():
        a = new[name][0]
        if a is None or b is None:
            out.append(Change(name, b, a, "same"))
            continue
        worse_by = badness(a) - badness(b)
        scale = abs(b) if isinstance(b, (int, float)) and not isinstance(b, bool) else 0.0
        if abs(worse_by) <= tolerance * scale or worse_by == 0:
            verdict = "same"
        else:
            verdict = "worse" if worse_by > 0 else "better"
        out.append(Change(name, b, a, verdict))
    return out
