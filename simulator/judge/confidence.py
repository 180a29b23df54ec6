"""Which recognised words may be mishearings, from Whisper's word probabilities.

Feedback the user can trust must not quote a misheard figure back as if it were said,
nor judge it (a consistency check on 100万円 that was really 200万円). Text drafts have
no probabilities and are taken as written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from simulator.lang.japanese import normalise
from simulator.rules.typed import ConfidenceRules
from simulator.speech.asr import Word

_PUNCT = re.compile(r"[\s、。,.!?！？「」]")
# Only spans that carry content are tracked: a digit, a kanji or a katakana. A lone
# particle heard unsurely would otherwise mark every の in a quote.
_CONTENT = re.compile(r"[0-9\u4e00-\u9fff\u30a0-\u30ff]")
_FIGURE = re.compile(r"[0-9〇一二三四五六七八九十百千万億]")


@dataclass(frozen=True)
class Confidence:
    """The uncertain words of one transcript (normalised text, punctuation removed)."""

    uncertain: tuple[str, ...] = ()
    mark_format: str = "{word}(?)"

    @classmethod
    def of(cls, words: tuple[Word, ...] | list[Word], rules: ConfidenceRules) -> "Confidence":
        """Runs of adjacent unsure tokens (Whisper's Japanese words are often one character)."""
        spans: list[str] = []
        run = ""
        for w in [*words, None]:
            text = _PUNCT.sub("", normalise(w.text)) if w is not None else ""
            if w is not None and text and w.probability < rules.min_probability:
                run += text
                continue
            if _CONTENT.search(run) and run not in spans:
                spans.append(run)
            run = ""
        return cls(tuple(spans), rules.mark)

    def touches(self, text: str, figures_only: bool = False) -> bool:
        """Whether `text` contains a word (or, with `figures_only`, a figure) heard with low confidence."""
        t = normalise(text)
        return any(word in t for word in self.uncertain if not figures_only or _FIGURE.search(word))

    def mark(self, text: str) -> str:
        """`text` with every uncertain word marked, longest first so marks do not nest."""
        if not self.uncertain:
            return text
        pattern = "|".join(re.escape(w) for w in sorted(self.uncertain, key=len, reverse=True))
        return re.sub(pattern, lambda m: self.mark_format.format(word=m.group(0)), normalise(text))
