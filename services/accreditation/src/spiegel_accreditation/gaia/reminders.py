"""The reminder to the coordinators before a session's GAIA deadline: a periodic job of the
consumer process (`Gaia.remind_due`: exactly once per session and deadline, by a unique insert
that holds the event in its outbox; the relay publishes it)."""

from __future__ import annotations

import asyncio

from spiegel_platform.logging import get_logger
from spiegel_platform.periodic import every

from spiegel_accreditation.settings import AccreditationRuntime
from spiegel_accreditation.wiring import Accreditation

log = get_logger(__name__)


async def remind_loop(runtime: AccreditationRuntime, stop: asyncio.Event) -> None:
    gaia = Accreditation.of(runtime).gaia
    # Any failure is logged and the next pass retries; the loop never stops.
    await every(
        runtime.settings.gaia_reminder_interval_seconds, gaia.remind_due, stop, name="gaia_reminders", log=log
    )
