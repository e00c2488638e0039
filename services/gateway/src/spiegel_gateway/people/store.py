"""People in the gateway's database, with PersonRegistered in the same write.

- `people`: one document per person (id = person id) in the hospital's scope
  (operators: the platform scope); its outbox carries PersonRegistered.
- `person_emails`: id = the lower-cased e-mail address -> person id (unique per
  hospital; sign-in reads it by id).
- `oidc_identities`: id = sha256(issuer | subject) -> person id.
- `people_claims`: id = "roles": the claim one change of roles or activation at a
  time holds (per hospital), so "is someone else still an administrator?" and the
  change are one step (FerretDB has no transactions).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from pymongo.errors import DuplicateKeyError
from spiegel.gateway.v1 import events_pb2
from spiegel_platform.events import new_event
from spiegel_platform.storage import claims
from spiegel_platform.storage.repository import TenantRepository

from spiegel_gateway.people.model import PersonOut, normalise_email
from spiegel_gateway.storage import GatewayStores


class PersonConflict(Exception):
    """The e-mail address is taken, or the person changed meanwhile."""

    def __init__(self, code: str, **params: Any) -> None:
        """`code` and `params` as for an `ApiError` (the API answers 409 with them)."""
        super().__init__(code, params)
        self.code = code
        self.params = params


@dataclass(frozen=True)
class Person:
    person_id: str
    tenant_id: str
    display_name: str
    email: str
    roles: tuple[str, ...]
    language: str
    active: bool
    email_verified: bool
    password_hash: str | None
    revision: int

    def out(self) -> PersonOut:
        return PersonOut(
            person_id=self.person_id,
            display_name=self.display_name,
            email=self.email,
            roles=list(self.roles),
            language=self.language,
            active=self.active,
            email_verified=self.email_verified,
        )


def _person(doc: dict[str, Any]) -> Person:
    return Person(
        person_id=doc["id"],
        tenant_id=doc["tenant_id"],
        display_name=doc["display_name"],
        email=doc["email"],
        roles=tuple(doc["roles"]),
        language=doc["language"],
        active=bool(doc["active"]),
        email_verified=bool(doc["email_verified"]),
        password_hash=doc.get("password_hash"),
        revision=int(doc["revision"]),
    )


def identity_key(issuer: str, subject: str) -> str:
    return hashlib.sha256(f"{issuer}|{subject}".encode()).hexdigest()


ROLE_CHANGE_LEASE = timedelta(seconds=30)  # a change takes milliseconds; a crashed one lapses
ROLE_CHANGE_WAIT_S = 5.0


class PeopleStore:
    def __init__(self, stores: GatewayStores) -> None:
        self.stores = stores

    @contextlib.asynccontextmanager
    async def role_changes(self, tenant_id: str) -> AsyncIterator[None]:
        """One change of roles or activation at a time in a hospital (others wait a moment).

        Raises PersonConflict when another does not finish within ROLE_CHANGE_WAIT_S. The claim
        is a lease of ROLE_CHANGE_LEASE by the gateway's clock: a change that took longer, or
        gateway replicas whose clocks differ by more, could overlap with the next (a change
        takes milliseconds; the clocks are NTP-synchronised). A release that fails is left
        to lapse: the change itself was made.
        """
        repo = self.stores.tenant(tenant_id).people_claims
        deadline = time.monotonic() + ROLE_CHANGE_WAIT_S
        while (holder := await claims.claim(repo, "roles", ROLE_CHANGE_LEASE)) is None:
            if time.monotonic() > deadline:
                raise PersonConflict("role_change_under_way")
            await asyncio.sleep(0.02)
        try:
            yield
        finally:
            with contextlib.suppress(Exception):
                await claims.release(repo, "roles", holder)

    def _people(self, tenant_id: str) -> TenantRepository:
        return self.stores.tenant(tenant_id).people

    def _emails(self, tenant_id: str) -> TenantRepository:
        return self.stores.tenant(tenant_id).person_emails

    def _identities(self, tenant_id: str) -> TenantRepository:
        return self.stores.tenant(tenant_id).oidc_identities

    @staticmethod
    def _event(doc: dict[str, Any], correlation_id: str | None) -> Any:
        return new_event(
            events_pb2.PersonRegistered(
                person_id=doc["id"],
                display_name=doc["display_name"],
                email=doc["email"],
                roles=doc["roles"],
                language=doc["language"],
                active=doc["active"],
                revision=doc["revision"],
            ),
            tenant_id=doc["tenant_id"],
            producer="gateway",
            correlation_id=correlation_id,
        )

    async def create(
        self,
        tenant_id: str,
        *,
        display_name: str,
        email: str,
        roles: list[str],
        language: str,
        password_hash: str | None = None,
        email_verified: bool = False,
        correlation_id: str | None = None,
    ) -> Person:
        address = normalise_email(email)
        person_id = uuid.uuid4().hex
        emails = self._emails(tenant_id)
        try:
            await emails.insert({"id": address, "person_id": person_id})
        except DuplicateKeyError:
            claimed = await emails.get(address)
            # A claim left by a crash before the person was written may be reused.
            if claimed is None or await self.get(tenant_id, claimed["person_id"]) is not None:
                raise PersonConflict("email_taken", email=address) from None
            person_id = claimed["person_id"]
        doc: dict[str, Any] = {
            "id": person_id,
            "tenant_id": tenant_id,
            "display_name": display_name,
            "email": address,
            "roles": list(roles),
            "language": language,
            "active": True,
            "email_verified": email_verified,
            "password_hash": password_hash,
            "revision": 1,
            "created_at": datetime.now(UTC),
        }
        await self._people(tenant_id).insert(doc, events=[self._event(doc, correlation_id)])
        return _person(doc)

    async def get(self, tenant_id: str, person_id: str) -> Person | None:
        doc = await self._people(tenant_id).get(person_id)
        return _person(doc) if doc else None

    async def by_email(self, tenant_id: str, email: str) -> Person | None:
        claimed = await self._emails(tenant_id).get(normalise_email(email))
        return await self.get(tenant_id, claimed["person_id"]) if claimed else None

    async def all(self, tenant_id: str, limit: int = 1000) -> list[Person]:
        docs = await self._people(tenant_id).find({}, sort=[("display_name", 1)], limit=limit)
        return [_person(d) for d in docs]

    async def active_with_role(self, tenant_id: str, role: str, limit: int = 0) -> list[Person]:
        docs = await self._people(tenant_id).find({"roles": role, "active": True}, limit=limit)
        return [_person(d) for d in docs]

    async def many(self, tenant_id: str, person_ids: list[str] | set[str]) -> dict[str, Person]:
        """The hospital's people among these ids, in one query (an id of another hospital is absent)."""
        wanted = sorted({p for p in person_ids if p})
        if not wanted:
            return {}
        docs = await self._people(tenant_id).find({"id": {"$in": wanted}})
        return {d["id"]: _person(d) for d in docs}

    async def change(
        self, person: Person, change: dict[str, Any], *, correlation_id: str | None = None
    ) -> Person:
        """Change a person's profile, roles or state; announces the new revision."""
        merged = {
            "id": person.person_id,
            "tenant_id": person.tenant_id,
            "display_name": person.display_name,
            "email": person.email,
            "roles": list(person.roles),
            "language": person.language,
            "active": person.active,
            **change,
            "revision": person.revision + 1,
        }
        updated = await self._people(person.tenant_id).update(
            person.person_id,
            {"$set": {**change, "revision": person.revision + 1}},
            events=[self._event(merged, correlation_id)],
            expect={"revision": person.revision},
        )
        if updated is None:
            raise PersonConflict("person_changed_meanwhile")
        return _person(updated)

    async def set_password(self, person: Person, password_hash: str, *, verified: bool = False) -> None:
        change: dict[str, Any] = {"password_hash": password_hash}
        if verified:
            change["email_verified"] = True
        await self._people(person.tenant_id).update(person.person_id, {"$set": change})

    async def mark_verified(self, person: Person) -> None:
        await self._people(person.tenant_id).update(person.person_id, {"$set": {"email_verified": True}})

    # -- OpenID Connect identities ------------------------------------------
    async def by_identity(self, tenant_id: str, issuer: str, subject: str) -> Person | None:
        link = await self._identities(tenant_id).get(identity_key(issuer, subject))
        return await self.get(tenant_id, link["person_id"]) if link else None

    async def link_identity(self, person: Person, issuer: str, subject: str) -> None:
        try:
            await self._identities(person.tenant_id).insert(
                {
                    "id": identity_key(issuer, subject),
                    "person_id": person.person_id,
                    "issuer": issuer,
                    "linked_at": datetime.now(UTC),
                }
            )
        except DuplicateKeyError:
            pass  # linked by a concurrent sign-in
