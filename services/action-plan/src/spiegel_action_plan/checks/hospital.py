"""A hospital's settings for the group plans' checks (and the board's yearly progress), kept
here in `hospitals/settings`; its time zone comes from the gateway's TenantConfigured, one entry
per settings revision (`$set`: idempotent, order-independent; the highest revision wins)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from spiegel_action_plan.checks import model
from spiegel_action_plan.storage import Store

SETTINGS = "settings"


@dataclass(frozen=True)
class HospitalSettings:
    time_zone: str = model.DEFAULT_TIME_ZONE
    check_interval_months: int = model.DEFAULT_INTERVAL_MONTHS
    check_recipients: str = model.DEFAULT_RECIPIENTS
    board_progress: bool = False
    # The month of the board's yearly overview by e-mail (board/yearly.py).
    board_overview_month: int = 1

    def out(self) -> dict[str, Any]:
        return {
            "time_zone": self.time_zone,
            "group_plan_check_interval_months": self.check_interval_months,
            "group_plan_check_recipients": self.check_recipients,
            "board_progress": self.board_progress,
            "board_overview_month": self.board_overview_month,
        }


def of(doc: dict[str, Any] | None) -> HospitalSettings:
    doc = doc or {}
    zones = doc.get("zones") or {}
    latest = str(doc.get("revision", ""))
    return HospitalSettings(
        time_zone=str(zones.get(latest) or model.DEFAULT_TIME_ZONE),
        check_interval_months=int(doc.get("check_interval_months") or model.DEFAULT_INTERVAL_MONTHS),
        check_recipients=str(doc.get("check_recipients") or model.DEFAULT_RECIPIENTS),
        board_progress=bool(doc.get("board_progress", False)),
        board_overview_month=min(12, max(1, int(doc.get("board_overview_month") or 1))),
    )


async def read(store: Store) -> HospitalSettings:
    return of(await store.hospitals.get(SETTINGS))
