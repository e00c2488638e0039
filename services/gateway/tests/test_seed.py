"""The demo data of `make run`: the demo hospital and people who can sign in with the printed passwords."""

from __future__ import annotations

import pytest
from gateway_helpers import Browser
from spiegel_demo.hospital import seed_demo
from spiegel_demo.people import GROUPS
from spiegel_gateway.definition import DEFINITION
from spiegel_gateway.settings import GatewaySettings
from spiegel_gateway.wiring import Gateway
from spiegel_platform.service import Runtime

pytestmark = pytest.mark.integration


async def test_seed_makes_a_demo_hospital_whose_people_can_sign_in(deployment):  # type: ignore[no-untyped-def]
    settings = GatewaySettings(**{k.lower(): v for k, v in deployment.env.items() if k.isupper()})
    first = await seed_demo(settings)
    accounts = await seed_demo(settings)  # twice: idempotent, a fresh password
    assert [a.person.email for a in accounts] == [a.person.email for a in first]
    assert accounts[0].password != first[0].password
    roles = {role for a in accounts for role in a.person.roles}
    assert roles >= {"tenant_admin", "coordinator", "facilitator", "board", "specialist", "operator"}
    assert len([a for a in accounts if "facilitator" in a.person.roles]) >= 2
    assert all(a.person.name.strip() and "@" in a.person.email for a in accounts)
    for group in GROUPS:
        assert len(group.members) >= 5 and all("specialist" in m.roles for m in group.members)
    runtime = Runtime(DEFINITION, settings)
    gateway = Gateway(runtime)
    try:
        for group in GROUPS:
            found = await gateway.groups.find_by_name("demo", group.name)
            assert found is not None, group.name
            assert len(await gateway.groups.members("demo", found.group_id)) == len(group.members)
            # Each specialist's specialism and employment: an RGS declaration's form follows them.
            for member in group.members:
                person = await gateway.people.by_email("demo", member.email)
                assert person is not None and person.specialism == group.specialism
                assert person.employment == member.employment
        employments = {m.employment for g in GROUPS for m in g.members}
        assert employments == {"employed", "self_employed"}  # both forms of declaration in the demo
    finally:
        await gateway.aclose()
        await runtime.close()
    # Everyone but the specialists, and one specialist of each group, signs in with the printed password.
    signing_in = [a for a in accounts if "specialist" not in a.person.roles]
    signing_in += [a for a in accounts if a.person in (GROUPS[0].members[0], GROUPS[1].members[0])]
    for account in signing_in:
        browser = Browser(deployment.url, slug=None if account.tenant_id == "platform" else "demo")
        try:
            signed_in = await browser.login(account.person.email, account.password)
            assert signed_in.status_code == 200, (account.person, signed_in.text)
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
