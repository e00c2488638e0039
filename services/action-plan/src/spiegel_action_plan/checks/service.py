"""The steps of the group plans' periodic checks: made when due, reminded, answered.

Exactly once without multi-document transactions (FerretDB has none):

- **Made**: a due plan (`status` adopted, `next_check_at` passed) gets the check whose id follows
  from the plan and its due moment (`model.check_id_of`): the check's unique insert, with its
  GroupPlanCheckDue in the same document's outbox, is the claim. Then one write on the plan,
  conditional on the due moment still being there, clears `next_check_at` and records the open
  check. A crash between the two, a second pass or a second process finds the plan still due,
  makes the same id (a duplicate: nothing new) and finishes the plan's write: no check twice,
  none forgotten. Due plans are taken `batch_size` at a time, oldest first is not needed: each
  pass takes what matches, and a processed plan no longer matches (a backlog after downtime is
  worked off pass by pass, each plan once).
- **Reminded**: reminder n is one write on the check, conditional on n-1 sent and the check
  open, with its event in the same write.
- **Answered**: one write on the check, conditional on it being open (a second answer: 409),
  with GroupPlanCheckCompleted; then the plan takes the progress as its actions' statuses, the new
  actions and its next check (conditional on its version; re-read on a concurrent change). A
  crash between the two is finished by the scheduler's repair (`finish_answered`).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

from google.protobuf.timestamp_pb2 import Timestamp
from pymongo import UpdateOne
from spiegel.action_plan.v1 import events_pb2
from spiegel_platform.errors import ApiError
from spiegel_platform.events import OutgoingEvent, new_event
from spiegel_platform.logging import get_logger
from spiegel_platform.storage.mongo import bulk_write_chunked
from spiegel_platform.storage.stores import Stores

from spiegel_action_plan.checks import hospital, model
from spiegel_action_plan.checks.model import ADOPTED, CLOSED, COMPLETED, OPEN, Answer
from spiegel_action_plan.pops.model import RuleError
from spiegel_action_plan.storage import Document, Store

PRODUCER = "action-plan"
# An answered check whose plan was not updated (a crash in between) is finished after this.
REPAIR_AFTER = timedelta(seconds=60)
# How many batches of due plans one query finds (a backlog beyond: the next pass, at once).
SCAN_BATCHES = 40
log = get_logger(__name__)


def stamp(moment: datetime) -> Timestamp:
    value = Timestamp()
    value.FromDatetime(moment.astimezone(UTC).replace(tzinfo=None))
    return value


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def refused(error: RuleError) -> ApiError:
    return ApiError(
        422, "plan_check_invalid", extra={"field": error.field}, field=error.field, problem=error.reason
    )


class Checks:
    def __init__(
        self, stores: Stores[Store], batch_size: int = 500, scan_batches: int = SCAN_BATCHES
    ) -> None:
        self.stores = stores
        self.batch_size = batch_size
        self.scan_batches = scan_batches

    # -- made when due ---------------------------------------------------------------------
    async def make_due(self, now: datetime | None = None) -> int:
        """One pass: a check for each due plan, up to `scan_batches` batches; returns how many
        plans it took.

        The due plans are found with one query and then written `batch_size` at a time: on
        FerretDB the query decodes every plan it passes (no index but `_id`), and plans already
        done stay in front of the due ones, so a query per batch would cost a backlog's square."""
        now = now or datetime.now(UTC)
        due = await (
            self.stores.across_tenants(Store.group_plans)
            .find(
                {"status": ADOPTED, "next_check_at": {"$lte": now}},
                projection={"_id": 0, "tenant_id": 1, "plan_id": 1, "group_id": 1, "next_check_at": 1},
            )
            .limit(self.batch_size * self.scan_batches)
            .to_list()
        )
        for start in range(0, len(due), self.batch_size):
            by_tenant: dict[str, list[Document]] = defaultdict(list)
            for plan in due[start : start + self.batch_size]:
                by_tenant[plan["tenant_id"]].append(plan)
            for tenant_id, plans in by_tenant.items():
                await self._make(tenant_id, plans, now)
        return len(due)

    async def _make(self, tenant_id: str, plans: list[Document], now: datetime) -> None:
        store = self.stores.tenant(tenant_id)
        settings = await hospital.read(store)
        group_ids = sorted({str(p.get("group_id") or "") for p in plans} - {""})
        groups = {g["group_id"]: g for g in await store.groups.find({"group_id": {"$in": group_ids}})}
        docs: list[Document] = []
        events: list[list[OutgoingEvent]] = []
        claims: list[tuple[str, datetime, str]] = []
        for plan in plans:
            due_at = _aware(plan["next_check_at"])
            check_id = model.check_id_of(tenant_id, plan["plan_id"], due_at)
            group_id = str(plan.get("group_id") or "")
            people = model.recipients(groups.get(group_id), settings.check_recipients)
            docs.append(
                {
                    "id": check_id,
                    "check_id": check_id,
                    "plan_id": plan["plan_id"],
                    "group_id": group_id,
                    "due_at": due_at,
                    "created_at": now,
                    "state": OPEN,
                    "recipients": people,
                    "reminders_sent": 0,
                    "next_reminder_at": model.reminder_at(now, 1, settings.time_zone),
                }
            )
            events.append(
                [
                    new_event(
                        events_pb2.GroupPlanCheckDue(
                            check_id=check_id,
                            plan_id=plan["plan_id"],
                            group_id=group_id,
                            recipient_person_ids=people,
                            due_at=stamp(due_at),
                            reminder=0,
                        ),
                        tenant_id=tenant_id,
                        producer=PRODUCER,
                    )
                ]
            )
            claims.append((plan["plan_id"], due_at, check_id))
            if not people:
                log.warning("plan_check_without_recipients", plan_id=plan["plan_id"], group_id=group_id)
        made = set(await store.plan_checks.insert_many(docs, events))
        # The plan's write, conditional on the due moment it had: repeated after a crash, or by
        # a second process, it changes nothing more.
        plans_repo = store.group_plans
        await bulk_write_chunked(
            plans_repo.collection,
            [
                UpdateOne(
                    {"_id": plans_repo.key(plan_id), "status": ADOPTED, "next_check_at": due_at},
                    {"$set": {"next_check_at": None, "open_check_id": check_id}},
                )
                for plan_id, due_at, check_id in claims
            ],
        )
        if made:
            # One line a batch (ids only): a backlog of thousands is not thousands of lines.
            log.info("plan_checks_made", tenant_id=tenant_id, count=len(made), check_ids=sorted(made)[:20])

    # -- reminded --------------------------------------------------------------------------
    async def remind_due(self, now: datetime | None = None) -> int:
        """One pass: the next reminder of up to `batch_size` open checks; returns how many."""
        now = now or datetime.now(UTC)
        due = await (
            self.stores.across_tenants(Store.plan_checks)
            .find(
                {"state": OPEN, "next_reminder_at": {"$lte": now}},
                projection={"_outbox": 0, "answer": 0},
            )
            .limit(self.batch_size)
            .to_list()
        )
        zones: dict[str, str] = {}
        for check in due:
            tenant_id = check["tenant_id"]
            if tenant_id not in zones:
                zones[tenant_id] = (await hospital.read(self.stores.tenant(tenant_id))).time_zone
            await self._remind(check, now, zones[tenant_id])
        return len(due)

    async def _remind(self, check: Document, now: datetime, time_zone: str) -> None:
        store = self.stores.tenant(check["tenant_id"])
        plan = await store.group_plans.get(check["plan_id"], projection={"status": 1})
        sent = int(check.get("reminders_sent") or 0)
        if plan is None or plan.get("status") == CLOSED:
            # A closed plan's check is not asked for any more.
            await store.plan_checks.update(
                check["check_id"], {"$set": {"next_reminder_at": None}}, expect={"reminders_sent": sent}
            )
            return
        number = sent + 1
        event = new_event(
            events_pb2.GroupPlanCheckDue(
                check_id=check["check_id"],
                plan_id=check["plan_id"],
                group_id=check.get("group_id", ""),
                recipient_person_ids=list(check.get("recipients") or []),
                due_at=stamp(_aware(check["due_at"])),
                reminder=number,
            ),
            tenant_id=check["tenant_id"],
            producer=PRODUCER,
        )
        done = await store.plan_checks.update(
            check["check_id"],
            {
                "$set": {
                    "reminders_sent": number,
                    "next_reminder_at": model.reminder_at(_aware(check["created_at"]), number + 1, time_zone),
                }
            },
            [event],
            expect={"state": OPEN, "reminders_sent": sent},
        )
        if done is not None:
            log.info(
                "plan_check_reminded", tenant_id=check["tenant_id"], check_id=check["check_id"], number=number
            )

    # -- answered --------------------------------------------------------------------------
    async def _readable(
        self, tenant_id: str, plan_id: str, person_id: str
    ) -> tuple[Store, Document, Document]:
        """The plan and its group, for a member of the group; anyone else: 404 (whether the plan
        exists is nobody else's business)."""
        store = self.stores.tenant(tenant_id)
        plan = await store.group_plans.get(plan_id)
        group = await store.groups.get(str(plan.get("group_id") or "-")) if plan else None
        if plan is None or group is None or person_id not in (group.get("member_person_ids") or []):
            raise ApiError(404, "plan_check_not_found")
        return store, plan, group

    async def list_for(self, tenant_id: str, plan_id: str, person_id: str) -> list[Document]:
        store, _, _ = await self._readable(tenant_id, plan_id, person_id)
        return await store.plan_checks.find({"plan_id": plan_id}, sort=[("due_at", -1)])

    async def get_for(
        self, tenant_id: str, plan_id: str, check_id: str, person_id: str
    ) -> tuple[Document, Document, Document]:
        store, plan, group = await self._readable(tenant_id, plan_id, person_id)
        check = await store.plan_checks.get(check_id)
        if check is None or check.get("plan_id") != plan_id:
            raise ApiError(404, "plan_check_not_found")
        return check, plan, group

    async def answer(
        self,
        tenant_id: str,
        plan_id: str,
        check_id: str,
        person_id: str,
        answer: Answer,
        *,
        now: datetime | None = None,
        correlation_id: str | None = None,
    ) -> Document:
        now = now or datetime.now(UTC)
        check, plan, group = await self.get_for(tenant_id, plan_id, check_id, person_id)
        if check.get("state") == COMPLETED:
            raise ApiError(409, "plan_check_answered")
        if plan.get("status") == CLOSED:
            raise ApiError(409, "plan_check_plan_closed")
        try:
            kept = model.check_answer(
                answer, plan.get("actions") or [], list(group.get("member_person_ids") or []), now.date()
            )
        except RuleError as error:
            raise refused(error) from error
        store = self.stores.tenant(tenant_id)
        settings = await hospital.read(store)
        next_at = model.check_moment(now, settings.check_interval_months, settings.time_zone)
        recorded = model.as_document(kept)
        for new in recorded["new_actions"]:
            new["action_id"] = str(uuid.uuid4())
        event = new_event(
            events_pb2.GroupPlanCheckCompleted(
                check_id=check_id,
                plan_id=plan_id,
                group_id=check.get("group_id", ""),
                answered_by_person_id=person_id,
                completed_at=stamp(now),
                next_check_at=stamp(next_at),
            ),
            tenant_id=tenant_id,
            producer=PRODUCER,
            correlation_id=correlation_id or None,
        )
        done = await store.plan_checks.update(
            check_id,
            {
                "$set": {
                    "state": COMPLETED,
                    "answer": recorded,
                    "answered_by": person_id,
                    "completed_at": now,
                    "next_check_at": next_at,
                    "next_reminder_at": None,
                    "plan_applied": False,
                }
            },
            [event],
            expect={"state": OPEN},
        )
        if done is None:
            raise ApiError(409, "plan_check_answered")
        await self.finish_answered(done)
        log.info("plan_check_answered", tenant_id=tenant_id, plan_id=plan_id, check_id=check_id)
        return done

    async def finish_answered(self, check: Document) -> None:
        """The plan takes an answered check: its actions' progress, the new actions, the next
        check. Conditional on the plan still waiting for this check and on its version, so it is
        done once however often it is asked (the answer, then the scheduler's repair)."""
        store = self.stores.tenant(check["tenant_id"])
        answer = check.get("answer") or {}
        progress = {p["action_id"]: p["progress"] for p in answer.get("progress", [])}
        for _ in range(10):
            plan = await store.group_plans.get(check["plan_id"])
            if plan is None:
                break
            waiting = plan.get("open_check_id") == check["check_id"] or (
                plan.get("next_check_at") is not None
                and _aware(plan["next_check_at"]) == _aware(check["due_at"])
            )
            if not waiting:
                break
            actions = [
                {**a, "status": progress.get(str(a.get("action_id")), a.get("status", "open"))}
                for a in plan.get("actions") or []
            ]
            known = {a.get("action_id") for a in actions}
            added = [as_plan_action(n) for n in answer.get("new_actions", []) if n["action_id"] not in known]
            actions += added
            still_adopted = plan.get("status") == ADOPTED
            # The check in the plan's history (group_plans/: who, when, what), with the actions it
            # added, in the same write as the plan's change.
            by, at = str(check.get("answered_by") or ""), check.get("completed_at")
            history = [{"by": by, "at": at, "what": "checked", "action_id": "", "fields": []}] + [
                {"by": by, "at": at, "what": "action_added", "action_id": a["action_id"], "fields": []}
                for a in added
            ]
            changed = await store.group_plans.update(
                check["plan_id"],
                {
                    "$set": {
                        "actions": actions,
                        "open_check_id": None,
                        "next_check_at": check.get("next_check_at") if still_adopted else None,
                        "last_check_id": check["check_id"],
                        "last_checked_at": check.get("completed_at"),
                        "still_on_agenda": bool(answer.get("still_on_agenda")),
                    },
                    "$inc": {"version": 1},
                    "$push": {"history": {"$each": history}},
                },
                expect={"version": plan.get("version")},
            )
            if changed is not None:
                break
        await store.plan_checks.update(check["check_id"], {"$set": {"plan_applied": True}})

    async def finish_interrupted(self, now: datetime | None = None) -> int:
        """The scheduler's repair: answered checks whose plan was not updated (a crash)."""
        now = now or datetime.now(UTC)
        found = await (
            self.stores.across_tenants(Store.plan_checks)
            .find({"state": COMPLETED, "plan_applied": False, "completed_at": {"$lte": now - REPAIR_AFTER}})
            .limit(self.batch_size)
            .to_list()
        )
        for check in found:
            await self.finish_answered(check)
        return len(found)

    async def pass_once(self, now: datetime | None = None) -> int:
        """Everything due at `now`, one batch of each: made, reminded, repaired."""
        return await self.make_due(now) + await self.remind_due(now) + await self.finish_interrupted(now)

    async def run_until_done(self, now: datetime | None = None, passes: int = 1000) -> int:
        total = 0
        for _ in range(passes):
            did = await self.pass_once(now)
            total += did
            if not did:
                break
        return total


def summary(check: Document) -> dict[str, Any]:
    def iso(value: Any) -> str | None:
        return _aware(value).isoformat() if isinstance(value, datetime) else None

    return {
        "check_id": check["check_id"],
        "plan_id": check["plan_id"],
        "group_id": check.get("group_id", ""),
        "state": check["state"],
        "due_at": iso(check.get("due_at")),
        "created_at": iso(check.get("created_at")),
        "completed_at": iso(check.get("completed_at")),
        "next_check_at": iso(check.get("next_check_at")),
        "reminders_sent": int(check.get("reminders_sent") or 0),
        "answered_by": check.get("answered_by"),
        "answer": check.get("answer"),
    }


def as_plan_action(new: dict[str, Any]) -> dict[str, Any]:
    """An action a check added, in the shape of the group plan's own actions (group_plans/model.py
    `Action.as_dict`): the embedding as its kind ("other": the check asks for it in words) and text."""
    return {
        "action_id": new["action_id"],
        "description": new.get("description", ""),
        "owner_person_id": new.get("owner_person_id", ""),
        "due": new.get("due", ""),
        "measure": new.get("measure", ""),
        "embedding": {"kind": "other", "text": str(new.get("embedding") or "")},
        "status": "open",
        "report_items": [],
        "carried_from": "",
    }
