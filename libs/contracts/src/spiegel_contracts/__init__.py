"""Spiegel's event contracts.

The messages are defined in proto/ (one file per producing service, packages
versioned as spiegel.<service>.v<N>) and compiled to the `spiegel` package here
by `make proto`; the generated code is never edited by hand nor committed.
"""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType

_loaded: list[ModuleType] = []


def event_modules() -> list[ModuleType]:
    """Every generated *_pb2 module under spiegel.* (imported once)."""
    if not _loaded:
        try:
            import spiegel
        except ImportError as error:  # pragma: no cover - a set-up problem, explained
            raise ImportError("event contracts are not generated: run `make proto`") from error
        for info in pkgutil.walk_packages(spiegel.__path__, prefix="spiegel."):
            if info.name.endswith("_pb2"):
                _loaded.append(importlib.import_module(info.name))
    return list(_loaded)


def load_all() -> None:
    event_modules()
