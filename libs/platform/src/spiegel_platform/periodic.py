"""Periodic background work: one loop for every scheduled job of every service.

    async def closing_job(runtime: SurveyRuntime, stop: asyncio.Event) -> None:
        await every(
            runtime.settings.round_close_interval_s,
            lambda: close_due_rounds(runtime),
            stop,
            name="closing_job",
            log=log,
        )

The work runs at once, then again `interval` seconds after each run ends, until
`stop` is set (a run under way is finished, never cancelled: `stop` is only
looked at between runs). A failure of a kind in `failures` is logged as
`<name>_failed` (a warning with the error) and the work is tried again after
the interval, or, with `max_backoff`, after a wait that doubles from the
interval up to `max_backoff` while the failures last. Any other exception ends
the loop and reaches the caller: a bug is not retried for ever. A queue worked
off in passes says with `again_at_once` when a pass found work, so the next
pass follows without waiting.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import structlog

from spiegel_platform.logging import get_logger

Result = TypeVar("Result")

_log = get_logger(__name__)


async def sleep_or_stop(stop: asyncio.Event, seconds: float) -> bool:
    """Wait `seconds`, or less when `stop` is set meanwhile; True when stopped."""
    try:
        await asyncio.wait_for(stop.wait(), timeout=seconds)
    except TimeoutError:
        return False
    return True


async def every(
    interval: float,
    work: Callable[[], Awaitable[Result]],
    stop: asyncio.Event,
    *,
    name: str,
    failures: type[BaseException] | tuple[type[BaseException], ...] = Exception,
    max_backoff: float | None = None,
    again_at_once: Callable[[Result], bool] | None = None,
    log: structlog.stdlib.BoundLogger | None = None,
) -> None:
    """Run `work` every `interval` seconds until `stop` is set (see the module's docstring)."""
    if interval <= 0:
        raise ValueError("the interval must be positive")
    logger = log or _log
    wait = interval
    while not stop.is_set():
        try:
            result: Any = await work()
        except failures as error:
            logger.warning(f"{name}_failed", error=repr(error))
            await sleep_or_stop(stop, wait)
            if max_backoff is not None:
                wait = min(wait * 2, max_backoff)
            continue
        wait = interval
        if again_at_once is not None and again_at_once(result):
            continue
        await sleep_or_stop(stop, interval)
