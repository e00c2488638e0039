"""Readiness checks: a process is ready only when what it needs is reachable."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from spiegel_platform.kafka import kafka_reachable
from spiegel_platform.settings import KafkaSettings


@dataclass
class ReadinessCheck:
    name: str
    probe: Callable[[], Awaitable[Any]]
    cache_seconds: float = 2.0
    _ok_until: float = 0.0

    async def run(self, timeout: float = 3.0) -> tuple[bool, str]:
        if time.monotonic() < self._ok_until:
            return True, "ok"
        try:
            await asyncio.wait_for(self.probe(), timeout=timeout)
        except Exception as error:
            return False, f"{type(error).__name__}: {error}"[:300]
        self._ok_until = time.monotonic() + self.cache_seconds
        return True, "ok"


def mongo_check(db: Any) -> ReadinessCheck:
    async def probe() -> None:
        await db.command("ping")

    return ReadinessCheck("mongodb", probe)


def kafka_check(settings: KafkaSettings) -> ReadinessCheck:
    return ReadinessCheck("kafka", lambda: kafka_reachable(settings), cache_seconds=5.0)


async def readiness(checks: list[ReadinessCheck]) -> tuple[bool, dict[str, str]]:
    results = await asyncio.gather(*(c.run() for c in checks))
    report = {c.name: detail for c, (_, detail) in zip(checks, results, strict=True)}
    return all(ok for ok, _ in results), report
