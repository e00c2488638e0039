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

from spiegel_gateway.people.model import PersonOut, normalise_email, status_of
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
    specialism: str | None = None
    employment: str | None = None
    big_number: str | None = None

    @property
    def status(self) -> str:
        return status_of(self.active, self.email_verified)

    def out(self) -> PersonOut:
        return PersonOut(
            person_id=self.person_id,
            display_name=self.display_name,
            email=self.email,
            roles=list(self.roles),
            language=self.language,
            active=self.active,
            email_verified=self.email_verified,
            status=self.status,  # type: ignore[arg-type]
            specialism=self.specialism,
            employment=self.employment,  # type: ignore[arg-type]
            big_number=self.big_number,
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
        specialism=doc.get("specialism") or None,
        employment=doc.get("employment") or None,
        big_number=doc.get("big_number") or None,
    )


def matches(
    person: Person,
    query: str = "",
    role: str | None = None,
    status: str | None = None,
    ids: set[str] | None = None,
) -> bool:
    """Whether a person is in a search of the people list: `query` in the name or the e-mail
    address (case-insensitive, taken literally), holding `role`, in `status`, among `ids`."""
    wanted = query.strip().casefold()
    if wanted and wanted not in person.display_name.casefold() and wanted not in person.email:
        return False
    if role and role not in person.roles:
        return False
    if status and person.status != status:
        return False
    return ids is None or person.person_id in ids


@dataclass(frozen=True)
class Directory:
    """A hospital's people as the list shows them (by name, then id), read whole once and kept
    until a write changes the hospital's people version."""

    version: int
    loaded_at: float
    people: tuple[Person, ...]
    by_id: dict[str, Person]


def identity_key(issuer: str, subject: str) -> str:
    return hashlib.sha256(f"{issuer}|{subject}".encode()).hexdigest()


# The version of a hospital's people (in people_claims): every write adds one after it is made,
# so a process's copy of the list (`directory`) is read again after any change, by any process.
# FerretDB answers a query on anything but the id by reading every document (about a second for
# 5,000 people on this machine class), so the list is read whole once per change, not per page.
DIRECTORY_VERSION = "directory_version"
DIRECTORY_TTL_S = 60.0  # read again after this long anyway (a version bump lost to a crash)
DIRECTORIES_KEPT = 64
ROLE_CHANGE_LEASE = timedelta(seconds=30)  # a change takes milliseconds; a crashed one lapses
ROLE_CHANGE_WAIT_S = 5.0


class PeopleStore:
    def __init__(self, stores: GatewayStores) -> None:
        self.stores = stores
        self._directories: dict[str, Directory] = {}
        self._loading: dict[str, asyncio.Lock] = {}

    async def _changed(self, tenant_id: str) -> None:
        """After a write: the hospital's people version goes up (every process reads the list again)."""
        await self.stores.tenant(tenant_id).people_claims.update(
            DIRECTORY_VERSION, {"$inc": {"version": 1}}, upsert=True
        )

    async def directory(self, tenant_id: str) -> Directory:
        """The hospital's people, read whole when they changed since this process last read them."""
        marker = await self.stores.tenant(tenant_id).people_claims.get(DIRECTORY_VERSION)
        version = int((marker or {}).get("version", 0))

        def current() -> Directory | None:
            kept = self._directories.get(tenant_id)
            fresh = kept is not None and time.monotonic() - kept.loaded_at < DIRECTORY_TTL_S
            return kept if fresh and kept is not None and kept.version >= version else None

        if (kept := current()) is not None:
            return kept
        async with self._loading.setdefault(tenant_id, asyncio.Lock()):
            if (kept := current()) is not None:  # read meanwhile by another request
                return kept
            docs = await self._people(tenant_id).find({}, projection={"password_hash": 0, "_outbox": 0})
            people = sorted(
                (_person(d) for d in docs), key=lambda p: (p.display_name.casefold(), p.person_id)
            )
            loaded = Directory(version, time.monotonic(), tuple(people), {p.person_id: p for p in people})
            self._directories.pop(tenant_id, None)
            self._directories[tenant_id] = loaded
            while len(self._directories) > DIRECTORIES_KEPT:
                self._directories.pop(next(iter(self._directories)))
            return loaded

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
                # For the accreditation service's RGS declarations; never the BIG number.
                specialism=doc.get("specialism") or "",
                employment=doc.get("employment") or "",
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
        specialism: str | None = None,
        employment: str | None = None,
        big_number: str | None = None,
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
            "specialism": specialism,
            "employment": employment,
            "big_number": big_number,
        }
        await self._people(tenant_id).insert(doc, events=[self._event(doc, correlation_id)])
        await self._changed(tenant_id)
        return _person(doc)

    async def create_many(
        self, tenant_id: str, people: list[dict[str, Any]], *, correlation_id: str | None = None
    ) -> list[Person]:
        """Register many people at once, all or none: each entry holds its `id` (chosen when the
        import was checked), `display_name`, `email`, `roles`, `language` and the optional fields.

        First every address is claimed for its person (one unique insert each); if any is taken
        by someone else, the claims this call made are taken back and PersonConflict names the
        addresses: nobody is saved. Then the people are written, each with its PersonRegistered.
        Repeating the call after a crash between the two steps (or during the second) finishes
        the job: a claim that already names the same person is this import's own, and a person
        written already is skipped with its event (`insert_many`).
        """
        emails = self._emails(tenant_id)
        wanted = {normalise_email(p["email"]): p["id"] for p in people}
        inserted = set(await emails.insert_many([{"id": a, "person_id": i} for a, i in wanted.items()]))
        taken: list[str] = []
        stale: list[str] = []
        rest = [a for a in wanted if a not in inserted]
        for start in range(0, len(rest), 500):
            chunk = rest[start : start + 500]
            claimed = {c["id"]: c["person_id"] for c in await emails.find({"id": {"$in": chunk}})}
            holders = {
                d["id"]
                for d in await self._people(tenant_id).find(
                    {"id": {"$in": list(set(claimed.values()))}}, projection={"id": 1}
                )
            }
            for address in chunk:
                holder = claimed.get(address)
                if holder == wanted[address]:
                    continue  # this import's own claim (a confirmation repeated)
                if holder is None or holder not in holders:
                    stale.append(address)  # left by a crash before its person was written
                else:
                    taken.append(address)
        if taken:
            await emails.delete_many_by_id(sorted(inserted))
            raise PersonConflict("emails_taken", emails=", ".join(sorted(taken)[:10]))
        for address in stale:
            await emails.update(address, {"$set": {"person_id": wanted[address]}})
        now = datetime.now(UTC)
        docs = [
            {
                "id": p["id"],
                "tenant_id": tenant_id,
                "display_name": p["display_name"],
                "email": normalise_email(p["email"]),
                "roles": list(p["roles"]),
                "language": p.get("language") or "nl",
                "active": True,
                "email_verified": False,
                "password_hash": None,
                "revision": 1,
                "created_at": now,
                "specialism": p.get("specialism") or None,
                "employment": p.get("employment") or None,
                "big_number": p.get("big_number") or None,
            }
            for p in people
        ]
        await self._people(tenant_id).insert_many(docs, [[self._event(d, correlation_id)] for d in docs])
        await self._changed(tenant_id)
        return [_person(d) for d in docs]

    async def withdraw_many(self, tenant_id: str, people: list[dict[str, Any]]) -> int:
        """Undo `create_many` for these entries (`id`, `email`) after a later step of their import
        failed: each person still as the import wrote them (revision 1, never activated) is
        removed with their pending PersonRegistered (it is in the document), and each address
        claim that names them is given up. Anyone changed meanwhile stays. Returns how many were
        removed. A PersonRegistered the relay published already is not taken back (the invitation
        service keeps that name and address in its directory until a later revision)."""
        if not people:
            return 0
        repo, emails = self._people(tenant_id), self._emails(tenant_id)
        ids = [p["id"] for p in people]
        written = {
            d["id"]: d
            for d in await repo.find(
                {"id": {"$in": ids}},
                projection={"id": 1, "revision": 1, "email_verified": 1, "password_hash": 1},
            )
        }
        untouched = [
            i
            for i, d in written.items()
            if int(d.get("revision", 1)) == 1 and not d.get("email_verified") and not d.get("password_hash")
        ]
        await repo.delete_many_by_id(untouched)
        wanted = {normalise_email(p["email"]): p["id"] for p in people}
        claims = await emails.find({"id": {"$in": sorted(wanted)}})
        kept = set(written) - set(untouched)
        await emails.delete_many_by_id(
            [c["id"] for c in claims if c.get("person_id") == wanted[c["id"]] and c["person_id"] not in kept]
        )
        await self._changed(tenant_id)
        return len(untouched)

    async def change_email(self, person: Person, email: str, *, correlation_id: str | None = None) -> Person:
        """A new address, unique within the hospital: claimed first, the old claim given up after."""
        address = normalise_email(email)
        if address == person.email:
            return person
        emails = self._emails(person.tenant_id)
        try:
            await emails.insert({"id": address, "person_id": person.person_id})
        except DuplicateKeyError:
            claimed = await emails.get(address)
            holder = claimed["person_id"] if claimed else None
            if holder != person.person_id:
                if holder is not None and await self.get(person.tenant_id, holder) is not None:
                    raise PersonConflict("email_taken", email=address) from None
                await emails.update(address, {"$set": {"person_id": person.person_id}})
        try:
            updated = await self.change(person, {"email": address}, correlation_id=correlation_id)
        except PersonConflict:
            await emails.delete(address)
            raise
        old = await emails.get(person.email)
        if old is not None and old["person_id"] == person.person_id:
            await emails.delete(person.email)
        return updated

    async def search(
        self,
        tenant_id: str,
        *,
        query: str = "",
        role: str | None = None,
        status: str | None = None,
        ids: list[str] | None = None,
        offset: int = 0,
        limit: int = 50,
    ) -> tuple[list[Person], int]:
        """One page of the people matching (by name, then id), and how many match in all."""
        people = (await self.directory(tenant_id)).people
        among = set(ids) if ids is not None else None
        found = [p for p in people if matches(p, query, role, status, among)]
        return found[offset : offset + limit], len(found)

    async def names_by_id(self, tenant_id: str, person_ids: set[str] | list[str]) -> dict[str, str]:
        """The names of these people of the hospital (an unknown id is left out)."""
        known = (await self.directory(tenant_id)).by_id
        return {i: known[i].display_name for i in person_ids if i in known}

    async def emails_in_use(self, tenant_id: str, addresses: list[str]) -> dict[str, tuple[str, str]]:
        """Of these (normalised) addresses, those a person of this hospital has:
        address -> (person id, name)."""
        wanted = set(addresses)
        return {
            p.email: (p.person_id, p.display_name)
            for p in (await self.directory(tenant_id)).people
            if p.email in wanted
        }

    async def get(self, tenant_id: str, person_id: str) -> Person | None:
        doc = await self._people(tenant_id).get(person_id)
        return _person(doc) if doc else None

    async def by_email(self, tenant_id: str, email: str) -> Person | None:
        claimed = await self._emails(tenant_id).get(normalise_email(email))
        return await self.get(tenant_id, claimed["person_id"]) if claimed else None

    async def all(self, tenant_id: str, limit: int = 1000) -> list[Person]:
        docs = await self._people(tenant_id).find({}, sort=[("display_name", 1)], limit=limit)
        return [_person(d) for d in docs]

    async def names(self, tenant_id: str) -> set[str]:
        """Every name in the hospital, lower-case (an import warns of a second person of that name)."""
        return {p.display_name.lower() for p in (await self.directory(tenant_id)).people}

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
            "email_verified": person.email_verified,
            "specialism": person.specialism,
            "employment": person.employment,
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
        await self._changed(person.tenant_id)
        return _person(updated)

    async def set_password(self, person: Person, password_hash: str, *, verified: bool = False) -> None:
        change: dict[str, Any] = {"password_hash": password_hash}
        if verified:
            change["email_verified"] = True
        await self._people(person.tenant_id).update(person.person_id, {"$set": change})
        if verified:
            await self._changed(person.tenant_id)

    async def mark_verified(self, person: Person) -> None:
        await self._people(person.tenant_id).update(person.person_id, {"$set": {"email_verified": True}})
        await self._changed(person.tenant_id)

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
