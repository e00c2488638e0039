"""Groups in the gateway's database, with GroupChanged in the same write.

- `groups`: one document per group (id = group id) in the hospital's scope: name, kind,
  specialism, contact person, the current members and the history of membership changes;
  its outbox carries GroupChanged (every change, with the new revision).
- `group_names`: id = `name_key(name)` -> group id: a name is unique within a hospital,
  whatever its case (one unique insert claims it).

Every change is one conditional write on the group's revision (optimistic concurrency; a
change that lost the race is tried again on the group as it is now). Whether a person may be
a member (a specialist of this hospital) is the caller's check (`api.py`): the store keeps
what it is given.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from pymongo.errors import DuplicateKeyError
from spiegel.gateway.v1 import events_pb2
from spiegel_platform.events import new_event
from spiegel_platform.storage.repository import TenantRepository

from spiegel_gateway.groups.model import JOINED, LEFT, MembershipChange, members_on, name_key
from spiegel_gateway.storage import GatewayStores

STALE_CLAIM = timedelta(seconds=30)  # a create or rename takes milliseconds between claim and write
ATTEMPTS = 8  # a change that keeps losing the race to others this often is refused (409)


class GroupConflict(Exception):
    """The name is taken, or the group kept changing meanwhile."""

    def __init__(self, code: str, **params: Any) -> None:
        """`code` and `params` as for an `ApiError` (the API answers 409 with them)."""
        super().__init__(code, params)
        self.code = code
        self.params = params


@dataclass(frozen=True)
class Group:
    group_id: str
    tenant_id: str
    name: str
    kind: str
    specialism: str
    contact_person_id: str | None
    members: tuple[str, ...]  # current members' person ids, in the order they joined
    history: tuple[MembershipChange, ...]
    revision: int

    def members_on(self, moment: datetime) -> list[str]:
        return members_on(self.history, moment)


def _group(doc: dict[str, Any]) -> Group:
    return Group(
        group_id=doc["id"],
        tenant_id=doc["tenant_id"],
        name=doc["name"],
        kind=doc["kind"],
        specialism=doc.get("specialism", ""),
        contact_person_id=doc.get("contact_person_id") or None,
        members=tuple(doc.get("members", ())),
        history=tuple(
            MembershipChange(
                person_id=h["person_id"],
                change=h["change"],
                at=h["at"].replace(tzinfo=UTC) if h["at"].tzinfo is None else h["at"],
                by=h["by"],
            )
            for h in doc.get("history", ())
        ),
        revision=int(doc["revision"]),
    )


# The version of a hospital's groups (in people_claims, beside the people version).
GROUPS_VERSION = "groups_version"
BRIEF_TTL_S = 60.0


class GroupStore:
    def __init__(self, stores: GatewayStores) -> None:
        self.stores = stores
        self._brief: dict[str, tuple[int, float, tuple[Group, ...]]] = {}

    def _groups(self, tenant_id: str) -> TenantRepository:
        return self.stores.tenant(tenant_id).groups

    def _names(self, tenant_id: str) -> TenantRepository:
        return self.stores.tenant(tenant_id).group_names

    @staticmethod
    def _event(doc: dict[str, Any], correlation_id: str | None) -> Any:
        return new_event(
            events_pb2.GroupChanged(
                group_id=doc["id"],
                name=doc["name"],
                kind=doc["kind"],
                specialism=doc.get("specialism", ""),
                member_person_ids=list(doc.get("members", ())),
                contact_person_id=doc.get("contact_person_id") or "",
                revision=doc["revision"],
            ),
            tenant_id=doc["tenant_id"],
            producer="gateway",
            correlation_id=correlation_id,
        )

    # -- names ----------------------------------------------------------------
    async def _claim_name(self, tenant_id: str, name: str, group_id: str) -> None:
        """Claim `name` for `group_id`, or raise GroupConflict("group_name_taken")."""
        names = self._names(tenant_id)
        key = name_key(name)
        now = datetime.now(UTC)
        try:
            await names.insert({"id": key, "group_id": group_id, "claimed_at": now})
            return
        except DuplicateKeyError:
            pass
        claimed = await names.get(key)
        if claimed is None or claimed["group_id"] == group_id:
            return
        holder = await self._groups(tenant_id).get(claimed["group_id"])
        if holder is not None and name_key(holder["name"]) == key:
            raise GroupConflict("group_name_taken", name=holder["name"])
        # A claim whose group does not bear the name: a create or rename under way (a moment), or
        # one a crash left behind, which is taken over once it is older than STALE_CLAIM.
        claimed_at = claimed.get("claimed_at")
        if claimed_at is not None and claimed_at.replace(tzinfo=UTC) > now - STALE_CLAIM:
            raise GroupConflict("group_name_taken", name=name)
        taken = await names.update(
            key,
            {"$set": {"group_id": group_id, "claimed_at": now}},
            expect={"group_id": claimed["group_id"]},
        )
        if taken is None:
            raise GroupConflict("group_name_taken", name=name)

    async def _release_name(self, tenant_id: str, name: str, group_id: str) -> None:
        names = self._names(tenant_id)
        claimed = await names.get(name_key(name))
        if claimed is not None and claimed["group_id"] == group_id:
            await names.delete(name_key(name))

    # -- reads ----------------------------------------------------------------
    async def get(self, tenant_id: str, group_id: str) -> Group | None:
        doc = await self._groups(tenant_id).get(group_id)
        return _group(doc) if doc else None

    async def find_by_name(self, tenant_id: str, name: str) -> Group | None:
        """The group of this name in the hospital, whatever its case and spacing."""
        claimed = await self._names(tenant_id).get(name_key(name))
        if claimed is None:
            return None
        group = await self.get(tenant_id, claimed["group_id"])
        return group if group is not None and name_key(group.name) == name_key(name) else None

    async def _changed(self, tenant_id: str) -> None:
        """After a write: the hospital's groups version goes up (the brief list is read again)."""
        await self.stores.tenant(tenant_id).people_claims.update(
            GROUPS_VERSION, {"$inc": {"version": 1}}, upsert=True
        )

    async def briefly(self, tenant_id: str) -> list[Group]:
        """The hospital's groups by name without members and history (a choice of group: the
        people list's filter), read again only when a group changed (FerretDB reads every
        group's whole document for a list, members and history included)."""
        marker = await self.stores.tenant(tenant_id).people_claims.get(GROUPS_VERSION)
        version = int((marker or {}).get("version", 0))
        kept = self._brief.get(tenant_id)
        if kept is not None and kept[0] >= version and time.monotonic() - kept[1] < BRIEF_TTL_S:
            return list(kept[2])
        groups = await self.all(tenant_id, limit=0, brief=True)
        self._brief.pop(tenant_id, None)
        self._brief[tenant_id] = (version, time.monotonic(), tuple(groups))
        while len(self._brief) > 64:
            self._brief.pop(next(iter(self._brief)))
        return groups

    async def all(self, tenant_id: str, limit: int = 1000, *, brief: bool = False) -> list[Group]:
        """The hospital's groups by name; `brief`: without members and history (a choice of group)."""
        projection = {"members": 0, "history": 0, "_outbox": 0} if brief else None
        docs = await self._groups(tenant_id).find(
            {}, sort=[("name_key", 1)], limit=limit, projection=projection
        )
        return [_group(d) for d in docs]

    async def groups_of(self, tenant_id: str, person_id: str) -> list[Group]:
        """The groups a person is a member of now."""
        docs = await self._groups(tenant_id).find({"members": person_id}, sort=[("name_key", 1)])
        return [_group(d) for d in docs]

    async def members(self, tenant_id: str, group_id: str) -> list[str]:
        """The current members' person ids (empty for an unknown group)."""
        group = await self.get(tenant_id, group_id)
        return list(group.members) if group else []

    async def members_on(self, tenant_id: str, group_id: str, moment: datetime) -> list[str]:
        group = await self.get(tenant_id, group_id)
        return group.members_on(moment) if group else []

    # -- writes ---------------------------------------------------------------
    async def create(
        self,
        tenant_id: str,
        *,
        name: str,
        kind: str = "vakgroep",
        specialism: str = "",
        contact_person_id: str | None = None,
        members: list[str] | tuple[str, ...] = (),
        by: str,
        correlation_id: str | None = None,
    ) -> Group:
        """A new group (its name claimed first: GroupConflict("group_name_taken") when in use)."""
        group_id = uuid.uuid4().hex
        name = " ".join(name.split())
        await self._claim_name(tenant_id, name, group_id)
        now = datetime.now(UTC)
        unique_members = list(dict.fromkeys(members))
        doc: dict[str, Any] = {
            "id": group_id,
            "tenant_id": tenant_id,
            "name": name,
            "name_key": name_key(name),
            "kind": kind,
            "specialism": " ".join(specialism.split()),
            "contact_person_id": contact_person_id or None,
            "members": unique_members,
            "history": [{"person_id": p, "change": JOINED, "at": now, "by": by} for p in unique_members],
            "revision": 1,
            "created_at": now,
            "created_by": by,
        }
        await self._groups(tenant_id).insert(doc, events=[self._event(doc, correlation_id)])
        await self._changed(tenant_id)
        return _group(doc)

    async def _apply(
        self,
        tenant_id: str,
        group_id: str,
        step: Callable[[dict[str, Any]], dict[str, Any] | None],
        correlation_id: str | None,
    ) -> Group | None:
        """Apply `step` (the document as it is -> the fields to set, or None for no change) in one
        conditional write; tried again on the group as it is now when another change came first.
        None when the group does not exist."""
        repo = self._groups(tenant_id)
        for _ in range(ATTEMPTS):
            doc = await repo.get(group_id)
            if doc is None:
                return None
            change = step(doc)
            if not change:
                return _group(doc)
            revision = int(doc["revision"]) + 1
            merged = {**doc, **change, "revision": revision}
            updated = await repo.update(
                group_id,
                {"$set": {**change, "revision": revision}},
                events=[self._event(merged, correlation_id)],
                expect={"revision": doc["revision"]},
            )
            if updated is not None:
                await self._changed(tenant_id)
                return _group(updated)
        raise GroupConflict("group_changed_meanwhile")

    async def change(
        self,
        tenant_id: str,
        group_id: str,
        *,
        name: str | None = None,
        kind: str | None = None,
        specialism: str | None = None,
        contact_person_id: str | None = None,
        by: str,
        correlation_id: str | None = None,
    ) -> Group | None:
        """Change name, kind, specialism or contact person ("" removes it). A new name is
        claimed first and the old one released after the change."""
        current = await self.get(tenant_id, group_id)
        if current is None:
            return None
        change: dict[str, Any] = {}
        new_name = " ".join(name.split()) if name is not None else None
        renamed = new_name is not None and new_name != current.name
        if renamed and new_name is not None:
            if name_key(new_name) != name_key(current.name):
                await self._claim_name(tenant_id, new_name, group_id)
            change["name"] = new_name
            change["name_key"] = name_key(new_name)
        if kind is not None:
            change["kind"] = kind
        if specialism is not None:
            change["specialism"] = " ".join(specialism.split())
        if contact_person_id is not None:
            change["contact_person_id"] = contact_person_id or None
        change_by = {"changed_by": by, "changed_at": datetime.now(UTC)}

        def step(doc: dict[str, Any]) -> dict[str, Any] | None:
            wanted = {k: v for k, v in change.items() if doc.get(k) != v}
            return {**wanted, **change_by} if wanted else None

        try:
            updated = await self._apply(tenant_id, group_id, step, correlation_id)
        except GroupConflict:
            if renamed and new_name is not None and name_key(new_name) != name_key(current.name):
                await self._release_name(tenant_id, new_name, group_id)
            raise
        if renamed and updated is not None and name_key(current.name) != name_key(updated.name):
            await self._release_name(tenant_id, current.name, group_id)
        return updated

    async def add_member(
        self, tenant_id: str, group_id: str, person_id: str, *, by: str, correlation_id: str | None = None
    ) -> Group | None:
        """Add a member (no change when they are one already); None for an unknown group."""

        def step(doc: dict[str, Any]) -> dict[str, Any] | None:
            if person_id in doc.get("members", []):
                return None
            entry = {"person_id": person_id, "change": JOINED, "at": datetime.now(UTC), "by": by}
            return {
                "members": [*doc.get("members", []), person_id],
                "history": [*doc.get("history", []), entry],
            }

        return await self._apply(tenant_id, group_id, step, correlation_id)

    async def add_members(
        self,
        tenant_id: str,
        group_id: str,
        person_ids: list[str],
        *,
        by: str,
        correlation_id: str | None = None,
    ) -> Group | None:
        """Add many members in one write (those who are members already are left as they are; the
        people import links a whole file's rows this way); None for an unknown group."""

        def step(doc: dict[str, Any]) -> dict[str, Any] | None:
            current = doc.get("members", [])
            new = [p for p in dict.fromkeys(person_ids) if p not in current]
            if not new:
                return None
            now = datetime.now(UTC)
            entries = [{"person_id": p, "change": JOINED, "at": now, "by": by} for p in new]
            return {"members": [*current, *new], "history": [*doc.get("history", []), *entries]}

        return await self._apply(tenant_id, group_id, step, correlation_id)

    async def withdraw_members(
        self, tenant_id: str, group_id: str, person_ids: list[str], *, correlation_id: str | None = None
    ) -> Group | None:
        """Take back members that a people import added and then withdrew (its confirmation failed:
        those people are removed, as if never saved): out of the members and the history alike."""
        gone = set(person_ids)

        def step(doc: dict[str, Any]) -> dict[str, Any] | None:
            if not gone & (set(doc.get("members", [])) | {h["person_id"] for h in doc.get("history", [])}):
                return None
            return {
                "members": [p for p in doc.get("members", []) if p not in gone],
                "history": [h for h in doc.get("history", []) if h["person_id"] not in gone],
            }

        return await self._apply(tenant_id, group_id, step, correlation_id)

    async def remove_member(
        self, tenant_id: str, group_id: str, person_id: str, *, by: str, correlation_id: str | None = None
    ) -> Group | None:
        """Remove a member (no change when they are none); None for an unknown group."""

        def step(doc: dict[str, Any]) -> dict[str, Any] | None:
            if person_id not in doc.get("members", []):
                return None
            entry = {"person_id": person_id, "change": LEFT, "at": datetime.now(UTC), "by": by}
            return {
                "members": [p for p in doc["members"] if p != person_id],
                "history": [*doc.get("history", []), entry],
            }

        return await self._apply(tenant_id, group_id, step, correlation_id)
