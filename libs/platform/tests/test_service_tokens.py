"""Service tokens: signature, audience, expiry, key rotation, no bare trust."""

from __future__ import annotations

import json
import time

import jwt
import pytest
from spiegel_platform.auth.service_tokens import (
    ServiceTokenIssuer,
    ServiceTokenVerifier,
    SigningKey,
    TokenError,
    jwks_of,
)


@pytest.fixture
def key():  # type: ignore[no-untyped-def]
    return SigningKey.generate("k1")


def verifier_for(*keys, audience="survey"):  # type: ignore[no-untyped-def]
    return ServiceTokenVerifier(json.dumps(jwks_of(*keys)), audience=audience)


def test_valid_token(key):  # type: ignore[no-untyped-def]
    token = ServiceTokenIssuer(key).issue(
        audience="survey", subject="u1", tenant_id="h1", roles=["coordinator"]
    )
    principal = verifier_for(key).verify(token)
    assert (principal.subject, principal.tenant_id, principal.roles) == ("u1", "h1", {"coordinator"})


def test_wrong_audience_expired_and_forged_tokens_are_refused(key):  # type: ignore[no-untyped-def]
    issuer = ServiceTokenIssuer(key)
    with pytest.raises(TokenError, match="not for this service"):
        verifier_for(key).verify(issuer.issue(audience="invitation", subject="u", tenant_id="h", roles=[]))
    old = ServiceTokenIssuer(key, lifetime_s=-60)
    with pytest.raises(TokenError, match="expired"):
        verifier_for(key).verify(old.issue(audience="survey", subject="u", tenant_id="h", roles=[]))
    other = SigningKey.generate("k1")  # same kid, other key
    forged = ServiceTokenIssuer(other).issue(
        audience="survey", subject="u", tenant_id="h", roles=["operator"]
    )
    with pytest.raises(TokenError):
        verifier_for(key).verify(forged)
    unsigned = jwt.encode(
        {"aud": "survey", "sub": "u", "tid": "h", "roles": [], "exp": time.time() + 60},
        key=None,
        algorithm="none",
    )
    with pytest.raises(TokenError):
        verifier_for(key).verify(unsigned)
    hs = jwt.encode(
        {
            "aud": "survey",
            "iss": "spiegel-gateway",
            "sub": "u",
            "tid": "h",
            "roles": [],
            "iat": time.time(),
            "exp": time.time() + 60,
        },
        "secret",
        algorithm="HS256",
        headers={"kid": "k1"},
    )
    with pytest.raises(TokenError, match="algorithm"):
        verifier_for(key).verify(hs)
    with pytest.raises(TokenError):
        verifier_for(key).verify("")


def test_rotation_without_downtime(tmp_path, key):  # type: ignore[no-untyped-def]
    jwks_file = tmp_path / "jwks.json"
    jwks_file.write_text(json.dumps(jwks_of(key)))
    verifier = ServiceTokenVerifier(str(jwks_file), audience="survey")
    new_key = SigningKey.generate("k2")
    # The operator publishes old + new, then the gateway starts signing with the new key.
    jwks_file.write_text(json.dumps(jwks_of(key, new_key)))
    time.sleep(1.1)
    for signer in (key, new_key):
        token = ServiceTokenIssuer(signer).issue(audience="survey", subject="u", tenant_id="h", roles=[])
        assert verifier.verify(token).subject == "u"
    # The old key is withdrawn: its tokens stop working.
    jwks_file.write_text(json.dumps(jwks_of(new_key)))
    verifier = ServiceTokenVerifier(str(jwks_file), audience="survey")
    with pytest.raises(TokenError, match="unknown key"):
        verifier.verify(
            ServiceTokenIssuer(key).issue(audience="survey", subject="u", tenant_id="h", roles=[])
        )


def test_a_remembered_token_still_expires_and_a_changed_one_is_checked_again(key):  # type: ignore[no-untyped-def]
    verifier = ServiceTokenVerifier(json.dumps(jwks_of(key)), audience="survey", leeway_s=0)
    # Two seconds: times are whole seconds, so a token of one second may be expired already.
    token = ServiceTokenIssuer(key, lifetime_s=2).issue(
        audience="survey", subject="u1", tenant_id="h1", roles=["coordinator"]
    )
    first = verifier.verify(token)
    assert verifier.verify(token) is first  # remembered: not decoded again
    header, _payload, signature = token.split(".")
    forged_payload = jwt.utils.base64url_encode(json.dumps({**first.claims, "tid": "h2"}).encode()).decode()
    with pytest.raises(TokenError):
        verifier.verify(f"{header}.{forged_payload}.{signature}")
    time.sleep(max(0.0, first.claims["exp"] - time.time()) + 0.1)  # just past its expiry
    with pytest.raises(TokenError, match="expired"):
        verifier.verify(token)
    with pytest.raises(TokenError, match="expired"):
        verifier.verify(token)  # forgotten, and decoded again: still expired
