"""Waiting in tests for something another process does: poll until it holds, or fail saying what."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any


async def eventually(
    check: Callable[[], Awaitable[Any]], timeout: float = 60.0, what: str = "", interval: float = 0.2
) -> Any:
    """The first truthy result of `check`; after `timeout`, an AssertionError naming `what`."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = await check()
        if last:
            return last
        await asyncio.sleep(interval)
    raise AssertionError(f"timed out after {timeout} s waiting for {what or check}: last {last!r}")


def until(check: Callable[[], Any], timeout: float = 60.0, what: str = "", interval: float = 0.05) -> Any:
    """`eventually` for a synchronous check (a test that runs in a thread or outside an event loop)."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout} s waiting for {what or check}: last {last!r}")
