"""The range of moments every service takes in.

Far beyond any round, yet every moment in it converts to UTC and Amsterdam time,
to BSON and to an event's timestamp without overflowing (9999-12-31T23:59:59-12:00
has no UTC datetime). Aware datetimes are compared without being converted.
"""

from __future__ import annotations

from datetime import UTC, datetime

EARLIEST = datetime(1970, 1, 2, tzinfo=UTC)
LATEST = datetime(2999, 12, 31, tzinfo=UTC)
OUT_OF_RANGE = f"out of range: between {EARLIEST:%Y-%m-%d} and {LATEST:%Y-%m-%d} (UTC)"


def in_range(moment: datetime) -> bool:
    """Whether an aware moment lies in the range."""
    return EARLIEST <= moment <= LATEST
