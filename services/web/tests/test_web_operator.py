"""The operators' console in a real browser (issue 18): an operator signs in on the platform's address,
creates a hospital (a refused form first, its input kept), its administrator activates the account
from the real mail in the mail catcher and signs in to the new hospital; the operator suspends the
hospital (the administrator is signed out and reads why) and reactivates it."""

from __future__ import annotations

import re
import time
import uuid
from typing import Any

import pytest
from playwright.sync_api import expect
from web_browser import Checked, run_async
from web_helpers import PASSWORD, WebDeployment

pytestmark = [pytest.mark.integration, pytest.mark.browser]

NEW_PASSWORD = "een nieuw en lang wachtwoord 7"
VERIFY = re.compile(r"(http://\S+/account/verifieren\?token=[A-Za-z0-9_\-]+)")


async def make_operator(env: dict[str, str], email: str) -> None:
    from spiegel_gateway.definition import DEFINITION
    from spiegel_gateway.settings import GatewaySettings
    from spiegel_gateway.signin.passwords import hash_password_async
    from spiegel_gateway.tenants.model import PLATFORM
    from spiegel_gateway.wiring import Gateway
    from spiegel_platform.service import Runtime

    settings = GatewaySettings(**{k.lower(): v for k, v in env.items() if k.isupper() and k != "PATH"})
    runtime = Runtime(DEFINITION, settings)
    gateway = Gateway(runtime)
    try:
        await gateway.people.create(
            PLATFORM,
            display_name="Olga Operator",
            email=email,
            roles=["operator"],
            language="nl",
            password_hash=await hash_password_async(PASSWORD),
            email_verified=True,
        )
    finally:
        await gateway.aclose()
        await runtime.close()


def activation_link(web: WebDeployment, address: str, timeout: float = 60) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for message in web.catcher.store.to(address):
            found = VERIFY.search(message.part("plain"))
            if found:
                return found.group(1)
        time.sleep(0.2)
    raise AssertionError(f"no activation mail reached {address} within {timeout}s")


def test_an_operator_creates_a_hospital_whose_administrator_activates_from_the_mail(
    web: WebDeployment, browser: Any
) -> None:
    operator = f"operator-{uuid.uuid4().hex[:6]}@spiegel-test.nl"
    run_async(make_operator(web.env, operator))
    slug = f"umc-{uuid.uuid4().hex[:6]}"
    admin = f"beheer@{slug}.nl"
    checked = Checked()
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="nl-NL")
    page = context.new_page()

    page.goto(f"{web.url}/")
    page.wait_for_url(re.compile(r"/inloggen$"))
    page.get_by_label("E-mailadres").fill(operator)
    page.get_by_label("Wachtwoord").fill(PASSWORD)
    page.get_by_role("button", name="Inloggen").click()
    page.wait_for_url(re.compile(r"/ziekenhuizen$"))
    checked.page(page, "operator-hospitals")
    page.get_by_role("link", name="Nieuw ziekenhuis").first.click()
    page.wait_for_url(re.compile(r"/ziekenhuizen/nieuw$"))
    page.get_by_label("Naam", exact=True).fill("UMC Zuid")
    page.get_by_label("Adres (slug)").fill(slug)
    page.get_by_label("Anonimiteitsdrempel").fill("3")
    page.get_by_label("Naam van de beheerder").fill("Drs. Bea Beheer")
    page.get_by_label("E-mailadres van de beheerder").fill(admin)
    checked.page(page, "operator-new")
    # The browser would refuse 3 itself (min=4): the server's answer is what is tested here.
    page.get_by_label("Anonimiteitsdrempel").evaluate("input => input.removeAttribute('min')")
    with page.expect_navigation():
        page.get_by_role("button", name="Ziekenhuis aanmaken en beheerder uitnodigen").click()
    assert "van 4 tot en met 50" in page.locator(".error-summary").inner_text()
    expect(page.get_by_label("Naam van de beheerder")).to_have_value("Drs. Bea Beheer")
    checked.page(page, "operator-new-refused")
    page.get_by_label("Anonimiteitsdrempel").fill("5")
    page.get_by_role("button", name="Ziekenhuis aanmaken en beheerder uitnodigen").click()
    page.wait_for_url(re.compile(rf"/ziekenhuizen\?aangemaakt={slug}$"))
    row = page.locator(f'tr[data-slug="{slug}"]')
    expect(row).to_contain_text("UMC Zuid")
    expect(row).to_contain_text("Actief")

    # The administrator's mail, in the mail catcher `make run` uses too; its link works.
    admin_page = browser.new_context(viewport={"width": 1280, "height": 900}, locale="nl-NL").new_page()
    admin_page.goto(activation_link(web, admin))
    admin_page.get_by_label("Nieuw wachtwoord", exact=True).fill(NEW_PASSWORD)
    admin_page.get_by_label("Herhaal het wachtwoord").fill(NEW_PASSWORD)
    admin_page.get_by_role("button", name="Wachtwoord opslaan").click()
    admin_page.wait_for_url(re.compile(r"/inloggen"))
    admin_page.get_by_label("E-mailadres").fill(admin)
    admin_page.get_by_label("Wachtwoord").fill(NEW_PASSWORD)
    admin_page.get_by_role("button", name="Inloggen").click()
    admin_page.wait_for_url(re.compile(r"/start$"))

    # Suspended: the administrator is signed out and reads why; reactivated: signing in works again.
    row.get_by_role("link", name="UMC Zuid").click()
    page.get_by_role("button", name="UMC Zuid opschorten").click()
    page.wait_for_url(re.compile(r"/ziekenhuizen\?gewijzigd="))
    expect(page.locator(f'tr[data-slug="{slug}"]')).to_contain_text("Opgeschort")
    admin_page.reload()
    expect(admin_page.locator("main")).to_contain_text("tijdelijk buiten gebruik")
    checked.page(admin_page, "operator-suspended-hospital")
    page.locator(f'tr[data-slug="{slug}"]').get_by_role("link", name="UMC Zuid").click()
    page.get_by_role("button", name="UMC Zuid weer activeren").click()
    page.wait_for_url(re.compile(r"/ziekenhuizen\?gewijzigd="))
    admin_page.goto(web.tenant_url(slug, "/inloggen"))
    admin_page.get_by_label("E-mailadres").fill(admin)
    admin_page.get_by_label("Wachtwoord").fill(NEW_PASSWORD)
    admin_page.get_by_role("button", name="Inloggen").click()
    admin_page.wait_for_url(re.compile(r"/start$"))

    page.goto(f"{web.url}/platformstatus")
    expect(page.locator('tr[data-service="survey"]')).to_contain_text("gereed")
    checked.page(page, "operator-status")
    context.close()
    assert not checked.violations, checked.violations
