"""Demo data for `make run` (development only): the demo hospital and people to sign in with.

Tenant id and slug "demo"; a coordinator (also tenant admin), a specialist and a
facilitator, and a platform operator. Each run sets fresh random passwords and
prints them. Refuses to run with SPIEGEL_ENV=production.
"""

from __future__ import annotations

import asyncio
import secrets
from typing import Any

from spiegel_gateway.definition import DEFINITION
from spiegel_gateway.settings import GatewaySettings
from spiegel_gateway.tenants.model import PLATFORM, TenantIn
from spiegel_platform.service import Runtime

DEMO = "demo"
PEOPLE = (
    ("coordinator@demo.spiegel.nl", "Carla Coördinator", ["tenant_admin", "coordinator"], DEMO),
    ("specialist@demo.spiegel.nl", "Dr. Sven Specialist", ["specialist"], DEMO),
    ("facilitator@demo.spiegel.nl", "Fleur Facilitator", ["facilitator"], DEMO),
    ("operator@spiegel.nl", "Otto Operator", ["operator"], PLATFORM),
)


async def seed_demo(settings: GatewaySettings) -> list[tuple[str, str, str, str]]:
    from spiegel_gateway.signin.passwords import hash_password_async
    from spiegel_gateway.wiring import Gateway

    if settings.is_production:
        raise RuntimeError("demo data is for development only")
    runtime = Runtime(DEFINITION, settings)
    gateway = Gateway(runtime)
    printed = []
    try:
        await runtime.prepare_storage()
        if await gateway.tenants.get(DEMO) is None:
            await gateway.tenants.create(
                TenantIn(slug=DEMO, tenant_id=DEMO, name="Demo Ziekenhuis", languages=["nl", "en"])
            )
        for email, name, roles, tenant_id in PEOPLE:
            password = "demo-" + secrets.token_urlsafe(9)
            password_hash = await hash_password_async(password)
            person = await gateway.people.by_email(tenant_id, email)
            if person is None:
                await gateway.people.create(
                    tenant_id,
                    display_name=name,
                    email=email,
                    roles=roles,
                    language="nl",
                    password_hash=password_hash,
                    email_verified=True,
                )
            else:
                await gateway.people.set_password(person, password_hash, verified=True)
            printed.append((", ".join(roles), email, password, tenant_id))
    finally:
        await gateway.aclose()
        await runtime.close()
    return printed


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
    print(f"\n  Demo hospital: {base}/t/{DEMO}/  (development credentials, new each run)")
    for roles, email, password, tenant_id in accounts:
        where = f"{base}/t/{DEMO}/" if tenant_id == DEMO else f"{base}/"
        print(f"    {roles:<28} {email:<32} {password}   at {where}")
    for line in rounds:
        print(line)


def _demo_rounds(base: str, accounts: list[tuple[str, str, str, str]]) -> list[str]:
    """Rounds, respondents' mails and a report (rounds.py); a failure is told, not fatal for `make run`."""
    from urllib.parse import urlsplit

    from spiegel_demo.rounds import seed_rounds

    port = urlsplit(base).port or 8100
    mail_url = f"http://127.0.0.1:{port + 91}"  # the mail catcher of `make run` (spiegel_dev.run)
    by_role = {roles: (email, password) for roles, email, password, _ in accounts}
    try:
        return seed_rounds(
            base,
            mail_url,
            by_role["tenant_admin, coordinator"],
            {"specialist": by_role["specialist"][0], "facilitator": by_role["facilitator"][0]},
        )
    except Exception as error:
        return [f"  demo rounds not made: {error}"]
