"""Service tokens (JWT, ES256) with key ids, so keys rotate without downtime.

The gateway signs, for every call to a service, a token valid for a minute:
issuer, audience (the service), subject, tenant, roles. A service accepts a
request only with such a token: a bare header (X-Tenant, X-User) means nothing.
During a rotation the JWKS holds the old and the new public key; tokens are
checked against the key named by their `kid`.
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from jwt import PyJWK

ALGORITHM = "ES256"


class TokenError(Exception):
    """The token is missing, malformed, expired, or not for this service."""


@dataclass(frozen=True)
class Principal:
    subject: str
    tenant_id: str
    roles: frozenset[str]
    claims: dict[str, Any] = field(default_factory=dict, compare=False)

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))


@dataclass(frozen=True)
class SigningKey:
    kid: str
    private_pem: bytes

    @classmethod
    def generate(cls, kid: str | None = None) -> SigningKey:
        key = ec.generate_private_key(ec.SECP256R1())
        pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        return cls(kid or uuid.uuid4().hex[:16], pem)

    def public_jwk(self) -> dict[str, Any]:
        private = serialization.load_pem_private_key(self.private_pem, password=None)
        jwk: dict[str, Any] = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(private.public_key()))  # type: ignore[arg-type]
        return {**jwk, "kid": self.kid, "alg": ALGORITHM, "use": "sig"}


def jwks_of(*keys: SigningKey) -> dict[str, Any]:
    return {"keys": [k.public_jwk() for k in keys]}


class ServiceTokenIssuer:
    def __init__(self, key: SigningKey, *, issuer: str = "spiegel-gateway", lifetime_s: int = 60) -> None:
        self.key = key
        self.issuer = issuer
        self.lifetime_s = lifetime_s

    def issue(
        self,
        *,
        audience: str | list[str],  # a list: a token every one of those services accepts
        subject: str,
        tenant_id: str,
        roles: list[str] | tuple[str, ...],
        extra: dict[str, Any] | None = None,
    ) -> str:
        now = int(time.time())
        claims = {
            **(extra or {}),
            "iss": self.issuer,
            "aud": audience,
            "sub": subject,
            "tid": tenant_id,
            "roles": list(roles),
            "iat": now,
            "exp": now + self.lifetime_s,
            "jti": uuid.uuid4().hex,
        }
        return jwt.encode(claims, self.key.private_pem, algorithm=ALGORITHM, headers={"kid": self.key.kid})


class ServiceTokenVerifier:
    """Verifies signature, issuer, audience and expiry against a JWKS.

    A token that verified is remembered until it expires (the gateway reuses a
    caller's token for half its minute, so most calls carry a token seen
    before): the same bytes give the same answer, so only the expiry is checked
    again. Bounded; a refused token is never remembered.
    """

    MAX_REMEMBERED = 10_000

    def __init__(
        self,
        jwks_source: str,
        *,
        audience: str,
        issuer: str = "spiegel-gateway",
        leeway_s: int = 5,
        refresh_interval_s: float = 30.0,
    ) -> None:
        self.source = jwks_source
        self.audience = audience
        self.issuer = issuer
        self.leeway_s = leeway_s
        self.refresh_interval_s = refresh_interval_s
        self._keys: dict[str, PyJWK] = {}
        self._loaded_at = 0.0
        self._verified: dict[str, tuple[Principal, float]] = {}
        self._load()

    def _read_source(self) -> dict[str, Any]:
        text = self.source.strip()
        if text.startswith("{"):
            return dict(json.loads(text))
        if text.startswith(("http://", "https://")):
            response = httpx.get(text, timeout=5.0)
            response.raise_for_status()
            return dict(response.json())
        return dict(json.loads(Path(text).read_text()))

    def _load(self) -> None:
        data = self._read_source()
        keys = {}
        for jwk in data.get("keys", []):
            if "kid" not in jwk:
                continue
            keys[jwk["kid"]] = PyJWK(jwk, algorithm=ALGORITHM)
        if not keys:
            raise ValueError("the service token JWKS holds no keys with a kid")
        self._keys = keys
        self._loaded_at = time.monotonic()

    def _key(self, kid: str) -> PyJWK:
        key = self._keys.get(kid)
        if key is None and time.monotonic() - self._loaded_at > 1.0:
            # A new key after a rotation: reload once (rate-limited).
            try:
                self._load()
            except (OSError, ValueError, httpx.HTTPError):
                pass
            key = self._keys.get(kid)
        if key is None:
            raise TokenError("token signed with an unknown key")
        return key

    def verify(self, token: str) -> Principal:
        if not token:
            raise TokenError("no service token")
        remembered = self._verified.get(token)
        if remembered is not None:
            principal, expires = remembered
            if time.time() <= expires + self.leeway_s:
                return principal
            del self._verified[token]
            raise TokenError("service token expired")
        principal = self._verify(token)
        if len(self._verified) >= self.MAX_REMEMBERED:
            now = time.time()
            self._verified = {t: v for t, v in self._verified.items() if now <= v[1] + self.leeway_s}
            if len(self._verified) >= self.MAX_REMEMBERED:
                self._verified.clear()
        self._verified[token] = (principal, float(principal.claims["exp"]))
        return principal

    def _verify(self, token: str) -> Principal:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise TokenError("malformed service token") from None
        if header.get("alg") != ALGORITHM:
            raise TokenError("service token uses a wrong algorithm")
        key = self._key(str(header.get("kid", "")))
        try:
            claims = jwt.decode(
                token,
                key=key,
                algorithms=[ALGORITHM],
                audience=self.audience,
                issuer=self.issuer,
                leeway=self.leeway_s,
                options={"require": ["exp", "iat", "aud", "iss", "sub", "tid"]},
            )
        except jwt.ExpiredSignatureError:
            raise TokenError("service token expired") from None
        except jwt.InvalidAudienceError:
            raise TokenError("service token is not for this service") from None
        except jwt.PyJWTError as error:
            raise TokenError(f"invalid service token: {error}") from None
        if not isinstance(claims.get("roles"), list):
            raise TokenError("service token without roles")
        return Principal(
            subject=str(claims["sub"]),
            tenant_id=str(claims["tid"]),
            roles=frozenset(str(r) for r in claims["roles"]),
            claims=claims,
        )
