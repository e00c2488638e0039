"""Rate limits on sign-in, password reset and invitation links, per IP and per account or token.

A sliding-window counter per key (the previous window's count, weighted by
how much of it still overlaps, plus the current one), kept in the memory of
each gateway process: a check costs no database round trip, which matters
most when someone floods the gateway. With N replicas the effective limit is
at most N times the configured one; 192-bit link tokens make guessing futile
either way, and the limits make it visible and slow. The number of keys is
capped, so a flood from many addresses cannot exhaust memory (the oldest keys
are dropped first).
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from spiegel_platform.errors import ApiError

MAX_KEYS = 200_000


@dataclass(frozen=True)
class Policy:
    name: str
    limit: int
    window_s: float


@dataclass
class _Window:
    start: float
    current: int
    previous: int


class RateLimited(ApiError):
    def __init__(self, policy: Policy, retry_after: float) -> None:
        seconds = max(1, int(retry_after + 0.999))
        super().__init__(
            429,
            "too_many_attempts",
            extra={"policy": policy.name, "retry_after_s": seconds},
            headers={"Retry-After": str(seconds)},
        )
        self.policy = policy


class RateLimiter:
    def __init__(self, clock: Callable[[], float] = time.monotonic, max_keys: int = MAX_KEYS) -> None:
        self.clock = clock
        self.max_keys = max_keys
        self._windows: OrderedDict[tuple[str, str], _Window] = OrderedDict()

    def _window(self, policy: Policy, key: str, now: float) -> _Window:
        slot = (policy.name, key)
        window = self._windows.get(slot)
        if window is None:
            window = _Window(now - now % policy.window_s, 0, 0)
            self._windows[slot] = window
            if len(self._windows) > self.max_keys:
                self._windows.popitem(last=False)
        else:
            self._windows.move_to_end(slot)
        start = now - now % policy.window_s
        if start != window.start:
            window.previous = window.current if start - window.start == policy.window_s else 0
            window.current = 0
            window.start = start
        return window

    @staticmethod
    def _estimate(policy: Policy, window: _Window, now: float) -> float:
        overlap = 1 - (now - window.start) / policy.window_s
        return window.previous * overlap + window.current

    def retry_after(self, policy: Policy, key: str) -> float | None:
        """Seconds until `key` may try again, or None when it may now (counts nothing)."""
        now = self.clock()
        window = self._window(policy, key, now)
        if self._estimate(policy, window, now) + 1 <= policy.limit:
            return None
        return window.start + policy.window_s - now

    def hit(self, policy: Policy, key: str) -> None:
        """Count one attempt; raise RateLimited (429) when over the limit."""
        now = self.clock()
        window = self._window(policy, key, now)
        if self._estimate(policy, window, now) + 1 > policy.limit:
            raise RateLimited(policy, window.start + policy.window_s - now)
        window.current += 1

    def check(self, policy: Policy, key: str) -> None:
        """Raise RateLimited when `key` is over the limit, without counting."""
        wait = self.retry_after(policy, key)
        if wait is not None:
            raise RateLimited(policy, wait)

    def count(self, policy: Policy, key: str) -> None:
        """Count one attempt (e.g. a failure) without refusing this one."""
        now = self.clock()
        self._window(policy, key, now).current += 1

    def refund(self, policy: Policy, key: str) -> None:
        """Take back one counted attempt (it turned out not to count, e.g. a link that opened)."""
        window = self._windows.get((policy.name, key))
        if window is not None and window.current > 0:
            window.current -= 1

    def reset(self, policy: Policy, key: str) -> None:
        self._windows.pop((policy.name, key), None)
