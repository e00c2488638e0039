"""The `spiegel.seeds` entry point: run by `make run` (spiegel_dev.run) once every process is ready."""

from __future__ import annotations

from typing import Any

from spiegel_demo import hospital


def seed(stack: Any, processes: list[Any]) -> None:
    # The hospital, its people and groups, and the rounds made through the gateway as its
    # coordinator would (each part skips what an earlier `make run` made).
    print("seeding demo data", flush=True)
    hospital.seed(stack=stack, processes=processes)
