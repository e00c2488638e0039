"""Service tokens across a key rotation: the survey service keeps accepting every call while the
gateway moves from one signing key to the next (the procedure in spiegel_gateway.service_tokens)."""

from __future__ import annotations

import asyncio
import json
import uuid

import pytest
from gateway_helpers import Browser, start_gateway
from spiegel_dev.pytest_plugin import Processes
from spiegel_gateway.people.store import PeopleStore
from spiegel_gateway.service_tokens import key_from_pem
from spiegel_gateway.signin.passwords import hash_password
from spiegel_gateway.storage import Store
from spiegel_gateway.tenants.model import TenantIn
from spiegel_gateway.tenants.store import TenantStore
from spiegel_platform.auth.service_tokens import SigningKey

pytestmark = pytest.mark.integration


def _public(key: SigningKey) -> dict[str, str]:
    return key.public_jwk()


async def test_services_accept_tokens_across_a_rotation(stack, smtp, tmp_path):  # type: ignore[no-untyped-def]
    old = key_from_pem(SigningKey.generate().private_pem)
    new = key_from_pem(SigningKey.generate().private_pem)
    (tmp_path / "old.pem").write_bytes(old.private_pem)
    (tmp_path / "new.pem").write_bytes(new.private_pem)
    jwks_file = tmp_path / "jwks.json"  # what a ConfigMap mounts into the services
    jwks_file.write_text(json.dumps({"keys": [_public(old)]}))
    prefix = f"rot_{uuid.uuid4().hex[:8]}"
    processes = Processes(stack, str(jwks_file), tmp_path / "logs")
    try:
        survey = processes.start("survey", "api", prefix)
        secret = {"SESSION_SECRET": f"rotation-test-secret-{uuid.uuid4().hex}"}
        urls = {"SURVEY_URL": survey.url}
        first = start_gateway(processes, tmp_path / "old.pem", smtp[1], prefix, urls, **secret)
        # A hospital and a coordinator, with the gateway's own stores.
        from pymongo import AsyncMongoClient
        from spiegel_gateway.sealed import Sealer

        client = AsyncMongoClient(stack.mongodb_url, tz_aware=True)
        db = client[f"{prefix}_gateway"]
        await TenantStore(Store.on(db), Sealer(b"x" * 32)).create(TenantIn(slug="rot", name="Rotatie"))
        email = "coord@rotatie-test.nl"
        await PeopleStore(Store.on(db)).create(
            "rot",
            display_name="C",
            email=email,
            roles=["coordinator"],
            language="nl",
            password_hash=hash_password("correct horse battery staple"),
            email_verified=True,
        )
        await client.close()
        via_first = Browser(first.url, slug="rot")
        assert (await via_first.login(email)).status_code == 200
        assert (await via_first.get("/api/survey/rounds")).status_code == 200

        failures: list[str] = []
        stop = asyncio.Event()

        async def keep_calling(browser: Browser, name: str) -> int:
            calls = 0
            while not stop.is_set():
                answer = await browser.get("/api/survey/rounds")
                calls += 1
                if answer.status_code != 200:
                    failures.append(f"{name}: {answer.status_code} {answer.text[:100]}")
                await asyncio.sleep(0.02)
            return calls

        load = [asyncio.create_task(keep_calling(via_first, "old gateway"))]
        # 1. The services learn the new public key (the old one stays).
        jwks_file.write_text(json.dumps({"keys": [_public(old), _public(new)]}))
        # 2. A gateway with the new key starts beside the old one (a rolling update).
        previous = json.dumps([_public(old)])
        second = start_gateway(
            processes,
            tmp_path / "new.pem",
            smtp[1],
            prefix,
            urls,
            SERVICE_TOKEN_PREVIOUS_KEYS=previous,
            **secret,
        )
        via_second = Browser(second.url, slug="rot")
        via_second.cookie, via_second.csrf = via_first.cookie, via_first.csrf  # the same session
        load.append(asyncio.create_task(keep_calling(via_second, "new gateway")))
        published = (await via_second.get("/.well-known/jwks.json")).json()
        assert [k["kid"] for k in published["keys"]] == [new.kid, old.kid]
        seen = await via_second.get("/api/survey/rounds")
        assert seen.status_code == 200, seen.text
        await asyncio.sleep(1.5)
        # 3. The old gateway goes; then the old key leaves the services' JWKS.
        stop.set()
        calls = await asyncio.gather(*load)
        first.stop()
        jwks_file.write_text(json.dumps({"keys": [_public(new)]}))
        assert (await via_second.get("/api/survey/rounds")).status_code == 200
        assert not failures, failures
        assert all(c > 5 for c in calls), calls
        await via_first.aclose()
        await via_second.aclose()
    finally:
        processes.stop_all()
