"""Sessions and personal API tokens, stored by the hash of their secret.

A credential is "<tenant id>.<random>": the tenant part lets the gateway tell
a credential of another hospital (refused with 403 and audited) from an
unknown one (401) without a lookup. Only the SHA-256 of the whole credential
is stored (`sessions`, `api_tokens`, id = that hash, in the hospital's scope):
a read of the database yields no usable credential. Each request costs one
get by id.

A session keeps a snapshot of the person's roles, name, e-mail and language;
changing a person's roles or deactivating them revokes their sessions and API
tokens, so a snapshot is never stale for long enough to matter.
"""

from __future__ import annotations

import hashlib
import secrets
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from spiegel_platform.storage.repository import TenantRepository

from spiegel_gateway.people.store import Person
from spiegel_gateway.storage import GatewayStores

API_TOKEN_PREFIX = "spg_"  # noqa: S105 - a prefix, not a secret


def credential_hash(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def credential_tenant(value: str) -> str | None:
    """The tenant a credential was issued in (not yet proof of anything)."""
    value = value.removeprefix(API_TOKEN_PREFIX)
    tenant, dot, rest = value.partition(".")
    return tenant if dot and tenant and rest else None


def _new_credential(tenant_id: str, prefix: str = "") -> str:
    return f"{prefix}{tenant_id}.{secrets.token_urlsafe(32)}"


@dataclass(frozen=True)
class Session:
    """A signed-in person's browser session, or a respondent's link session."""

    id: str  # the hash of the cookie value
    tenant_id: str
    kind: Literal["person", "respondent", "api_token"]
    subject: str  # person id, or "link:<token hash>"
    roles: tuple[str, ...]
    email: str
    name: str
    language: str
    csrf: str
    expires_at: datetime
    link_hash: str | None = None
    link_token_sealed: str | None = field(default=None, repr=False)
    method: str = ""  # how the person signed in: "password", "oidc" (a signing asks the same again)

    @property
    def person_id(self) -> str | None:
        return None if self.kind == "respondent" else self.subject


def _session(doc: dict[str, Any]) -> Session:
    return Session(
        id=doc["id"],
        tenant_id=doc["tenant_id"],
        kind=doc["kind"],
        subject=doc["subject"],
        roles=tuple(doc["roles"]),
        email=doc.get("email", ""),
        name=doc.get("name", ""),
        language=doc.get("language", "nl"),
        csrf=doc.get("csrf", ""),
        expires_at=doc["expires_at"],
        link_hash=doc.get("link_hash"),
        link_token_sealed=doc.get("link_token_sealed"),
        method=doc.get("method", ""),
    )


class SessionStore:
    """Sessions and API tokens; the request path reads them through a short per-process cache.

    A credential looked up in the database is remembered for `cache_seconds`
    (SESSION_CACHE_SECONDS, default 2): on this machine class a session read
    costs as much CPU (in the gateway and the database) as the whole call to the
    service behind it. Signing out, logout everywhere, role changes and password
    resets evict the credential from this process's cache at once; another
    gateway replica notices within `cache_seconds`. 0 turns the cache off.
    """

    MAX_CACHED = 100_000

    def __init__(self, stores: GatewayStores, *, cache_seconds: float = 0.0) -> None:
        self.stores = stores
        self.cache_seconds = cache_seconds
        self._cache: dict[tuple[str, str], tuple[Session, float]] = {}

    def _cached(self, tenant_id: str, credential_id: str) -> Session | None:
        hit = self._cache.get((tenant_id, credential_id))
        if hit is None:
            return None
        session, until = hit
        if until <= time.monotonic() or session.expires_at <= datetime.now(UTC):
            self._cache.pop((tenant_id, credential_id), None)
            return None
        return session

    def _remember(self, session: Session) -> Session:
        if self.cache_seconds > 0:
            if len(self._cache) >= self.MAX_CACHED:
                self._cache.clear()
            self._cache[(session.tenant_id, session.id)] = (session, time.monotonic() + self.cache_seconds)
        return session

    def evict(self, tenant_id: str, credential_id: str) -> None:
        self._cache.pop((tenant_id, credential_id), None)

    def _sessions(self, tenant_id: str) -> TenantRepository:
        return self.stores.tenant(tenant_id).sessions

    def _tokens(self, tenant_id: str) -> TenantRepository:
        return self.stores.tenant(tenant_id).api_tokens

    # -- browser sessions -----------------------------------------------------
    async def open(self, person: Person, *, lifetime: timedelta, method: str) -> tuple[str, Session]:
        cookie = _new_credential(person.tenant_id)
        doc = {
            "id": credential_hash(cookie),
            "kind": "person",
            "subject": person.person_id,
            "person_id": person.person_id,
            "roles": list(person.roles),
            "email": person.email,
            "name": person.display_name,
            "language": person.language,
            "csrf": secrets.token_urlsafe(32),
            "method": method,
            "created_at": datetime.now(UTC),
            "expires_at": datetime.now(UTC) + lifetime,
        }
        stored = await self._sessions(person.tenant_id).insert(doc)
        return cookie, _session(stored)

    async def open_respondent(
        self,
        tenant_id: str,
        *,
        link_hash: str,
        link_token_sealed: str,
        language: str,
        lifetime: timedelta,
    ) -> tuple[str, Session]:
        cookie = _new_credential(tenant_id)
        doc = {
            "id": credential_hash(cookie),
            "kind": "respondent",
            "subject": f"link:{link_hash}",
            "roles": ["respondent"],
            "language": language,
            "csrf": secrets.token_urlsafe(32),
            "link_hash": link_hash,
            "link_token_sealed": link_token_sealed,
            "created_at": datetime.now(UTC),
            "expires_at": datetime.now(UTC) + lifetime,
        }
        stored = await self._sessions(tenant_id).insert(doc)
        return cookie, _session(stored)

    async def by_cookie(self, tenant_id: str, cookie: str) -> Session | None:
        key = credential_hash(cookie)
        cached = self._cached(tenant_id, key)
        if cached is not None:
            return cached
        doc = await self._sessions(tenant_id).get(key)
        if doc is None:
            return None
        session = _session(doc)
        if session.expires_at <= datetime.now(UTC):
            await self._sessions(tenant_id).delete(session.id)
            return None
        return self._remember(session)

    async def close(self, tenant_id: str, session_id: str) -> None:
        self.evict(tenant_id, session_id)
        await self._sessions(tenant_id).delete(session_id)

    async def close_all_of(self, tenant_id: str, person_id: str, *, api_tokens: bool) -> list[str]:
        """Logout everywhere: every session (and optionally every API token) of a person.

        A scan of the hospital's sessions by person: rare, and bounded by the
        hospital's size. Returns the revoked credential hashes.
        """
        revoked = []
        sessions = self._sessions(tenant_id)
        for doc in await sessions.find({"person_id": person_id}, projection={"id": 1}):
            self.evict(tenant_id, doc["id"])
            await sessions.delete(doc["id"])
            revoked.append(doc["id"])
        if api_tokens:
            tokens = self._tokens(tenant_id)
            for doc in await tokens.find({"person_id": person_id}, projection={"id": 1}):
                self.evict(tenant_id, doc["id"])
                await tokens.delete(doc["id"])
                revoked.append(doc["id"])
        return revoked

    async def close_all_in(self, tenant_id: str) -> int:
        """Every session of a hospital, its people's and its respondents' links (the hospital is
        suspended). API tokens stay: they are refused while it is suspended and work again after."""
        sessions = self._sessions(tenant_id)
        ids = [doc["id"] for doc in await sessions.find({}, projection={"id": 1})]
        for credential_id in ids:
            self.evict(tenant_id, credential_id)
        if ids:
            await sessions.delete_many_by_id(ids)
        return len(ids)

    async def language(self, session: Session, language: str) -> None:
        self.evict(session.tenant_id, session.id)
        await self._sessions(session.tenant_id).update(session.id, {"$set": {"language": language}})

    # -- personal API tokens ----------------------------------------------------
    async def create_api_token(
        self, person: Person, *, name: str, lifetime: timedelta
    ) -> tuple[str, dict[str, Any]]:
        token = _new_credential(person.tenant_id, API_TOKEN_PREFIX)
        doc = {
            "id": credential_hash(token),
            "token_id": uuid.uuid4().hex[:12],
            "name": name,
            "person_id": person.person_id,
            "roles": list(person.roles),
            "email": person.email,
            "display_name": person.display_name,
            "language": person.language,
            "created_at": datetime.now(UTC),
            "expires_at": datetime.now(UTC) + lifetime,
        }
        stored = await self._tokens(person.tenant_id).insert(doc)
        return token, stored

    async def by_api_token(self, tenant_id: str, token: str) -> Session | None:
        key = credential_hash(token)
        cached = self._cached(tenant_id, key)
        if cached is not None:
            return cached
        doc = await self._tokens(tenant_id).get(key)
        if doc is None or doc["expires_at"] <= datetime.now(UTC):
            return None
        return self._remember(
            Session(
                id=doc["id"],
                tenant_id=tenant_id,
                kind="api_token",
                subject=doc["person_id"],
                roles=tuple(doc["roles"]),
                email=doc.get("email", ""),
                name=doc.get("display_name", ""),
                language=doc.get("language", "nl"),
                csrf="",
                expires_at=doc["expires_at"],
            )
        )

    async def api_tokens_of(self, tenant_id: str, person_id: str) -> list[dict[str, Any]]:
        return await self._tokens(tenant_id).find(
            {"person_id": person_id}, projection={"token_id": 1, "name": 1, "created_at": 1, "expires_at": 1}
        )

    async def revoke_api_token(self, tenant_id: str, person_id: str, token_id: str) -> bool:
        tokens = self._tokens(tenant_id)
        found = await tokens.find_one({"person_id": person_id, "token_id": token_id}, projection={"id": 1})
        if found is None:
            return False
        self.evict(tenant_id, found["id"])
        return await tokens.delete(found["id"])
