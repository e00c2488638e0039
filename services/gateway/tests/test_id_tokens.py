"""ID token verification (unit): signature, issuer, audience, authorized party, expiry, nonce."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import ECKey, KeySet
from spiegel_gateway.signin.oidc import OidcClient, OidcError

ISSUER = "https://idp.umc.example"


def _provider(keys: KeySet) -> httpx.AsyncClient:
    def handle(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/.well-known/openid-configuration":
            return httpx.Response(
                200,
                json={
                    "issuer": ISSUER,
                    "authorization_endpoint": f"{ISSUER}/auth",
                    "token_endpoint": f"{ISSUER}/token",
                    "jwks_uri": f"{ISSUER}/jwks",
                },
            )
        if request.url.path == "/jwks":
            return httpx.Response(200, json=keys.as_dict(private=False))
        return httpx.Response(404)

    return httpx.AsyncClient(transport=httpx.MockTransport(handle))


def _token(key: ECKey, **overrides: Any) -> str:
    now = int(time.time())
    claims = {
        "iss": ISSUER,
        "sub": "u1",
        "aud": "spiegel",
        "exp": now + 300,
        "iat": now,
        "nonce": "n-1",
        **overrides,
    }
    claims = {k: v for k, v in claims.items() if v is not None}
    return jwt.encode({"alg": "ES256", "kid": key.kid}, claims, key)


@pytest.fixture
def key() -> ECKey:
    return ECKey.generate_key("P-256", parameters={"kid": "k1"})


async def test_a_good_token_passes(key: ECKey) -> None:
    client = OidcClient(stores=None, http=_provider(KeySet([key])))  # type: ignore[arg-type]
    claims = await client.verify_id_token(ISSUER, "spiegel", _token(key), nonce="n-1")
    assert claims["sub"] == "u1"


@pytest.mark.parametrize(
    "overrides",
    [
        {"nonce": "n-other"},
        {"nonce": None},
        {"aud": "another-client"},
        {"iss": "https://evil.example"},
        {"exp": int(time.time()) - 3600},
        {"aud": ["spiegel", "other"], "azp": "other"},
        {"sub": None},
    ],
)
async def test_bad_tokens_are_refused(key: ECKey, overrides: dict[str, Any]) -> None:
    client = OidcClient(stores=None, http=_provider(KeySet([key])))  # type: ignore[arg-type]
    with pytest.raises(OidcError):
        await client.verify_id_token(ISSUER, "spiegel", _token(key, **overrides), nonce="n-1")


async def test_a_token_signed_by_another_key_is_refused(key: ECKey) -> None:
    stranger = ECKey.generate_key("P-256", parameters={"kid": "k1"})
    client = OidcClient(stores=None, http=_provider(KeySet([key])))  # type: ignore[arg-type]
    with pytest.raises(OidcError):
        await client.verify_id_token(ISSUER, "spiegel", _token(stranger), nonce="n-1")


async def test_unsigned_tokens_are_refused(key: ECKey) -> None:
    import base64
    import json

    def part(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    now = int(time.time())
    claims = {"iss": ISSUER, "sub": "u1", "aud": "spiegel", "exp": now + 60, "iat": now, "nonce": "n-1"}
    unsigned = f"{part({'alg': 'none'})}.{part(claims)}."
    client = OidcClient(stores=None, http=_provider(KeySet([key])))  # type: ignore[arg-type]
    with pytest.raises(OidcError):
        await client.verify_id_token(ISSUER, "spiegel", unsigned, nonce="n-1")
