"""Times: people think in Europe/Amsterdam, the database and the events hold UTC."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from google.protobuf.timestamp_pb2 import Timestamp
from pydantic import BeforeValidator, PlainSerializer
from spiegel_platform import moments

AMSTERDAM = ZoneInfo("Europe/Amsterdam")


def now() -> datetime:
    return datetime.now(UTC)


def as_utc(moment: datetime) -> datetime:
    """A moment in UTC; a naive time is read as Amsterdam wall-clock time (the database's are UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=AMSTERDAM)
    return moment.astimezone(UTC)


def from_db(moment: datetime) -> datetime:
    """MongoDB returns naive UTC datetimes."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def as_stored(moment: datetime) -> datetime:
    """The moment as the database keeps it: whole milliseconds (BSON), so an event made before the
    document is read back says the same as one made after."""
    return moment.replace(microsecond=moment.microsecond - moment.microsecond % 1000)


def local(moment: datetime) -> datetime:
    return from_db(moment).astimezone(AMSTERDAM)


def day_of(moment: datetime) -> str:
    return from_db(moment).astimezone(AMSTERDAM).date().isoformat()


def stamp(moment: datetime) -> Timestamp:
    value = Timestamp()
    value.FromDatetime(from_db(moment).replace(tzinfo=None))
    return value


def _parse(value: Any) -> Any:
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            raise ValueError("not a date-time (ISO 8601, e.g. 2026-03-01T17:00:00+01:00)") from None
    if not isinstance(value, datetime):
        raise ValueError("not a date-time (ISO 8601 text)")
    try:
        moment = as_utc(value)
    except OverflowError:  # e.g. 0001-01-01T00:00:00 in Amsterdam time is before year 1 in UTC
        moment = None
    if moment is None or not moments.in_range(moment):
        raise ValueError(moments.OUT_OF_RANGE)
    return moment


# Input only (query parameters): ISO 8601 with an offset, or without one meaning Amsterdam time.
Moment = Annotated[datetime, BeforeValidator(_parse)]

# Input: ISO 8601 with an offset, or without one meaning Amsterdam time. Output: Amsterdam time.
LocalTime = Annotated[
    datetime,
    BeforeValidator(_parse),
    PlainSerializer(lambda v: local(v).isoformat(), return_type=str, when_used="json"),
]
