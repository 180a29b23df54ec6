"""Helpers shared by test modules (not fixtures: plain functions)."""

from __future__ import annotations

import shutil
from pathlib import Path

from simulator import bank

PROMPTS = Path(__file__).parents[1] / "prompts"


def edited_prompts(tmp_path: Path, name: str, old: str, new: str) -> str:
    """A copy of prompts/ in `tmp_path` whose <name>.toml has its first `old` replaced by
    `new` (a typo a user might make); returns the folder for a loader's `folder`."""
    folder = tmp_path / "prompts"
    if not folder.exists():
        shutil.copytree(PROMPTS, folder)
    text = (PROMPTS / f"{name}.toml").read_text(encoding="utf-8")
    assert old in text, old
    (folder / f"{name}.toml").write_text(text.replace(old, new, 1), encoding="utf-8")
    bank.load.cache_clear()
    return str(folder)
