"""Where the project's data folders and the user's cache live.

`prompts/` and `models/` sit at the top of the repository; a wheel carries them as
`simulator/_data/…` (see pyproject.toml), an editable install reads them in place.
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

_PACKAGE = Path(__file__).resolve().parent


def project_dir(name: str) -> Path:
    """Return the shipped data folder `name` ("prompts" or "models")."""
    for candidate in (_PACKAGE / "_data" / name, _PACKAGE.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"data folder '{name}' is missing from the installation")


def cache_dir() -> Path:
    """The per-user cache for assembled models; MENSETSU_CACHE_DIR overrides it."""
    override = os.environ.get("MENSETSU_CACHE_DIR")
    return Path(override) if override else Path(platformdirs.user_cache_dir("mensetsu"))


def open_private(path: Path, mode: str = "wb", **kwargs):
    """Create `path` readable by its owner only: answers are personal career stories."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    return os.fdopen(fd, mode, **kwargs)
