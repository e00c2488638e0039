"""Single-use, expiring tokens for e-mail verification and password reset, stored hashed.

`one_time_tokens`, id = SHA-256 of the token, in the hospital's scope. Using a
token is one conditional write (`used_at` must still be unset), so two
concurrent uses of one token succeed at most once.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta
from typing import Literal

from spiegel_platform.storage.repository import TenantRepository

from spiegel_gateway.storage import GatewayStores

Purpose = Literal["verify_email", "reset_password"]
LIFETIME = {"verify_email": timedelta(days=3), "reset_password": timedelta(hours=1)}


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class OneTimeTokens:
    def __init__(self, stores: GatewayStores) -> None:
        self.stores = stores

    def _repo(self, tenant_id: str) -> TenantRepository:
        return self.stores.tenant(tenant_id).one_time_tokens

    async def issue(self, tenant_id: str, person_id: str, purpose: Purpose) -> str:
        token = secrets.token_urlsafe(32)
        now = datetime.now(UTC)
        await self._repo(tenant_id).insert(
            {
                "id": _hash(token),
                "purpose": purpose,
                "person_id": person_id,
                "created_at": now,
                "expires_at": now + LIFETIME[purpose],
                "used_at": None,
            }
        )
        return token

    async def use(self, tenant_id: str, token: str, purpose: Purpose) -> str | None:
        """The person id, once; None when unknown, used, expired or for another purpose."""
        if not token or len(token) > 200:
            return None
        repo = self._repo(tenant_id)
        doc = await repo.get(_hash(token))
        now = datetime.now(UTC)
        if doc is None or doc["purpose"] != purpose or doc["used_at"] is not None or doc["expires_at"] <= now:
            return None
        used = await repo.update(doc["id"], {"$set": {"used_at": now}}, expect={"used_at": None})
        return str(doc["person_id"]) if used is not None else None
