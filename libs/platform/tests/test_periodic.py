"""The one loop of periodic background work (spiegel_platform.periodic), without servers."""

from __future__ import annotations

import asyncio
import itertools
from typing import Any

import pytest
from spiegel_platform.periodic import every, sleep_or_stop


class Log:
    """A logger that keeps what it was told (a fake, in place of structlog)."""

    def __init__(self) -> None:
        self.warnings: list[tuple[str, dict[str, Any]]] = []

    def warning(self, event: str, **fields: Any) -> None:
        self.warnings.append((event, fields))


class Work:
    """Records when it ran; fails with the queued errors first; stops the loop after `runs` runs."""

    def __init__(self, stop: asyncio.Event, runs: int, errors: list[BaseException] | None = None) -> None:
        self.stop = stop
        self.runs = runs
        self.errors = list(errors or [])
        self.at: list[float] = []
        self.results: list[int] = []

    async def __call__(self) -> int:
        self.at.append(asyncio.get_running_loop().time())
        if len(self.at) >= self.runs:
            self.stop.set()
        if self.errors:
            raise self.errors.pop(0)
        return self.results.pop(0) if self.results else 0

    def gaps(self) -> list[float]:
        return [round(b - a, 2) for a, b in itertools.pairwise(self.at)]


async def test_the_work_runs_at_once_then_every_interval_until_stopped():
    stop = asyncio.Event()
    work = Work(stop, runs=3)
    started = asyncio.get_running_loop().time()
    await asyncio.wait_for(every(0.05, work, stop, name="job"), 5)
    assert len(work.at) == 3
    assert work.at[0] - started < 0.04
    assert all(0.04 <= gap < 0.5 for gap in work.gaps())


async def test_a_stop_during_the_wait_ends_the_loop_at_once():
    stop = asyncio.Event()
    work = Work(stop, runs=100)
    loop = asyncio.create_task(every(60, work, stop, name="job"))
    await asyncio.sleep(0.05)
    stopped_at = asyncio.get_running_loop().time()
    stop.set()
    await asyncio.wait_for(loop, 1)
    assert len(work.at) == 1
    assert asyncio.get_running_loop().time() - stopped_at < 0.5


async def test_a_run_under_way_is_finished_not_cancelled():
    stop = asyncio.Event()
    finished = []

    async def slow() -> None:
        stop.set()  # asked to stop while running
        await asyncio.sleep(0.05)
        finished.append(True)

    await asyncio.wait_for(every(1, slow, stop, name="job"), 5)
    assert finished == [True]


async def test_a_failure_is_logged_by_name_and_tried_again_after_the_interval():
    stop = asyncio.Event()
    log = Log()
    work = Work(stop, runs=3, errors=[ConnectionError("db away"), ConnectionError("still away")])
    await asyncio.wait_for(every(0.05, work, stop, name="closing_job", log=log), 5)  # type: ignore[arg-type]
    assert len(work.at) == 3
    assert all(0.04 <= gap < 0.5 for gap in work.gaps())
    assert [event for event, _ in log.warnings] == ["closing_job_failed", "closing_job_failed"]
    assert log.warnings[0][1] == {"error": "ConnectionError('db away')"}


async def test_an_error_of_another_kind_ends_the_loop():
    stop = asyncio.Event()
    log = Log()
    work = Work(stop, runs=10, errors=[KeyError("a bug")])
    with pytest.raises(KeyError):
        await every(0.01, work, stop, name="job", failures=ConnectionError, log=log)  # type: ignore[arg-type]
    assert log.warnings == []
    assert len(work.at) == 1


async def test_with_max_backoff_the_wait_doubles_while_failures_last_and_starts_again_after_a_success():
    stop = asyncio.Event()
    plan: list[BaseException | None] = [OSError("1"), OSError("2"), OSError("3"), None, OSError("4"), None]
    at: list[float] = []

    async def work() -> None:
        at.append(asyncio.get_running_loop().time())
        outcome = plan.pop(0)
        if not plan:
            stop.set()
        if outcome is not None:
            raise outcome

    await asyncio.wait_for(every(0.1, work, stop, name="job", max_backoff=0.3, log=Log()), 10)  # type: ignore[arg-type]
    gaps = [b - a for a, b in itertools.pairwise(at)]
    assert len(gaps) == 5
    # after the failures 0.1, 0.2, 0.3 (capped); after the success the interval; after the next
    # failure the interval again (the backoff starts over)
    assert gaps[0] >= 0.09 and gaps[1] >= 0.19 and gaps[2] >= 0.29
    assert 0.09 <= gaps[3] < 0.19
    assert 0.09 <= gaps[4] < 0.19


async def test_a_pass_that_found_work_is_followed_at_once():
    stop = asyncio.Event()
    work = Work(stop, runs=4)
    work.results = [5, 3, 0, 0]
    await asyncio.wait_for(
        every(0.1, work, stop, name="issuer_pass", again_at_once=lambda handled: handled > 0), 5
    )
    gaps = work.gaps()
    assert gaps[0] < 0.05 and gaps[1] < 0.05
    assert gaps[2] >= 0.09


async def test_the_interval_must_be_positive():
    with pytest.raises(ValueError, match="positive"):
        await every(0, Work(asyncio.Event(), runs=1), asyncio.Event(), name="job")


async def test_sleep_or_stop_says_whether_it_was_stopped():
    stop = asyncio.Event()
    assert await sleep_or_stop(stop, 0.01) is False
    asyncio.get_running_loop().call_later(0.02, stop.set)
    started = asyncio.get_running_loop().time()
    assert await sleep_or_stop(stop, 30) is True
    assert asyncio.get_running_loop().time() - started < 1
