"""The rules of a group's action plan (plan van aanpak) after a Groepsmonitor: pure, no I/O.

The plan is made by the group after the discussion of its Groepsmonitor report. Each action is
taken from the report's main points (links by kind and label, as a POP's goals link to report
items), with a description, an owner among the group's members, a due date, how success is
measured, and the embedding (borging): how it is kept alive (a standing agenda item, a protocol,
a responsible person, or another way) with a text. A plan is a draft, then adopted (its 6-month
check scheduled), then closed. Every change is kept with who and when (`changes`).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from spiegel_platform.errors import Text

from spiegel_action_plan.pops.model import HORIZON, RuleError, check_text

DRAFT = "draft"
ADOPTED = "adopted"
CLOSED = "closed"
STATUSES = (DRAFT, ADOPTED, CLOSED)
ACTION_STATUSES = ("open", "on_track", "delayed", "done", "stopped")
# Still to do: carried into the plan of the group's next Groepsmonitor round.
UNFINISHED = ("open", "on_track", "delayed")
EMBEDDING_KINDS = ("standing_agenda_item", "protocol", "responsible_person", "other")
ITEM_KINDS = ("strength", "development_point", "suggestion", "discussion_point", "other")
MAX_ACTIONS = 30
MAX_ITEMS = 20
# Fields whose old and new values the history keeps (short ones); of the long texts it keeps only
# that they changed.
SHORT_FIELDS = ("owner_person_id", "due", "status", "embedding_kind")
LONG_FIELDS = ("description", "measure", "embedding_text", "report_items")


@dataclass(frozen=True)
class ReportItem:
    kind: str
    ref: str
    label: str


@dataclass(frozen=True)
class Action:
    action_id: str
    description: str
    owner_person_id: str
    due: date
    measure: str = ""
    embedding_kind: str = "standing_agenda_item"
    embedding_text: str = ""
    status: str = "open"
    report_items: tuple[ReportItem, ...] = ()
    carried_from: str = ""  # the action of the group's previous plan this one continues

    def as_dict(self) -> dict[str, Any]:
        return {
            "action_id": self.action_id,
            "description": self.description,
            "owner_person_id": self.owner_person_id,
            "due": self.due.isoformat(),
            "measure": self.measure,
            "embedding": {"kind": self.embedding_kind, "text": self.embedding_text},
            "status": self.status,
            "report_items": [{"kind": i.kind, "ref": i.ref, "label": i.label} for i in self.report_items],
            "carried_from": self.carried_from,
        }

    @classmethod
    def of(cls, raw: Mapping[str, Any]) -> Action:
        embedding = raw.get("embedding") or {}
        return cls(
            action_id=raw["action_id"],
            description=raw["description"],
            owner_person_id=raw["owner_person_id"],
            due=date.fromisoformat(raw["due"]),
            measure=raw.get("measure", ""),
            embedding_kind=embedding.get("kind", "standing_agenda_item"),
            embedding_text=embedding.get("text", ""),
            status=raw.get("status", "open"),
            report_items=tuple(
                ReportItem(i["kind"], i["ref"], i["label"]) for i in raw.get("report_items", ())
            ),
            carried_from=raw.get("carried_from", ""),
        )

    def values(self) -> dict[str, Any]:
        """The fields the history compares."""
        return {
            "description": self.description,
            "owner_person_id": self.owner_person_id,
            "due": self.due.isoformat(),
            "measure": self.measure,
            "embedding_kind": self.embedding_kind,
            "embedding_text": self.embedding_text,
            "status": self.status,
            "report_items": [(i.kind, i.ref, i.label) for i in self.report_items],
        }


def new_action_id() -> str:
    return uuid.uuid4().hex[:12]


def check_actions(
    actions: Sequence[Action], earlier: Sequence[Action], members: Sequence[str], today: date
) -> tuple[Action, ...]:
    """The actions as kept, or the first RuleError naming the field: texts (control characters
    refused, HTML kept as text), an owner among the members, a due date from today up to five years
    ahead (an action's date saved before may stay as it was), the embedding, the status, the links."""
    if len(actions) > MAX_ACTIONS:
        raise RuleError("actions", Text("group_plan.too_many_actions", most=MAX_ACTIONS))
    before = {a.action_id: a for a in earlier}
    member_set = set(members)
    seen: set[str] = set()
    kept = []
    for index, action in enumerate(actions):
        at = f"actions[{index}]"
        action_id = action.action_id or new_action_id()
        if action_id in seen:
            raise RuleError(f"{at}.action_id", Text("group_plan.action_twice"))
        seen.add(action_id)
        description = check_text(f"{at}.description", action.description)
        if not description:
            raise RuleError(f"{at}.description", Text("group_plan.action_without_description"))
        previous = before.get(action_id)
        owner = action.owner_person_id
        # A member who left the group stays owner of an action saved before, until it is handed on.
        if owner not in member_set and not (previous is not None and previous.owner_person_id == owner):
            raise RuleError(f"{at}.owner_person_id", Text("group_plan.owner_not_member"))
        unchanged_date = previous is not None and previous.due == action.due
        if action.due > today + HORIZON:
            raise RuleError(
                f"{at}.due", Text("group_plan.date_too_far", latest=(today + HORIZON).isoformat())
            )
        if action.due < today and not unchanged_date:
            raise RuleError(f"{at}.due", Text("group_plan.date_in_past"))
        if action.embedding_kind not in EMBEDDING_KINDS:
            raise RuleError(f"{at}.embedding.kind", Text("group_plan.unknown_embedding"))
        if action.status not in ACTION_STATUSES:
            raise RuleError(f"{at}.status", Text("group_plan.unknown_status"))
        if len(action.report_items) > MAX_ITEMS:
            raise RuleError(f"{at}.report_items", Text("group_plan.too_many_items", most=MAX_ITEMS))
        items = []
        for n, item in enumerate(action.report_items):
            if item.kind not in ITEM_KINDS:
                raise RuleError(f"{at}.report_items[{n}].kind", Text("group_plan.unknown_item_kind"))
            items.append(
                ReportItem(
                    item.kind,
                    check_text(f"{at}.report_items[{n}].ref", item.ref, multiline=False),
                    check_text(f"{at}.report_items[{n}].label", item.label, multiline=False),
                )
            )
        kept.append(
            Action(
                action_id=action_id,
                description=description,
                owner_person_id=owner,
                due=action.due,
                measure=check_text(f"{at}.measure", action.measure),
                embedding_kind=action.embedding_kind,
                embedding_text=check_text(f"{at}.embedding.text", action.embedding_text),
                status=action.status,
                report_items=tuple(items),
                carried_from=previous.carried_from if previous is not None else "",
            )
        )
    return tuple(kept)


@dataclass(frozen=True)
class Change:
    """One entry of a plan's history: who (person id), when, what."""

    by: str
    at: datetime
    what: str  # created, action_added, action_changed, action_removed, adopted, closed, carried_over
    action_id: str = ""
    fields: tuple[dict[str, Any], ...] = field(default_factory=tuple)

    def as_dict(self) -> dict[str, Any]:
        return {
            "by": self.by,
            "at": self.at,
            "what": self.what,
            "action_id": self.action_id,
            "fields": list(self.fields),
        }


def changes(before: Sequence[Action], after: Sequence[Action], by: str, at: datetime) -> list[Change]:
    """What a save changed, per action: added, removed, or which fields (old and new values of the
    short ones; of a long text only that it changed: the plan itself shows the text)."""
    old = {a.action_id: a for a in before}
    new = {a.action_id: a for a in after}
    found = []
    for action in after:
        if action.action_id not in old:
            found.append(Change(by, at, "action_added", action.action_id))
            continue
        was, now = old[action.action_id].values(), action.values()
        fields = []
        for name in (*SHORT_FIELDS, *LONG_FIELDS):
            if was[name] != now[name]:
                fields.append(
                    {"field": name, "old": was[name], "new": now[name]}
                    if name in SHORT_FIELDS
                    else {"field": name}
                )
        if fields:
            found.append(Change(by, at, "action_changed", action.action_id, tuple(fields)))
    for action in before:
        if action.action_id not in new:
            found.append(Change(by, at, "action_removed", action.action_id))
    return found


def carried_over(previous: Sequence[Action]) -> tuple[Action, ...]:
    """The unfinished actions of the group's previous plan, as actions of its new plan (new ids,
    the same owner, date and embedding; the link to where they came from)."""
    return tuple(
        Action(
            action_id=new_action_id(),
            description=a.description,
            owner_person_id=a.owner_person_id,
            due=a.due,
            measure=a.measure,
            embedding_kind=a.embedding_kind,
            embedding_text=a.embedding_text,
            status=a.status,
            report_items=a.report_items,
            carried_from=a.action_id,
        )
        for a in previous
        if a.status in UNFINISHED
    )
