"""Demo data for `make run` (development only): the demo hospital and people to sign in with.

Tenant id and slug "demo"; its administrator, coordinator, two facilitators, a board member and
twelve specialists in two groups (people.py), and a platform operator. Each run sets one fresh
random password for all of them and prints it. Refuses to run with SPIEGEL_ENV=production.
"""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import dataclass
from typing import Any

from spiegel_gateway.definition import DEFINITION
from spiegel_gateway.settings import GatewaySettings
from spiegel_gateway.tenants.model import PLATFORM, TenantIn
from spiegel_platform.service import Runtime

from spiegel_demo.people import DOMAIN, GROUPS, OPERATOR, PEOPLE, DemoPerson

DEMO = "demo"


@dataclass(frozen=True)
class Account:
    person: DemoPerson
    password: str
    tenant_id: str


async def seed_demo(settings: GatewaySettings) -> list[Account]:
    from spiegel_gateway.signin.passwords import hash_password_async
    from spiegel_gateway.wiring import Gateway

    if settings.is_production:
        raise RuntimeError("demo data is for development only")
    runtime = Runtime(DEFINITION, settings)
    gateway = Gateway(runtime)
    password = "demo-" + secrets.token_urlsafe(9)
    password_hash = await hash_password_async(password)
    accounts = []
    try:
        await runtime.prepare_storage()
        if await gateway.tenants.get(DEMO) is None:
            await gateway.tenants.create(
                TenantIn(slug=DEMO, tenant_id=DEMO, name="Demo Ziekenhuis", languages=["nl", "en"])
            )
        for demo_person, tenant_id in [(p, DEMO) for p in PEOPLE] + [(OPERATOR, PLATFORM)]:
            person = await gateway.people.by_email(tenant_id, demo_person.email)
            if person is None:
                await gateway.people.create(
                    tenant_id,
                    display_name=demo_person.name,
                    email=demo_person.email,
                    roles=list(demo_person.roles),
                    language="nl",
                    password_hash=password_hash,
                    email_verified=True,
                    specialism=demo_person.specialism,
                    employment=demo_person.employment,
                )
            else:
                # A demo account changed while walking the pages gets its demo name, roles and state back
                # (and its specialism and employment: the RGS declaration's form follows them).
                wanted = {
                    "display_name": demo_person.name,
                    "roles": list(demo_person.roles),
                    "active": True,
                    "specialism": demo_person.specialism,
                    "employment": demo_person.employment,
                }
                now = {
                    "display_name": person.display_name,
                    "roles": list(person.roles),
                    "active": person.active,
                    "specialism": person.specialism,
                    "employment": person.employment,
                }
                if now != wanted:
                    person = await gateway.people.change(person, wanted)
                await gateway.people.set_password(person, password_hash, verified=True)
            accounts.append(Account(demo_person, password, tenant_id))
        await _seed_groups(gateway)
    finally:
        await gateway.aclose()
        await runtime.close()
    return accounts


async def _seed_groups(gateway: Any) -> None:
    """The two groups with their specialists (skipped when a group of that name exists)."""
    for group in GROUPS:
        if await gateway.groups.find_by_name(DEMO, group.name) is not None:
            continue
        members = [await gateway.people.by_email(DEMO, m.email) for m in group.members]
        await gateway.groups.create(
            DEMO,
            name=group.name,
            kind=group.kind,
            specialism=group.specialism,
            contact_person_id=members[0].person_id,
            members=[m.person_id for m in members],
            by="demo",
        )


def seed(stack: Any, processes: Any) -> None:
    """The demo hospital and its people (spiegel_demo.seed runs it in `make run`)."""
    gateway = next((p for p in processes if p.service == "gateway" and p.process == "api"), None)
    if gateway is None:
        return
    settings = GatewaySettings(
        **{k.lower(): v for k, v in gateway.env.items() if k.isupper() and k != "PATH"}
    )
    accounts = asyncio.run(seed_demo(settings))
    base = gateway.url
    rounds = _demo_rounds(base, accounts)
    password = accounts[0].password
    print(f"\n  Demo hospital: {base}/t/{DEMO}/")
    print(f"  Development accounts, each with the password {password} (new each run):")
    for account in accounts:
        where = f"{base}/t/{DEMO}/" if account.tenant_id == DEMO else f"{base}/  (operator console)"
        roles = ", ".join(account.person.roles)
        print(f"    {roles:<14} {account.person.name:<24} {account.person.email:<36} at {where}")
    for line in rounds:
        print(line)


def _demo_rounds(base: str, accounts: list[Account]) -> list[str]:
    """Rounds, respondents' mails and a report (rounds.py); a failure is told, not fatal for `make run`."""
    from urllib.parse import urlsplit

    from spiegel_demo.rounds import seed_rounds

    port = urlsplit(base).port or 8100
    mail_url = f"http://127.0.0.1:{port + 91}"  # the mail catcher of `make run` (spiegel_dev.run)
    by_email = {a.person.email: a for a in accounts}
    coordinator = by_email[f"coordinator@{DOMAIN}"]
    try:
        return seed_rounds(
            base,
            mail_url,
            (coordinator.person.email, coordinator.password),
            {
                "specialist": f"specialist@{DOMAIN}",
                "facilitator": f"facilitator@{DOMAIN}",
                "group": GROUPS[0].name,
            },
        )
    except Exception as error:
        return [f"  demo rounds not made: {error}"]
