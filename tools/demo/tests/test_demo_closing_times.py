"""The demo's rounds close as the pages promise: at 17:00 in Amsterdam (walk finding: 02:07)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from spiegel_demo.rounds import closing_time


def test_a_demo_round_closes_at_five_in_the_afternoon_in_amsterdam() -> None:
    for now in (datetime(2026, 3, 1, 1, 7, tzinfo=UTC), datetime(2026, 10, 20, 23, 30, tzinfo=UTC)):
        closes = closing_time(21, now).astimezone(ZoneInfo("Europe/Amsterdam"))
        assert (closes.hour, closes.minute, closes.second) == (17, 0, 0), closes
        assert 20 <= (closes - now).days <= 21
