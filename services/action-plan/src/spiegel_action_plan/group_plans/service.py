"""The steps on the groups' action plans: the rules (model.py), a tenant's store, the events.

Who: the group's current members (the `groups` copy of the gateway's GroupChanged) read and edit
their group's plans; to anyone else, whatever their roles (a coordinator, an administrator, the
board, a former member, another hospital), a plan is unknown (`NotMember`, the api's 404), as
for a plan that does not exist. Coordinators see the status of every group's plan (`overview`),
never its actions.

Every change is one conditional single-document write on the plan's version (a stale version,
e.g. a second tab, is 409 and changes nothing), carrying its history entries (who, when, what)
and its event in the same write.

One plan per group and Groepsmonitor round (its id derived from both: starting twice finds the
same plan). The plan belongs to the group: when the group starts the plan of its next round, the
unfinished actions of its open plan (open, on track, delayed) are carried into the new one (new
action ids, `carried_from` the old) and the old plan is closed.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

from google.protobuf.timestamp_pb2 import Timestamp
from pymongo.errors import DuplicateKeyError
from spiegel.action_plan.v1 import events_pb2
from spiegel_platform.errors import ApiError
from spiegel_platform.events import OutgoingEvent, new_event
from spiegel_platform.logging import get_logger
from spiegel_platform.storage.stores import Stores

from spiegel_action_plan.checks import hospital
from spiegel_action_plan.checks.model import check_moment
from spiegel_action_plan.group_plans import cycles as pdsa
from spiegel_action_plan.group_plans import model
from spiegel_action_plan.group_plans.model import ADOPTED, CLOSED, DRAFT, Action, Change, RuleError
from spiegel_action_plan.people.directory import display_names, named_in
from spiegel_action_plan.sessions import model as sessions
from spiegel_action_plan.storage import Document, Store

PRODUCER = "action-plan"
log = get_logger(__name__)


class NotMember(Exception):
    """No plan of a group the caller is a member of by this id."""


def refused(error: RuleError) -> ApiError:
    return ApiError(
        422, "group_plan_invalid", extra={"field": error.field}, field=error.field, problem=error.reason
    )


def plan_id_of(tenant_id: str, group_id: str, round_id: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"spiegel-group-plan:{tenant_id}:{group_id}:{round_id}"))


def _stamp(moment: datetime) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(moment.astimezone(UTC).replace(tzinfo=None))
    return stamp


def actions_of(doc: Document) -> list[Action]:
    return [Action.of(a) for a in doc.get("actions", ())]


class GroupPlans:
    def __init__(self, stores: Stores[Store], clock: Callable[[], datetime] | None = None) -> None:
        self.stores = stores
        # Now, for the facilitator's window (a test may set it).
        self.clock = clock or (lambda: datetime.now(UTC))

    def store(self, tenant_id: str) -> Store:
        return self.stores.tenant(tenant_id)

    # -- who -------------------------------------------------------------------------------
    async def group_of_member(self, store: Store, person_id: str, group_id: str) -> Document | None:
        group = await store.groups.get(group_id, projection={"_applied": 0})
        if group is None or person_id not in group.get("member_person_ids", ()):
            return None
        return group

    async def facilitated_sessions(self, store: Store, person_id: str, group_id: str = "") -> list[Document]:
        """The planned Groepsmonitor sessions `person_id` facilitates now (their start until the end
        plus `EDIT_MARGIN`), of one group or of any."""
        now = self.clock()
        query: dict[str, Any] = {
            "facilitator_ids": person_id,
            "state": sessions.PLANNED,
            "starts_at": {"$lte": now},
            "ends_at": {"$gte": now - sessions.EDIT_MARGIN},
        }
        if group_id:
            query["group_id"] = group_id
        found = await store.sessions.find(query)
        return [s for s in found if sessions.facilitating(s, person_id, s.get("group_id", ""), now)]

    async def group_of_editor(
        self, store: Store, person_id: str, group_id: str, *, facilitator: bool
    ) -> Document | None:
        """The group, if the caller is a current member, or (where `facilitator`) facilitates the
        group's Groepsmonitor session now."""
        group = await self.group_of_member(store, person_id, group_id)
        if group is not None or not facilitator:
            return group
        if not await self.facilitated_sessions(store, person_id, group_id):
            return None
        return await store.groups.get(group_id, projection={"_applied": 0})

    async def member_plan(
        self, store: Store, person_id: str, plan_id: str, *, facilitator: bool = False
    ) -> tuple[Document, Document]:
        """The plan and its group, if the caller is a current member of that group (or, where
        `facilitator`, facilitates its Groepsmonitor session now)."""
        plan = await store.group_plans.get(plan_id, projection={"history": 0})
        group = (
            None
            if plan is None
            else await self.group_of_editor(store, person_id, plan["group_id"], facilitator=facilitator)
        )
        if plan is None or group is None:
            log.warning("group_plan_refused", subject=person_id, plan_id=plan_id, exists=plan is not None)
            raise NotMember(plan_id)
        return plan, group

    # -- settings ----------------------------------------------------------------------------
    async def check_settings(self, tenant_id: str) -> hospital.HospitalSettings:
        """The hospital's settings of the checks (interval in months, time zone): one place,
        `hospitals/settings`, set through `/group-plan-settings` (checks/)."""
        return await hospital.read(self.store(tenant_id))

    # -- reading -----------------------------------------------------------------------------
    async def read(self, tenant_id: str, person_id: str, plan_id: str) -> tuple[Document, Document]:
        return await self.member_plan(self.store(tenant_id), person_id, plan_id, facilitator=True)

    async def people_of(self, tenant_id: str, plan: Document, group: Document) -> dict[str, str]:
        """The display names of the people `plan` shows (members, contact person, owners, the
        history's authors), for a caller `read` let in: nobody new, only their names."""
        store = self.store(tenant_id)
        with_history = await store.group_plans.get(plan["id"], projection={"history": 1}) or {}
        shown = {**plan, "history": with_history.get("history") or ()}
        return await display_names(store, named_in(shown, group))

    async def history(self, tenant_id: str, person_id: str, plan_id: str) -> list[dict[str, Any]]:
        store = self.store(tenant_id)
        await self.member_plan(store, person_id, plan_id, facilitator=True)
        doc = await store.group_plans.get(plan_id, projection={"history": 1})
        return list((doc or {}).get("history", ()))

    async def mine(self, tenant_id: str, person_id: str) -> list[tuple[Document, list[Document]]]:
        """The caller's groups, each with its plans (newest first, without history); also the
        groups whose Groepsmonitor session the caller facilitates now, each marked with those
        sessions' ids (`facilitating`; a member's own group has none)."""
        store = self.store(tenant_id)
        groups = await store.groups.find({"member_person_ids": person_id}, projection={"_applied": 0})
        facilitated: dict[str, list[str]] = {}
        for session in await self.facilitated_sessions(store, person_id):
            facilitated.setdefault(session["group_id"], []).append(session["id"])
        member_of = {g["id"] for g in groups}
        if set(facilitated) - member_of:
            groups += await store.groups.find(
                {"id": {"$in": sorted(set(facilitated) - member_of)}}, projection={"_applied": 0}
            )
        for group in groups:
            group["facilitating"] = (
                [] if group["id"] in member_of else sorted(facilitated.get(group["id"], ()))
            )
        if not groups:
            return []
        plans = await store.group_plans.find(
            {"group_id": {"$in": [g["id"] for g in groups]}}, projection={"history": 0}
        )
        result = []
        for group in sorted(groups, key=lambda g: (g.get("name", ""), g["id"])):
            own = [p for p in plans if p["group_id"] == group["id"]]
            result.append((group, sorted(own, key=_made, reverse=True)))
        return result

    async def overview(self, tenant_id: str, now: datetime | None = None) -> list[dict[str, Any]]:
        """Per group: its latest plan's status, dates and number of actions per status; whether its
        check is overdue. Never an action."""
        now = now or datetime.now(UTC)
        store = self.store(tenant_id)
        groups = await store.groups.find({}, projection={"name": 1, "id": 1})
        plans = await store.group_plans.find(
            {},
            projection={"history": 0},
        )
        latest: dict[str, Document] = {}
        for found in sorted(plans, key=_made):
            latest[found["group_id"]] = found
        rows = []
        for group in sorted(groups, key=lambda g: (g.get("name", ""), g["id"])):
            plan = latest.get(group["id"])
            counts: dict[str, int] = {}
            for action in (plan or {}).get("actions", ()):
                counts[action["status"]] = counts.get(action["status"], 0) + 1
            check_at = plan.get("next_check_at") if plan else None
            rows.append(
                {
                    "group_id": group["id"],
                    "group_name": group.get("name", ""),
                    "plan_id": plan["id"] if plan else None,
                    "status": plan["status"] if plan else None,
                    "version": plan["version"] if plan else None,
                    "adopted_at": plan.get("adopted_at") if plan else None,
                    "next_check_at": check_at,
                    "check_overdue": bool(
                        plan and plan["status"] == ADOPTED and check_at is not None and _utc(check_at) < now
                    ),
                    "actions": counts,
                }
            )
        return rows

    # -- changes -----------------------------------------------------------------------------
    async def start(
        self, tenant_id: str, person_id: str, group_id: str, round_id: str, correlation_id: str
    ) -> tuple[Document, bool]:
        """The group's plan for a Groepsmonitor round: made by a member (with the unfinished
        actions of the group's open plan carried over, that plan then closed), or the one made
        before. A group the caller is not a member of is unknown (404)."""
        store = self.store(tenant_id)
        if await self.group_of_editor(store, person_id, group_id, facilitator=True) is None:
            log.warning("group_plan_start_refused", subject=person_id, group_id=group_id)
            raise ApiError(404, "group_not_yours", group_id=group_id)
        plan_id = plan_id_of(tenant_id, group_id, round_id)
        existing = await store.group_plans.get(plan_id, projection={"history": 0})
        if existing is not None:
            return existing, False
        open_plans = sorted(
            await store.group_plans.find(
                {"group_id": group_id, "status": {"$in": [DRAFT, ADOPTED]}}, projection={"history": 0}
            ),
            key=lambda p: (p["created_at"], p["id"]),
        )
        previous = open_plans[-1] if open_plans else None
        carried = model.carried_over(actions_of(previous)) if previous else ()
        now = _now()
        history = [Change(person_id, now, "created").as_dict()]
        history += [
            Change(
                person_id,
                now,
                "carried_over",
                a.action_id,
                ({"field": "carried_from", "new": a.carried_from},),
            ).as_dict()
            for a in carried
        ]
        doc: Document = {
            "id": plan_id,
            "plan_id": plan_id,
            "group_id": group_id,
            "round_id": round_id,
            "status": DRAFT,
            "version": 1,
            "created_at": now,
            "created_by": person_id,
            "updated_at": now,
            "adopted_at": None,
            "next_check_at": None,
            "closed_at": None,
            "previous_plan_id": previous["id"] if previous else "",
            "actions": [a.as_dict() for a in carried],
            "history": history,
        }
        event = events_pb2.GroupPlanChanged(
            plan_id=plan_id, group_id=group_id, round_id=round_id, version=1, status=DRAFT
        )
        try:
            inserted = await store.group_plans.insert(doc, [self._event(tenant_id, event, correlation_id)])
        except DuplicateKeyError:  # started meanwhile by another member (or a double click)
            again = await store.group_plans.get(plan_id, projection={"history": 0})
            assert again is not None
            return again, False
        # The open plans before it are taken over by this one: closed (each its own write; a crash
        # in between leaves an older plan open, which the next start closes again).
        for old in open_plans:
            try:
                await self._close(
                    store, old, old["version"], person_id, correlation_id, taken_over_by=plan_id
                )
            except ApiError:
                log.info("group_plan_close_skipped", plan_id=old["id"])  # changed meanwhile: left open
        inserted.pop("history", None)
        return inserted, True

    async def _write(
        self,
        store: Store,
        doc: Document,
        version: int,
        change: dict[str, Any],
        history: list[Change],
        events: list[OutgoingEvent],
    ) -> Document:
        if doc["version"] != version:
            raise ApiError(409, "group_plan_changed_meanwhile", version=doc["version"])
        update: dict[str, Any] = {"$set": {**change, "version": version + 1, "updated_at": datetime.now(UTC)}}
        if history:
            update["$push"] = {"history": {"$each": [h.as_dict() for h in history]}}
        written = await store.group_plans.update(
            doc["id"], update, events, expect={"version": version, "status": doc["status"]}
        )
        if written is None:
            current = await store.group_plans.get(doc["id"], projection={"history": 0})
            raise ApiError(
                409, "group_plan_changed_meanwhile", version=current["version"] if current else version
            )
        written.pop("history", None)
        return written

    def _changed(
        self, tenant_id: str, doc: Document, version: int, status: str, correlation_id: str
    ) -> OutgoingEvent:
        return self._event(
            tenant_id,
            events_pb2.GroupPlanChanged(
                plan_id=doc["id"],
                group_id=doc["group_id"],
                round_id=doc.get("round_id", ""),
                version=version,
                status=status,
            ),
            correlation_id,
        )

    async def save(
        self,
        tenant_id: str,
        person_id: str,
        plan_id: str,
        version: int,
        actions: list[Action],
        correlation_id: str,
        today: date | None = None,
    ) -> tuple[Document, Document]:
        store = self.store(tenant_id)
        doc, group = await self.member_plan(store, person_id, plan_id, facilitator=True)
        if doc["status"] == CLOSED:
            raise ApiError(409, "group_plan_closed")
        before = actions_of(doc)
        try:
            kept = model.check_actions(
                actions, before, group.get("member_person_ids", ()), today or datetime.now(UTC).date()
            )
        except RuleError as error:
            raise refused(error) from None
        now = _now()
        history = model.changes(before, kept, person_id, now)
        if not history and doc["version"] == version:
            return doc, group  # nothing changed: no new version, no event
        written = await self._write(
            store,
            doc,
            version,
            {"actions": [a.as_dict() for a in kept]},
            history,
            [self._changed(tenant_id, doc, version + 1, doc["status"], correlation_id)],
        )
        return written, group

    async def adopt(
        self, tenant_id: str, person_id: str, plan_id: str, version: int, correlation_id: str
    ) -> tuple[Document, Document]:
        """The group adopts its plan: every action says how success is measured and how it is
        embedded; the check is scheduled the hospital's interval after now (checks.model.check_moment:
        that local day at the checks' local hour). Adopting again changes nothing."""
        store = self.store(tenant_id)
        doc, group = await self.member_plan(store, person_id, plan_id, facilitator=True)
        if doc["status"] == ADOPTED:
            return doc, group
        if doc["status"] == CLOSED:
            raise ApiError(409, "group_plan_closed")
        actions = actions_of(doc)
        if not actions:
            raise ApiError(422, "group_plan_without_actions", extra={"field": "actions"})
        for index, action in enumerate(actions):
            if not action.measure:
                raise ApiError(
                    422,
                    "group_plan_adopt_incomplete",
                    extra={"field": f"actions[{index}].measure"},
                    field=f"actions[{index}].measure",
                )
            if not action.embedding_text:
                raise ApiError(
                    422,
                    "group_plan_adopt_incomplete",
                    extra={"field": f"actions[{index}].embedding.text"},
                    field=f"actions[{index}].embedding.text",
                )
        now = _now()
        settings = await self.check_settings(tenant_id)
        check_at = check_moment(now, settings.check_interval_months, settings.time_zone)
        adopted = events_pb2.GroupPlanAdopted(
            plan_id=plan_id,
            group_id=doc["group_id"],
            round_id=doc.get("round_id", ""),
            version=version + 1,
            adopted_at=_stamp(now),
            next_check_at=_stamp(check_at),
        )
        written = await self._write(
            store,
            doc,
            version,
            {"status": ADOPTED, "adopted_at": now, "adopted_by": person_id, "next_check_at": check_at},
            [Change(person_id, now, "adopted", fields=({"field": "status", "old": DRAFT, "new": ADOPTED},))],
            [
                self._event(tenant_id, adopted, correlation_id),
                self._changed(tenant_id, doc, version + 1, ADOPTED, correlation_id),
            ],
        )
        return written, group

    async def close(
        self, tenant_id: str, person_id: str, plan_id: str, version: int, correlation_id: str
    ) -> tuple[Document, Document]:
        store = self.store(tenant_id)
        doc, group = await self.member_plan(store, person_id, plan_id)
        if doc["status"] == CLOSED:
            return doc, group
        return await self._close(store, doc, version, person_id, correlation_id), group

    async def _close(
        self,
        store: Store,
        doc: Document,
        version: int,
        person_id: str,
        correlation_id: str,
        taken_over_by: str = "",
    ) -> Document:
        tenant_id = store.group_plans.tenant_id
        now = _now()
        fields: list[dict[str, Any]] = [{"field": "status", "old": doc["status"], "new": CLOSED}]
        if taken_over_by:
            fields.append({"field": "taken_over_by", "new": taken_over_by})
        closed = events_pb2.GroupPlanClosed(
            plan_id=doc["id"], group_id=doc["group_id"], version=version + 1, closed_at=_stamp(now)
        )
        return await self._write(
            store,
            doc,
            version,
            {
                "status": CLOSED,
                "closed_at": now,
                "closed_by": person_id,
                "next_check_at": None,
                "taken_over_by": taken_over_by,
            },
            [Change(person_id, now, "closed", fields=tuple(fields))],
            [
                self._event(tenant_id, closed, correlation_id),
                self._changed(tenant_id, doc, version + 1, CLOSED, correlation_id),
            ],
        )

    # -- improvement cycles (PDSA) on an action ------------------------------------------------
    async def action_of(
        self, tenant_id: str, person_id: str, plan_id: str, action_id: str
    ) -> tuple[Document, Document, dict[str, Any]]:
        """The plan, its group and the action (members only; an unknown action is 404)."""
        doc, group = await self.member_plan(self.store(tenant_id), person_id, plan_id)
        action = next((a for a in doc.get("actions", ()) if a["action_id"] == action_id), None)
        if action is None:
            raise ApiError(404, "group_plan_action_not_found", action_id=action_id)
        return doc, group, action

    async def save_cycles(
        self,
        tenant_id: str,
        person_id: str,
        plan_id: str,
        action_id: str,
        version: int,
        cycles: list[pdsa.Cycle],
        points: list[pdsa.Point],
        correlation_id: str,
        today: date | None = None,
    ) -> tuple[Document, Document, dict[str, Any]]:
        """The action's cycles and its measure's points, saved whole on the plan's version (one
        write with its history entry and GroupPlanChanged)."""
        doc, group, action = await self.action_of(tenant_id, person_id, plan_id, action_id)
        if doc["status"] == CLOSED:
            raise ApiError(409, "group_plan_closed")
        try:
            kept_cycles = pdsa.check_cycles(cycles)
            kept_points = pdsa.check_points(points, today or datetime.now(UTC).date())
        except RuleError as error:
            raise refused(error) from None
        before_cycles = doc.get("cycles", {}).get(action_id, [])
        before_points = doc.get("measurements", {}).get(action_id, [])
        new_cycles = [c.as_dict() for c in kept_cycles]
        new_points = [p.as_dict() for p in kept_points]
        fields: list[dict[str, Any]] = []
        if new_cycles != before_cycles:
            stages = [pdsa.Cycle.of(c).stage for c in before_cycles]
            fields.append(
                {
                    "field": "cycles",
                    "old": f"{len(before_cycles)}: {stages[-1]}" if stages else "0",
                    "new": f"{len(kept_cycles)}: {kept_cycles[-1].stage}" if kept_cycles else "0",
                }
            )
        if new_points != before_points:
            fields.append({"field": "measurements", "old": len(before_points), "new": len(new_points)})
        if not fields and doc["version"] == version:
            return doc, group, action
        written = await self._write(
            self.store(tenant_id),
            doc,
            version,
            {f"cycles.{action_id}": new_cycles, f"measurements.{action_id}": new_points},
            [Change(person_id, _now(), "cycles_changed", action_id, tuple(fields))],
            [self._changed(tenant_id, doc, version + 1, doc["status"], correlation_id)],
        )
        return written, group, action

    def _event(self, tenant_id: str, payload: Any, correlation_id: str) -> OutgoingEvent:
        return new_event(
            payload, tenant_id=tenant_id, producer=PRODUCER, correlation_id=correlation_id or None
        )


def _now() -> datetime:
    """Now, to the millisecond: what the database keeps, so an event's moments equal the plan's."""
    moment = datetime.now(UTC)
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _made(plan: Document) -> tuple[datetime, str]:
    """Oldest first: when a plan was made (the database gives naive UTC; one written without the
    moment, e.g. by an older version, sorts first)."""
    made = plan.get("created_at")
    return (made.replace(tzinfo=None) if isinstance(made, datetime) else datetime.min, plan["id"])
