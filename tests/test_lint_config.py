"""mypy sees every package of the workspace under its import name, so types cross packages
(a service's `runtime.settings` is its own settings class, checked)."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_mypy_path_lists_every_package_source_folder():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mypy"]
    folders = {
        str(src.relative_to(ROOT))
        for pattern in ("libs/*/src", "services/*/src", "tools/*/src")
        for src in ROOT.glob(pattern)
        if (src.parent / "pyproject.toml").exists()
    }
    assert "services/survey/src" in folders
    assert folders == set(config["mypy_path"])
