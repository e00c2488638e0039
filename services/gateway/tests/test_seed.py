"""The demo data of `make run`: the demo hospital and people who can sign in with the printed passwords."""

from __future__ import annotations

import pytest
from gateway_helpers import Browser
from spiegel_demo.hospital import seed_demo
from spiegel_gateway.settings import GatewaySettings

pytestmark = pytest.mark.integration


async def test_seed_makes_a_demo_hospital_whose_people_can_sign_in(deployment):  # type: ignore[no-untyped-def]
    settings = GatewaySettings(**{k.lower(): v for k, v in deployment.env.items() if k.isupper()})
    first = await seed_demo(settings)
    accounts = await seed_demo(settings)  # twice: idempotent, fresh passwords
    assert [a[1] for a in accounts] == [a[1] for a in first]
    by_role = {roles: (email, password, tenant) for roles, email, password, tenant in accounts}
    assert set(by_role) == {"tenant_admin, coordinator", "specialist", "facilitator", "operator"}
    for roles, (email, password, tenant) in by_role.items():
        browser = Browser(deployment.url, slug=None if tenant == "platform" else "demo")
        try:
            signed_in = await browser.login(email, password)
            assert signed_in.status_code == 200, (roles, signed_in.text)
        finally:
            await browser.aclose()
    settings_prod = GatewaySettings(
        **{
            **{k.lower(): v for k, v in deployment.env.items() if k.isupper()},
            "spiegel_env": "production",
            "service_token_signing_key_file": "/nonexistent",
            "smtp_host": "smtp",
            "gateway_domain": "spiegel.example",
            "session_secret": "s3" * 20,
        }
    )
    with pytest.raises(RuntimeError, match="development only"):
        await seed_demo(settings_prod)
