"""OpenID Connect per hospital: authorization code flow with PKCE, state and nonce, a verified ID token.

- start: a random state, nonce and PKCE verifier (S256) are stored (hashed
  state as id, single use, 10 minutes) with a hash of a random browser-binding
  value that is set as an HttpOnly cookie: a callback is accepted only in the
  browser that started the flow (no login CSRF, no session fixation).
- callback: the flow is used up in one conditional write; the code is
  exchanged at the token endpoint (client_secret_basic, with the verifier);
  the ID token is verified with joserfc (the maintained JOSE library of the
  Authlib author) against the provider's JWKS: signature, issuer, audience,
  authorized party, expiry, issued-at and nonce. The RFC 9207 `iss`
  parameter, when the provider sends it, must be the tenant's issuer.
- The provider's discovery document and JWKS are cached per issuer; an
  unknown key id refreshes the JWKS once (provider key rotation).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import httpx
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from spiegel_platform.storage.repository import TenantRepository

from spiegel_gateway.storage import GatewayStores

FLOW_LIFETIME = timedelta(minutes=10)
METADATA_SECONDS = 3600.0
ALLOWED_ALGORITHMS = ("RS256", "PS256", "ES256", "EdDSA", "RS384", "RS512", "ES384")


class OidcError(Exception):
    """The sign-in cannot complete: `code` and `params` say why, as for an `ApiError` (the
    person reads it in their language)."""

    def __init__(self, code: str, status: int = 400, **params: Any) -> None:
        super().__init__(code, params)
        self.code = code
        self.status = status
        self.params = params


def _hash(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def s256(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


@dataclass(frozen=True)
class Started:
    authorization_url: str
    browser_binding: str


class OidcClient:
    def __init__(self, stores: GatewayStores, http: httpx.AsyncClient) -> None:
        self.stores = stores
        self.http = http
        self._metadata: dict[str, tuple[dict[str, Any], float]] = {}
        self._jwks: dict[str, KeySet] = {}

    def _flows(self, tenant_id: str) -> TenantRepository:
        return self.stores.tenant(tenant_id).oidc_flows

    async def metadata(self, issuer: str) -> dict[str, Any]:
        hit = self._metadata.get(issuer)
        if hit and hit[1] > time.monotonic():
            return hit[0]
        try:
            response = await self.http.get(f"{issuer}/.well-known/openid-configuration")
            response.raise_for_status()
            data: dict[str, Any] = response.json()
        except (httpx.HTTPError, ValueError) as error:
            raise OidcError("idp_unreachable", 502, detail=str(error)) from None
        if data.get("issuer", "").rstrip("/") != issuer:
            raise OidcError("idp_other_issuer", 502)
        for field in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
            if not data.get(field):
                raise OidcError("idp_discovery_incomplete", 502, field=field)
        self._metadata[issuer] = (data, time.monotonic() + METADATA_SECONDS)
        return data

    async def _keyset(self, issuer: str, *, refresh: bool = False) -> KeySet:
        if refresh or issuer not in self._jwks:
            meta = await self.metadata(issuer)
            try:
                response = await self.http.get(meta["jwks_uri"])
                response.raise_for_status()
                self._jwks[issuer] = KeySet.import_key_set(response.json())
            except (httpx.HTTPError, ValueError, JoseError) as error:
                raise OidcError("idp_keys_unreadable", 502, detail=str(error)) from None
        return self._jwks[issuer]

    async def start(
        self,
        tenant_id: str,
        idp: dict[str, Any],
        *,
        redirect_uri: str,
        next_path: str,
        parameters: dict[str, str] | None = None,
        record: dict[str, Any] | None = None,
        lifetime: timedelta = FLOW_LIFETIME,
    ) -> Started:
        """A new flow; `parameters` go to the provider as well (re-authentication for a signing:
        prompt, max_age), `record` is kept with the flow (what the callback is to do)."""
        meta = await self.metadata(idp["issuer"])
        state, nonce = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        verifier, binding = secrets.token_urlsafe(48), secrets.token_urlsafe(32)
        now = datetime.now(UTC)
        await self._flows(tenant_id).insert(
            {
                "id": _hash(state),
                "nonce": nonce,
                "verifier": verifier,
                "binding": _hash(binding),
                "redirect_uri": redirect_uri,
                "next": next_path,
                "created_at": now,
                "expires_at": now + lifetime,
                "used": False,
                **(record or {}),
            }
        )
        query = urlencode(
            {
                "response_type": "code",
                "client_id": idp["client_id"],
                "redirect_uri": redirect_uri,
                "scope": " ".join(idp["scopes"]),
                "state": state,
                "nonce": nonce,
                "code_challenge": s256(verifier),
                "code_challenge_method": "S256",
                **(parameters or {}),
            }
        )
        separator = "&" if "?" in meta["authorization_endpoint"] else "?"
        return Started(f"{meta['authorization_endpoint']}{separator}{query}", binding)

    async def finish(
        self,
        tenant_id: str,
        idp: dict[str, Any],
        client_secret: str | None,
        *,
        params: dict[str, str],
        binding: str | None,
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """The verified ID token claims and the flow (its `next` path, and what `start` recorded)."""
        if params.get("error"):
            description = params.get("error_description") or params["error"]
            raise OidcError("idp_refused_signin", 403, description=description[:200])
        state, code = params.get("state", ""), params.get("code", "")
        if not state or not code:
            raise OidcError("signin_response_incomplete")
        flows = self._flows(tenant_id)
        flow = await flows.get(_hash(state))
        if flow is None or flow["used"] or flow["expires_at"] <= datetime.now(UTC):
            raise OidcError("signin_expired_or_used")
        if await flows.update(flow["id"], {"$set": {"used": True}}, expect={"used": False}) is None:
            raise OidcError("signin_already_used")
        if not binding or not hmac.compare_digest(_hash(binding), flow["binding"]):
            raise OidcError("signin_other_browser", 403)
        issuer = idp["issuer"]
        if "iss" in params and params["iss"].rstrip("/") != issuer:
            raise OidcError("signin_response_other_issuer", 403)
        meta = await self.metadata(issuer)
        try:
            response = await self.http.post(
                meta["token_endpoint"],
                data={
                    "grant_type": "authorization_code",
                    "code": code,
                    "redirect_uri": flow["redirect_uri"],
                    "code_verifier": flow["verifier"],
                },
                auth=(idp["client_id"], client_secret or ""),
                headers={"accept": "application/json"},
            )
        except httpx.HTTPError as error:
            raise OidcError("idp_unreachable", 502, detail=str(error)) from None
        if response.status_code != 200:
            raise OidcError("idp_refused_code", 403, answer=response.status_code)
        id_token = response.json().get("id_token")
        if not id_token:
            raise OidcError("idp_no_id_token", 502)
        claims = await self.verify_id_token(issuer, idp["client_id"], id_token, nonce=flow["nonce"])
        return claims, flow

    async def verify_id_token(
        self, issuer: str, client_id: str, id_token: str, *, nonce: str
    ) -> dict[str, Any]:
        try:
            try:
                token = jwt.decode(id_token, await self._keyset(issuer), algorithms=list(ALLOWED_ALGORITHMS))
            except (JoseError, ValueError):
                # Perhaps the provider rotated its keys: read them again, once.
                token = jwt.decode(
                    id_token, await self._keyset(issuer, refresh=True), algorithms=list(ALLOWED_ALGORITHMS)
                )
            registry = jwt.JWTClaimsRegistry(
                leeway=60,
                iss={"essential": True, "value": issuer},
                sub={"essential": True},
                aud={"essential": True, "value": client_id},
                exp={"essential": True},
                iat={"essential": True},
                nonce={"essential": True, "value": nonce},
            )
            registry.validate(token.claims)
        except (JoseError, ValueError) as error:
            raise OidcError("id_token_invalid", 403, detail=str(error)) from None
        claims = dict(token.claims)
        audience = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
        if len(audience) > 1 and claims.get("azp") != client_id:
            raise OidcError("id_token_other_client", 403)
        return claims
