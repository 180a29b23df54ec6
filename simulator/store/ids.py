"""Ids the user types: a whole id, a unique prefix of it (like git), or its last part."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path


def matching(paths: Iterable[Path], ref: str, id_of=lambda p: p.name) -> list[Path]:
    """The paths whose id starts with `ref`, or ends with it when it has at least four
    characters (the short id the lists show); the caller says what none or several mean."""
    return [p for p in paths if id_of(p).startswith(ref) or (len(ref) >= 4 and id_of(p).endswith(ref))]
