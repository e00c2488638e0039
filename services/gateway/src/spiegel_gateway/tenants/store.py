"""Tenants in the gateway's database, with the TenantConfigured event in the same write.

Layout (every read on the request path is a get by id):
- `tenants`: one document per hospital, id "settings" in the hospital's scope;
  its outbox carries TenantConfigured.
- `tenant_slugs`: the slug index in the platform scope, id = slug. Inserting it
  first claims the slug (the unique _id makes two hospitals with one slug impossible).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pymongo.errors import DuplicateKeyError
from spiegel.gateway.v1 import events_pb2
from spiegel_platform.events import new_event
from spiegel_platform.storage.repository import TenantRepository

from spiegel_gateway.sealed import Sealer
from spiegel_gateway.storage import GatewayStores, Store
from spiegel_gateway.tenants.model import (
    ACTIVATION_MAIL_INTERVAL,
    ACTIVE,
    PLATFORM,
    SUSPENDED,
    IdentityProviderIn,
    IdentityProviderOut,
    TenantIn,
    TenantOut,
    TenantPatch,
)

SETTINGS_ID = "settings"
CACHE_SECONDS = 5.0


class TenantConflict(Exception):
    """The slug or tenant id is taken, or the tenant changed meanwhile."""

    def __init__(self, code: str, **params: Any) -> None:
        """`code` and `params` as for an `ApiError` (the API answers 409 with them)."""
        super().__init__(code, params)
        self.code = code
        self.params = params


@dataclass(frozen=True)
class Tenant:
    tenant_id: str
    slug: str
    name: str
    languages: tuple[str, ...]
    time_zone: str
    min_group_size: int
    identity_provider: dict[str, Any] | None
    revision: int
    status: str = ACTIVE
    activation_mail_interval_minutes: int = ACTIVATION_MAIL_INTERVAL

    @property
    def is_platform(self) -> bool:
        return self.tenant_id == PLATFORM

    @property
    def suspended(self) -> bool:
        return self.status == SUSPENDED

    @property
    def default_language(self) -> str:
        # The first language is the default (as the invitation service reads TenantConfigured).
        return self.languages[0] if self.languages else "nl"

    def out(self) -> TenantOut:
        idp = self.identity_provider
        return TenantOut(
            tenant_id=self.tenant_id,
            slug=self.slug,
            name=self.name,
            languages=list(self.languages),
            time_zone=self.time_zone,
            min_group_size=self.min_group_size,
            identity_provider=IdentityProviderOut(
                issuer=idp["issuer"],
                client_id=idp["client_id"],
                scopes=list(idp["scopes"]),
                client_secret_set=bool(idp.get("client_secret_sealed") or idp.get("client_secret_ref")),
            )
            if idp
            else None,
            revision=self.revision,
            status=SUSPENDED if self.suspended else ACTIVE,
            activation_mail_interval_minutes=self.activation_mail_interval_minutes,
        )


# The platform itself, as a pseudo-tenant: operators sign in here (the bare domain).
PLATFORM_TENANT = Tenant(PLATFORM, PLATFORM, "Spiegel", ("nl", "en"), "Europe/Amsterdam", 4, None, 0)


def _tenant(doc: dict[str, Any]) -> Tenant:
    return Tenant(
        tenant_id=doc["tenant_id"],
        slug=doc["slug"],
        name=doc["name"],
        languages=tuple(doc["languages"]),
        time_zone=doc["time_zone"],
        min_group_size=int(doc["min_group_size"]),
        identity_provider=doc.get("identity_provider"),
        revision=int(doc["revision"]),
        status=SUSPENDED if doc.get("status") == SUSPENDED else ACTIVE,
        activation_mail_interval_minutes=int(
            doc.get("activation_mail_interval_minutes", ACTIVATION_MAIL_INTERVAL)
        ),
    )


class TenantInvalid(ValueError):
    """A hospital's settings that cannot go together: `code` as for an `ApiError` (422)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


class TenantStore:
    def __init__(self, stores: GatewayStores, sealer: Sealer) -> None:
        self.stores = stores
        self.sealer = sealer
        self._by_slug: dict[str, tuple[Tenant | None, float]] = {}
        self._all: tuple[list[Tenant], float] | None = None
        self._all_generation = 0  # a change made here makes every earlier read of all() stale
        self._all_reading: tuple[int, asyncio.Task[list[Tenant]]] | None = None

    def _tenants(self, tenant_id: str) -> TenantRepository:
        return self.stores.tenant(tenant_id).tenants

    def _slugs(self) -> TenantRepository:
        return self.stores.tenant(PLATFORM).tenant_slugs

    def _idp(self, spec: IdentityProviderIn | None) -> dict[str, Any] | None:
        if spec is None:
            return None
        if spec.client_secret and spec.client_secret_ref:
            raise TenantInvalid("client_secret_twice")
        return {
            "issuer": str(spec.issuer).rstrip("/"),
            "client_id": spec.client_id,
            "client_secret_sealed": self.sealer.seal(spec.client_secret) if spec.client_secret else None,
            "client_secret_ref": spec.client_secret_ref,
            "scopes": spec.scopes,
        }

    def _event(self, doc: dict[str, Any], correlation_id: str | None) -> Any:
        return new_event(
            events_pb2.TenantConfigured(
                tenant_id=doc["tenant_id"],
                slug=doc["slug"],
                name=doc["name"],
                languages=doc["languages"],
                time_zone=doc["time_zone"],
                min_group_size=doc["min_group_size"],
                revision=doc["revision"],
                suspended=doc.get("status") == SUSPENDED,
            ),
            tenant_id=doc["tenant_id"],
            producer="gateway",
            correlation_id=correlation_id,
        )

    async def create(self, spec: TenantIn, *, correlation_id: str | None = None) -> Tenant:
        tenant_id = spec.tenant_id or spec.slug
        slugs = self._slugs()
        try:
            await slugs.insert({"id": spec.slug, "target": tenant_id, "at": datetime.now(UTC)})
        except DuplicateKeyError:
            claimed = await slugs.get(spec.slug)
            # A crash between claiming the slug and writing the tenant leaves a claim
            # without a tenant: the same create may finish it.
            if claimed is None or claimed["target"] != tenant_id or await self.get(tenant_id) is not None:
                raise TenantConflict("slug_taken", slug=spec.slug) from None
        doc: dict[str, Any] = {
            "id": SETTINGS_ID,
            "tenant_id": tenant_id,
            "slug": spec.slug,
            "name": spec.name,
            "languages": list(spec.languages),
            "time_zone": spec.time_zone,
            "min_group_size": spec.min_group_size,
            "identity_provider": self._idp(spec.identity_provider),
            "activation_mail_interval_minutes": spec.activation_mail_interval_minutes,
            "revision": 1,
            "created_at": datetime.now(UTC),
        }
        try:
            await self._tenants(tenant_id).insert(doc, events=[self._event(doc, correlation_id)])
        except DuplicateKeyError:
            raise TenantConflict("tenant_exists", tenant_id=tenant_id) from None
        self._by_slug.pop(spec.slug, None)
        self._forget_all()
        return _tenant(doc)

    async def update(
        self, tenant_id: str, patch: TenantPatch, *, correlation_id: str | None = None
    ) -> Tenant:
        current = await self.get(tenant_id)
        if current is None:
            raise LookupError(f"tenant {tenant_id} not found")
        change: dict[str, Any] = {}
        for name in ("name", "languages", "time_zone", "min_group_size", "activation_mail_interval_minutes"):
            value = getattr(patch, name)
            if value is not None:
                change[name] = list(value) if name == "languages" else value
        if patch.remove_identity_provider:
            change["identity_provider"] = None
        elif patch.identity_provider is not None:
            idp = self._idp(patch.identity_provider)
            old = current.identity_provider or {}
            if idp and not idp["client_secret_sealed"] and not idp["client_secret_ref"]:
                # Changing other IdP settings keeps the stored secret.
                idp["client_secret_sealed"] = old.get("client_secret_sealed")
                idp["client_secret_ref"] = old.get("client_secret_ref")
            change["identity_provider"] = idp
        merged = {
            "tenant_id": tenant_id,
            "slug": current.slug,
            "name": current.name,
            "languages": list(current.languages),
            "time_zone": current.time_zone,
            "min_group_size": current.min_group_size,
            "status": current.status,
            **change,
            "revision": current.revision + 1,
        }
        updated = await self._tenants(tenant_id).update(
            SETTINGS_ID,
            {"$set": {**change, "revision": current.revision + 1}},
            events=[self._event(merged, correlation_id)],
            expect={"revision": current.revision},
        )
        if updated is None:
            raise TenantConflict("tenant_changed_meanwhile")
        self._by_slug.pop(current.slug, None)
        self._forget_all()
        return _tenant(updated)

    async def set_status(
        self, tenant_id: str, status: str, *, correlation_id: str | None = None
    ) -> tuple[Tenant, bool]:
        """Suspend or reactivate a hospital (TenantConfigured carries it); nothing else changes.
        Returns the hospital and whether its status changed (the same request twice changes once)."""
        current = await self.get(tenant_id)
        if current is None:
            raise LookupError(f"tenant {tenant_id} not found")
        if current.status == status:
            return current, False
        merged = {**self._doc_of(current), "status": status, "revision": current.revision + 1}
        updated = await self._tenants(tenant_id).update(
            SETTINGS_ID,
            {"$set": {"status": status, "revision": current.revision + 1, "status_at": datetime.now(UTC)}},
            events=[self._event(merged, correlation_id)],
            expect={"revision": current.revision},
        )
        if updated is None:
            raise TenantConflict("tenant_changed_meanwhile")
        self._by_slug.pop(current.slug, None)
        self._forget_all()
        return _tenant(updated), True

    @staticmethod
    def _doc_of(tenant: Tenant) -> dict[str, Any]:
        return {
            "tenant_id": tenant.tenant_id,
            "slug": tenant.slug,
            "name": tenant.name,
            "languages": list(tenant.languages),
            "time_zone": tenant.time_zone,
            "min_group_size": tenant.min_group_size,
            "status": tenant.status,
        }

    async def get(self, tenant_id: str) -> Tenant | None:
        doc = await self._tenants(tenant_id).get(SETTINGS_ID)
        return _tenant(doc) if doc else None

    async def by_slug(self, slug: str) -> Tenant | None:
        """The request path: cached for a few seconds per process."""
        now = time.monotonic()
        hit = self._by_slug.get(slug)
        if hit is not None and hit[1] > now:
            return hit[0]
        claimed = await self._slugs().get(slug)
        tenant = await self.get(claimed["target"]) if claimed else None
        if tenant is not None and tenant.slug != slug:
            tenant = None
        if len(self._by_slug) > 10_000:
            self._by_slug.clear()  # unknown slugs must not grow the cache without bound
        self._by_slug[slug] = (tenant, now + CACHE_SECONDS)
        return tenant

    def _forget_all(self) -> None:
        self._all_generation += 1
        self._all = None

    async def _read_all(self, generation: int) -> list[Tenant]:
        started = time.monotonic()
        docs = self.stores.across_tenants(Store.tenants).find(
            {"id": SETTINGS_ID}, projection={"_outbox": 0}, limit=10_000
        )
        found = sorted(
            [_tenant(doc) async for doc in docs if doc.get("tenant_id") != PLATFORM], key=lambda t: t.slug
        )
        if generation == self._all_generation:  # no change was made here while it was read
            self._all = (found, started + CACHE_SECONDS)
        return found

    def _reading_all(self) -> asyncio.Task[list[Tenant]]:
        """One read at a time (twenty operators' pages whose copy expired together read once)."""
        reading = self._all_reading
        if reading is None or reading[1].done() or reading[0] != self._all_generation:
            generation = self._all_generation
            reading = (generation, asyncio.create_task(self._read_all(generation)))
            # A failed read in the background is the next caller's to retry, not a stray warning.
            reading[1].add_done_callback(lambda task: task.cancelled() or task.exception())
            self._all_reading = reading
        return reading[1]

    async def all(self) -> list[Tenant]:
        """Every hospital, by slug: one read of the whole collection (the operator's list; a get
        per hospital made 200 hospitals cost 200 round trips), kept for `CACHE_SECONDS` like a
        hospital read by its address: an older copy is answered while one fresh read runs; a change
        made through this process is seen at once (its next call waits for a fresh read)."""
        kept = self._all
        if kept is None:
            return list(await asyncio.shield(self._reading_all()))
        if kept[1] <= time.monotonic():
            self._reading_all()
        return list(kept[0])

    def client_secret(self, tenant: Tenant) -> str | None:
        from spiegel_gateway.sealed import resolve_secret_ref

        idp = tenant.identity_provider or {}
        if idp.get("client_secret_ref"):
            return resolve_secret_ref(idp["client_secret_ref"])
        if idp.get("client_secret_sealed"):
            return self.sealer.open(idp["client_secret_sealed"])
        return None
