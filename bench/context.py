"""What a benchmark gets: the stack, a scratch folder, and service processes it can start."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from spiegel_dev.pytest_plugin import Processes
from spiegel_dev.servers import Stack
from spiegel_platform.auth.service_tokens import ServiceTokenIssuer, SigningKey, jwks_of


@dataclass
class BenchContext:
    stack: Stack
    workdir: Path
    key: SigningKey = field(default_factory=lambda: SigningKey.generate("bench"))
    _processes: Processes | None = None

    @property
    def jwks(self) -> str:
        return json.dumps(jwks_of(self.key))

    @property
    def issuer(self) -> ServiceTokenIssuer:
        return ServiceTokenIssuer(self.key, lifetime_s=3600)

    @property
    def processes(self) -> Processes:
        if self._processes is None:
            self._processes = Processes(self.stack, self.jwks, self.workdir / "logs")
        return self._processes

    @property
    def ferretdb_pid(self) -> int | None:
        """The local FerretDB's process (None when an external database is used)."""
        return self.server_pids().get("ferretdb")

    def server_pids(self) -> dict[str, int]:
        """The local servers' processes by name (ferretdb, kafka; none when external ones are used)."""
        return {s.name: s.process.pid for s in self.stack.servers if s.process}

    def close(self) -> None:
        if self._processes is not None:
            self._processes.stop_all()


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (from /proc): robust to a shared, noisy machine."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class CpuUse:
    """The CPU time some processes use from now on, per unit of work (`pids`: name -> pid).
    `counter` reads another per-process count of seconds instead (`run_queue_wait_seconds`)."""

    def __init__(self, pids: dict[str, int], counter: Callable[[int], float] = cpu_seconds) -> None:
        self.pids, self.counter = dict(pids), counter
        self.before = {name: counter(pid) for name, pid in self.pids.items()}

    def per(self, units: int, *, scale: float, digits: int | None) -> dict[str, float]:
        """Each process's seconds since then, times `scale` (1000: ms), per unit."""
        return {
            name: round((self.counter(pid) - self.before[name]) * scale / max(1, units), digits)
            for name, pid in self.pids.items()
        }


def run_queue_wait_seconds(pid: int) -> float:
    """How long a process's threads have waited, runnable, for a CPU (/proc/<pid>/task/*/schedstat,
    second field): the share of a request's latency that is only queueing for a core. 0 where the
    kernel does not keep these statistics."""
    total = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            total += int((task / "schedstat").read_text().split()[1])
        except (OSError, IndexError, ValueError):  # a thread that ended, or no schedstats
            continue
    return total / 1e9


def cpu_times() -> list[int]:
    """The machine's CPU time counters (/proc/stat, first line): pass two to `busy_percent`."""
    return [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:9]]


def busy_percent(before: list[int], after: list[int]) -> float:
    """How busy the whole machine was between two `cpu_times()` (all cores, not idle or I/O wait)."""
    delta = [b - a for a, b in zip(before, after, strict=True)]
    total = sum(delta) or 1
    return round(100 * (total - delta[3] - delta[4]) / total, 1)


def machine_speed_probe() -> float:
    """Seconds a fixed piece of pure-Python work takes now (the best of three): run between
    measurements, with the services idle, it shows when the machine itself was slower (a shared
    virtual machine's cores are not always as fast)."""
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        total = 0
        for i in range(300_000):
            total += i * i
        best = min(best, time.perf_counter() - started)
    return best


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]
