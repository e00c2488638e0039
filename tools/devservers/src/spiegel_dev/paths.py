"""Where things are: the repository root and the git-ignored cache."""

from __future__ import annotations

import os
from pathlib import Path


def repo_root() -> Path:
    here = Path(__file__).resolve()
    for parent in here.parents:
        if (parent / "uv.lock").exists() and (parent / "proto").is_dir():
            return parent
    raise RuntimeError(f"cannot find the repository root above {here}")


def cache_dir() -> Path:
    """The project's own cache (git-ignored); SPIEGEL_CACHE_DIR moves it."""
    path = Path(os.environ.get("SPIEGEL_CACHE_DIR", repo_root() / ".cache"))
    path.mkdir(parents=True, exist_ok=True)
    return path
