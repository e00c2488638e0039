"""The key the gateway signs service tokens with, its JWKS, and a per-caller token cache.

The key is a P-256 private key in a PEM file (SERVICE_TOKEN_SIGNING_KEY_FILE);
its `kid` is the RFC 7638 thumbprint of the public key, so a new key has a new
kid by construction and no kid setting can go stale. In development and test
the same setting names the development key of `make run` and the tests
(`spiegel_dev.keys`), known by its kid SERVICE_TOKEN_DEV_KEY_ID (`dev-...`, which
every service refuses in production).

Rotation without downtime:
1. add the new public key to every service's JWKS (SERVICE_TOKEN_JWKS; services
   reload their JWKS when they meet an unknown kid);
2. start the gateway with the new private key and the old public key in
   SERVICE_TOKEN_PREVIOUS_KEYS (the gateway's /.well-known/jwks.json lists both);
3. once the old gateway replicas are gone (and a token lifetime has passed),
   drop the old key from both.
"""

from __future__ import annotations

import base64
import hashlib
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from spiegel_platform.auth.service_tokens import ServiceTokenIssuer, SigningKey

from spiegel_gateway.settings import GatewaySettings


def jwk_thumbprint(jwk: dict[str, Any]) -> str:
    """RFC 7638: SHA-256 of the required members in lexicographic order, base64url."""
    required = {"kty": jwk["kty"], "crv": jwk["crv"], "x": jwk["x"], "y": jwk["y"]}
    canonical = json.dumps(required, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(hashlib.sha256(canonical).digest()).rstrip(b"=").decode()


def key_from_pem(pem: bytes) -> SigningKey:
    private = serialization.load_pem_private_key(pem, password=None)
    if not isinstance(private, ec.EllipticCurvePrivateKey) or private.curve.name != "secp256r1":
        raise ValueError("the signing key must be an EC P-256 private key (ES256)")
    jwk = SigningKey("x", pem).public_jwk()
    return SigningKey(jwk_thumbprint(jwk), pem)


def load_signing_key(settings: GatewaySettings) -> SigningKey:
    if not settings.service_token_signing_key_file:
        if settings.is_production:
            raise ValueError("SERVICE_TOKEN_SIGNING_KEY_FILE is required in production")
        raise ValueError(
            "SERVICE_TOKEN_SIGNING_KEY_FILE is not set (`make run` and the tests set a development key)"
        )
    key = key_from_pem(Path(settings.service_token_signing_key_file).read_bytes())
    if settings.service_token_dev_key_id is not None:  # refused in production (GatewaySettings)
        return SigningKey(settings.service_token_dev_key_id, key.private_pem)
    return key


def parse_previous_keys(text: str) -> list[dict[str, Any]]:
    """SERVICE_TOKEN_PREVIOUS_KEYS: a JSON list of public JWKs, or a JWKS, or a file holding either."""
    text = text.strip()
    if not text:
        return []
    if not text.startswith(("[", "{")):
        text = Path(text).read_text()
    data = json.loads(text)
    keys = data.get("keys", []) if isinstance(data, dict) else data
    result = []
    for jwk in keys:
        if not isinstance(jwk, dict) or jwk.get("kty") != "EC" or "d" in jwk:
            raise ValueError("previous keys must be public EC JWKs (no private part)")
        public = {k: jwk[k] for k in ("kty", "crv", "x", "y")}
        result.append(
            {**public, "kid": jwk.get("kid") or jwk_thumbprint(public), "alg": "ES256", "use": "sig"}
        )
    return result


@dataclass
class _Cached:
    token: str
    fresh_until: float


class ServiceTokens:
    """Signs the token for one call; reuses a caller's token while most of its lifetime is left.

    ES256 signing costs about as much as the rest of the gateway's work on a
    request, so a token is cached per (credential, audience) for half its
    lifetime. The cache key is the hash of the caller's session or API token:
    a revoked session stops getting tokens at once (it no longer authenticates).
    """

    MAX_ENTRIES = 50_000

    def __init__(self, key: SigningKey, *, previous: list[dict[str, Any]], lifetime_s: int) -> None:
        self.key = key
        self.issuer = ServiceTokenIssuer(key, lifetime_s=lifetime_s)
        self.previous = [p for p in previous if p["kid"] != key.kid]
        self.lifetime_s = lifetime_s
        self._cache: dict[tuple[str, str, str], _Cached] = {}

    def jwks(self) -> dict[str, Any]:
        return {"keys": [self.key.public_jwk(), *self.previous]}

    def issue(
        self,
        *,
        cache_key: str | None,
        audience: str | list[str],
        subject: str,
        tenant_id: str,
        roles: list[str],
        extra: dict[str, Any],
        variant: str = "",
    ) -> str:
        """`variant`: a claim in `extra` that may differ between calls of one credential (the
        browser's address in the caller's token): a token is reused only for the same one."""
        now = time.monotonic()
        if cache_key is not None:
            hit = self._cache.get((cache_key, str(audience), variant))
            if hit is not None and hit.fresh_until > now:
                return hit.token
        token = self.issuer.issue(
            audience=audience, subject=subject, tenant_id=tenant_id, roles=roles, extra=extra
        )
        if cache_key is not None:
            if len(self._cache) >= self.MAX_ENTRIES:
                self._cache = {k: v for k, v in self._cache.items() if v.fresh_until > now}
                if len(self._cache) >= self.MAX_ENTRIES:
                    self._cache.clear()
            self._cache[(cache_key, str(audience), variant)] = _Cached(token, now + self.lifetime_s / 2)
        return token

    def forget(self, cache_key: str) -> None:
        """Drop a credential's cached tokens (sign-out, revocation)."""
        for key in [k for k in self._cache if k[0] == cache_key]:
            self._cache.pop(key, None)
