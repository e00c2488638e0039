"""The board's yearly overview by e-mail (issue 20, point 6): once per hospital and year.

Where a hospital made the group plans part of its quality policy (`board_progress` on), the
overview of year Y is due on the first day of the hospital's month (`board_overview_month`,
default January) at the checks' local hour (`checks.model.LOCAL_HOUR`, 09:00) in the hospital's
time zone, and stays due until that month ends (a scheduler down for a whole month does not send
it in, say, July; a hospital that turns the setting on mid-year gets its first one next year).

Exactly once without transactions: the overview's unique insert into `board_overviews` (its id:
the year, per tenant), with BoardProgressOverviewDue in the same document's outbox, is the claim.
A second pass, a second process or a pass repeated after a kill -9 finds it there (a duplicate:
nothing new). With the setting off nothing is made. The event carries ids only; the invitation
service mails each active board member a link to the overview's PDF behind sign-in.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, time

from spiegel.action_plan.v1 import events_pb2
from spiegel_platform.events import new_event
from spiegel_platform.logging import get_logger
from spiegel_platform.storage.stores import Stores

from spiegel_action_plan.checks import hospital, model
from spiegel_action_plan.checks.service import PRODUCER, stamp
from spiegel_action_plan.storage import Store

DEFAULT_MONTH = 1
log = get_logger(__name__)


def overview_moment(year: int, month: int, time_zone: str | None) -> datetime:
    """The first day of `month` of `year` at LOCAL_HOUR in the hospital's zone, in UTC."""
    tz = model.zone(time_zone)
    return datetime.combine(datetime(year, month, 1).date(), time(model.LOCAL_HOUR), tzinfo=tz).astimezone(
        UTC
    )


def due_year(now: datetime, month: int, time_zone: str | None) -> int | None:
    """The year whose overview is due at `now`: from its moment until the month ends; else None."""
    local = now.astimezone(model.zone(time_zone))
    if local.month != month:
        return None
    return local.year if now >= overview_moment(local.year, month, time_zone) else None


def overview_id_of(tenant_id: str, year: int) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"spiegel:board-overview:{tenant_id}:{year}"))


class YearlyOverviews:
    def __init__(self, stores: Stores[Store]) -> None:
        self.stores = stores

    async def make_due(self, now: datetime | None = None) -> int:
        """One pass: the overview of each hospital whose moment has come; returns how many new."""
        now = now or datetime.now(UTC)
        hospitals = await (
            self.stores.across_tenants(Store.hospitals)
            .find({"board_progress": True}, projection={"_outbox": 0})
            .to_list()
        )
        made = 0
        for doc in hospitals:
            if doc.get("id") != hospital.SETTINGS or not doc.get("tenant_id"):
                continue
            settings = hospital.of(doc)
            year = due_year(now, settings.board_overview_month, settings.time_zone)
            if year is None:
                continue
            tenant_id = str(doc["tenant_id"])
            overview_id = overview_id_of(tenant_id, year)
            due_at = overview_moment(year, settings.board_overview_month, settings.time_zone)
            event = new_event(
                events_pb2.BoardProgressOverviewDue(overview_id=overview_id, year=year, due_at=stamp(due_at)),
                tenant_id=tenant_id,
                producer=PRODUCER,
            )
            inserted = await self.stores.tenant(tenant_id).board_overviews.insert_many(
                [
                    {
                        "id": str(year),
                        "overview_id": overview_id,
                        "year": year,
                        "due_at": due_at,
                        "created_at": now,
                    }
                ],
                [[event]],
            )
            if inserted:
                made += 1
                log.info("board_overview_due", tenant_id=tenant_id, overview_id=overview_id, year=year)
        return made
