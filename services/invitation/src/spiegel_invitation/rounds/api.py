"""Rounds over HTTP: setup before opening, progress, chasing, reminder schedules, rater fatigue."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path
from pydantic import AwareDatetime, BaseModel, Field, field_validator
from spiegel_platform import moments
from spiegel_platform.errors import ApiError

from spiegel_invitation.access import Coordinator, Staff, is_coordinator, require_round_access
from spiegel_invitation.mail.due import chase_recipients
from spiegel_invitation.mail.queue import (
    assignment_mail,
    enqueue,
    enqueue_request,
    invitation_key,
    manual_key,
)
from spiegel_invitation.nominations.service import RoundCache, fatigue_limit, open_requests
from spiegel_invitation.reminders.claims import claim_reminders
from spiegel_invitation.rounds.handlers import schedule_reminders
from spiegel_invitation.rounds.model import GROUP_MONITOR, IFMS, Group, ReminderPolicy, default_groups
from spiegel_invitation.rounds.views import active_entries, reminder_policy, round_view
from spiegel_invitation.settings import InvitationRuntime
from spiegel_invitation.storage import Store
from spiegel_invitation.wiring import Invitation

Document = dict[str, Any]
# Round ids as the survey service makes them (UUIDs), and short ones such as "r1" in tests.
ROUND_ID = r"^[A-Za-z0-9_-]{1,64}$"


class RoundSetup(BaseModel):
    title: str = Field(..., min_length=1, max_length=200)
    kind: str = Field(IFMS, pattern=f"^({IFMS}|{GROUP_MONITOR})$")
    subject_id: str = Field(..., min_length=1, max_length=100)
    subject_name: str = Field(..., min_length=1, max_length=200)
    member_ids: list[str] = Field(default_factory=list, max_length=200)
    groups: list[Group] = Field(default_factory=list, max_length=20)
    opens_at: AwareDatetime | None = None
    closes_at: AwareDatetime | None = None

    @field_validator("groups")
    @classmethod
    def _unique_codes(cls, groups: list[Group]) -> list[Group]:
        codes = [g.code for g in groups]
        if len(codes) != len(set(codes)):
            raise ValueError("group codes must be unique")
        return groups

    @field_validator("opens_at", "closes_at")
    @classmethod
    def _plausible(cls, value: datetime | None) -> datetime | None:
        # The platform's range (the survey's too), with room left for the reminder arithmetic.
        if value is not None and not moments.in_range(value):
            raise ValueError(moments.OUT_OF_RANGE)
        return value


class PolicyIn(BaseModel):
    max_reminders: int = Field(3, ge=0, le=10)
    interval_days: float = Field(7.0, ge=1.0, le=60.0)
    quiet_days: float = Field(1.0, ge=0.0, le=30.0)
    min_interval_hours: float = Field(
        24.0,
        ge=0.0,
        le=720.0,
        description="the least time between two reminders to one person, by hand or not",
    )


class ChaseIn(BaseModel):
    group: str | None = Field(None, max_length=40)
    assignment_ids: list[str] | None = Field(None, max_length=5000)
    request_id: str = Field(default_factory=lambda: uuid.uuid4().hex, pattern=r"^[A-Za-z0-9_-]{1,64}$")


def _public(view: Document) -> Document:
    keys = (
        "id",
        "title",
        "kind",
        "subject_id",
        "subject_name",
        "member_ids",
        "groups",
        "opens_at",
        "closes_at",
        "status",
        "reminders",
    )
    return {k: view.get(k) for k in keys}


async def assignment_states(store: Store, view: Document) -> list[Document]:
    """Per nominee and self-evaluation: issued, invitation mail, completed, opted out, withdrawn."""
    progress = await store.progress.get(view["id"]) or {}
    completed = progress.get("completed") or {}
    rows = []
    from spiegel_invitation.rounds.issuing import self_entries

    entries = [{"id": aid, **e} for aid, e in view["entries"].items()]
    entries += [{**e, "status": "active"} for e in await self_entries(store, view)]
    for entry in entries:
        aid = entry["id"]
        assignment = await store.assignments.get(aid, projection={"opted_out_at": 1, "withdrawn_at": 1})
        delivery = await store.deliveries.get(invitation_key(aid)) if assignment else None
        if entry.get("status") == "withdrawn" or (assignment and assignment.get("withdrawn_at")):
            mail = "withdrawn"
        elif assignment is None:
            mail = "not_issued"
        elif delivery:
            mail = {"sent": "sent", "failed": "failed", "skipped": "skipped"}.get(
                delivery["state"], "pending"
            )
        else:
            mail = "pending"
        rows.append(
            {
                "assignment_id": aid,
                "group": entry["group"],
                "is_self": bool(entry.get("is_self")),
                "name": entry.get("name", ""),
                "email": entry.get("email", ""),
                "invitation": mail,
                "invitation_error": (delivery or {}).get("last_error"),
                "completed": aid in completed,
                "opted_out": bool(assignment and assignment.get("opted_out_at")),
                "withdrawn": mail == "withdrawn",
            }
        )
    return rows


def group_counts(view: Document, rows: list[Document]) -> list[Document]:
    counts: dict[str, Document] = {}
    for group in view["groups"]:
        counts[group["code"]] = {
            "group": group["code"],
            "label_nl": group.get("label_nl", ""),
            "label_en": group.get("label_en", ""),
            "is_self": bool(group.get("is_self")),
            "nominated": 0,
            "invited": 0,
            "pending": 0,
            "failed": 0,
            "completed": 0,
            "opted_out": 0,
            "withdrawn": 0,
        }
    for row in rows:
        c = counts.setdefault(
            row["group"],
            {
                "group": row["group"],
                "nominated": 0,
                "invited": 0,
                "pending": 0,
                "failed": 0,
                "completed": 0,
                "opted_out": 0,
                "withdrawn": 0,
            },
        )
        if row["withdrawn"]:
            c["withdrawn"] += 1
            continue
        c["nominated"] += 1
        c["invited"] += row["invitation"] == "sent"
        c["pending"] += row["invitation"] in ("pending", "not_issued")
        c["failed"] += row["invitation"] == "failed"
        c["completed"] += row["completed"]
        c["opted_out"] += row["opted_out"]
    return list(counts.values())


def router(runtime: InvitationRuntime) -> APIRouter:
    stores = Invitation.of(runtime).stores
    api = APIRouter(prefix="/rounds", tags=["rounds"])

    def store_of(principal: Any) -> Store:
        return stores.tenant(principal.tenant_id)

    @api.put("/{round_id}")
    async def set_up_round(
        round_id: Annotated[str, Path(pattern=ROUND_ID)], body: RoundSetup, principal: Coordinator
    ) -> Document:
        """Describe a round the survey service has not announced (groups, subject, dates).

        The survey's RoundCreated tells this service about every new round, so pages and
        clients need not call this. It stays for rounds the survey never announced (created
        before RoundCreated existed: a back-fill) and for tests; it is idempotent, and
        wherever the survey has spoken its facts win over what is put here.
        """
        store = store_of(principal)
        facts = await store.rounds.get(round_id)
        if facts is not None and facts.get("status") in ("open", "closed"):
            raise ApiError(409, "round_already_open")
        setup = body.model_dump()
        if not setup["groups"]:
            setup["groups"] = [g.model_dump() for g in default_groups(body.kind)]
        roster = await store.rosters.get(round_id) or {}
        setup["reminders"] = (roster.get("setup") or {}).get("reminders")
        await store.rosters.update(round_id, {"$set": {"setup": setup}}, upsert=True)
        view = await round_view(store, round_id)
        assert view is not None
        return _public(view)

    @api.get("/{round_id}")
    async def get_round(round_id: str, principal: Staff) -> Document:
        store = store_of(principal)
        view = require_round_access(principal, await round_view(store, round_id), round_id)
        return _public(view)

    @api.get("/{round_id}/progress")
    async def progress(round_id: str, principal: Staff) -> Document:
        """Coordinator: per group and per person. The subject: counts per group only, never who."""
        store = store_of(principal)
        view = require_round_access(principal, await round_view(store, round_id), round_id)
        rows = await assignment_states(store, view)
        counts = group_counts(view, rows)
        if not is_coordinator(principal):
            return {
                "round_id": round_id,
                "status": view["status"],
                "groups": [
                    {
                        k: c.get(k)
                        for k in ("group", "label_nl", "label_en", "is_self", "nominated", "completed")
                    }
                    for c in counts
                ],
            }
        return {"round_id": round_id, "status": view["status"], "groups": counts, "people": rows}

    @api.get("/{round_id}/deliveries")
    async def deliveries(round_id: str, principal: Coordinator, state: str | None = None) -> Document:
        """Every e-mail of the round and what happened to it (failures and refusals included)."""
        store = store_of(principal)
        require_round_access(principal, await round_view(store, round_id), round_id)
        filter_: Document = {"round_id": round_id}
        if state:
            filter_["state"] = state
        found = await store.deliveries.find(filter_, sort=[("updated_at", -1)], limit=2000)
        keys = (
            "id",
            "template",
            "assignment_id",
            "to",
            "state",
            "attempts",
            "last_error",
            "reason",
            "sent_at",
            "unconfirmed",
            "smtp_reply",
        )
        return {"round_id": round_id, "deliveries": [{k: d.get(k) for k in keys} for d in found]}

    @api.post("/{round_id}/reminders", status_code=202)
    async def chase(round_id: str, body: ChaseIn, principal: Coordinator) -> Document:
        """A manual reminder, per group or per person; never to those done, withdrawn or opted out."""
        store = store_of(principal)
        view = require_round_access(principal, await round_view(store, round_id), round_id)
        if view["status"] != "open":
            raise ApiError(409, "round_not_open_for_reminders")
        rows = await assignment_states(store, view)
        wanted = set(body.assignment_ids or [])
        unknown = wanted - {r["assignment_id"] for r in rows}
        if unknown:
            raise ApiError(422, "assignments_unknown", ids=str(sorted(unknown)[:5]))
        chosen = chase_recipients(rows, group=body.group, wanted=wanted)
        # The policy's maximum and interval hold per person, however often the button is pressed.
        allowed, skipped = await claim_reminders(
            store,
            round_id,
            [(r["assignment_id"], manual_key(r["assignment_id"], body.request_id)) for r in chosen],
            await reminder_policy(store, view),
            datetime.now(UTC),
        )
        queued = await enqueue_request(
            store,
            [
                assignment_mail(manual_key(aid, body.request_id), "reminder", aid, round_id, manual=True)
                for aid in allowed
            ],
        )
        return {
            "round_id": round_id,
            "request_id": body.request_id,
            "queued": len(queued),
            "skipped": skipped,
        }

    @api.post("/{round_id}/invitations/{assignment_id}/resend", status_code=202)
    async def resend(round_id: str, assignment_id: str, principal: Coordinator) -> Document:
        """Send the invitation again (after fixing an address or a failure): a manual reminder,
        so it keeps the policy's maximum and minimum interval per person like every reminder
        (409 `reminder_too_soon` / `reminder_max_reached` naming the rule; nothing is queued)."""
        store = store_of(principal)
        view = require_round_access(principal, await round_view(store, round_id), round_id)
        assignment = await store.assignments.get(assignment_id)
        if assignment is None or assignment["round_id"] != round_id:
            raise ApiError(404, "invitation_not_found")
        request_id = uuid.uuid4().hex
        policy = await reminder_policy(store, view)
        allowed, refused = await claim_reminders(
            store,
            round_id,
            [(assignment_id, manual_key(assignment_id, request_id))],
            policy,
            datetime.now(UTC),
        )
        if not allowed:
            if refused["max_reached"]:
                raise ApiError(409, "reminder_max_reached", most=policy.max_reminders)
            raise ApiError(409, "reminder_too_soon", hours=f"{policy.min_interval_hours:g}")
        await enqueue(
            store,
            [
                assignment_mail(
                    manual_key(assignment_id, request_id), "invitation", assignment_id, round_id, manual=True
                )
            ],
        )
        return {"assignment_id": assignment_id, "queued": 1}

    @api.put("/{round_id}/reminder-policy")
    async def set_policy(round_id: str, body: PolicyIn, principal: Coordinator) -> Document:
        store = store_of(principal)
        require_round_access(principal, await round_view(store, round_id), round_id)
        await store.rosters.update(round_id, {"$set": {"setup.reminders": body.model_dump()}}, upsert=True)
        await schedule_reminders(store, round_id)
        view = await round_view(store, round_id)
        assert view is not None
        policy = ReminderPolicy.from_doc(body.model_dump())
        schedule = (
            policy.due_times(view["opens_at"], view["closes_at"])
            if view.get("opens_at") and view.get("closes_at")
            else []
        )
        return {"round_id": round_id, "policy": body.model_dump(), "schedule": schedule}

    @api.get("/{round_id}/fatigue")
    async def fatigue(round_id: str, principal: Coordinator) -> Document:
        """Nominees asked more often than the tenant's limit in the same period (before they are invited)."""
        store = store_of(principal)
        view = require_round_access(principal, await round_view(store, round_id), round_id)
        limit = await fatigue_limit(store)
        entries = active_entries(view)
        emails = [e["email"] for e in entries.values() if e.get("email")]
        counts = await open_requests(store, emails, view, RoundCache(store), exclude_round=round_id)
        flagged = []
        for aid, entry in entries.items():
            total = counts.get(entry.get("email", "").lower(), 0) + 1
            if total > limit:
                flagged.append(
                    {
                        "assignment_id": aid,
                        "name": entry.get("name"),
                        "email": entry.get("email"),
                        "group": entry["group"],
                        "open_requests": total,
                    }
                )
        return {"round_id": round_id, "limit": limit, "flagged": flagged}

    _ = datetime, invitation_key
    return api
