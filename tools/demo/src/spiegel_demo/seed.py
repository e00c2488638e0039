"""The `spiegel.seeds` entry point: run by `make run` (spiegel_dev.run) once every process is ready."""

from __future__ import annotations

from typing import Any

from spiegel_demo import hospital, survey


def seed(stack: Any, processes: list[Any]) -> None:
    # The survey's own demo rounds first, then the hospital, its people and the rounds made
    # through the gateway (each part skips what an earlier `make run` made).
    for name, part in (("survey", survey.seed), ("gateway", hospital.seed)):
        print(f"seeding demo data: {name}", flush=True)
        part(stack=stack, processes=processes)
