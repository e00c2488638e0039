"""Signing an RGS declaration with the password again, through the real gateway and the real
accreditation service: the password is checked by the gateway and never passed on (the service
refuses any unknown field, so a 200 shows it was taken out), wrong passwords are refused with the
reason and limited per person, every attempt is audited; the web page signs the same way; the
public verification page answers without sign-in, shows name, day and facilitator only, a plain
404 page for an unknown code, and limits guessing per address."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from gateway_helpers import PASSWORD, Browser, Deployment, add_person, create_tenant
from spiegel_accreditation.storage import Store as AccreditationStore

pytestmark = pytest.mark.integration


async def _ended_session(deployment: Deployment, tenant_id: str, facilitator: str, participant: str) -> str:
    """An ended IFMS session the participant attended, with their BIG number, written with the
    accreditation service's store (as the consumer and check-in would have)."""
    db = (await _db(deployment)).client[f"{deployment.prefix}_accreditation"]
    store = AccreditationStore.on(db).tenant(tenant_id)
    session_id = str(uuid.uuid4())
    start = datetime.now(UTC) - timedelta(hours=5)
    await store.sessions.insert(
        {
            "id": session_id,
            "kind": "IFMS",
            "participants": [{"person_id": participant, "round_id": f"r-{session_id[:8]}"}],
            "participant_ids": [participant],
            "facilitator_ids": [facilitator],
            "starts_at": start,
            "ends_at": start + timedelta(hours=2),
            "location": "Zaal 1",
            "online_url": "",
            "group_id": "",
            "series_id": "",
            "state": "planned",
            "version": 1,
        }
    )
    await store.attendance.insert(
        {
            "id": f"{session_id}/{participant}",
            "session_id": session_id,
            "person_id": participant,
            "status": "present",
        }
    )
    if await store.big_numbers.get(participant) is None:
        await store.big_numbers.insert({"id": participant, "big_number": "01234567890"})
    if await store.people.get(participant) is None:
        await store.people.insert(
            {
                "id": participant,
                "display_name": "Dr. Sanne Specialist",
                "employment": "self_employed",
                "specialism": "Cardiologie",
                "revision": 1,
            }
        )
    return session_id


async def _db(deployment: Deployment) -> Any:
    return deployment.db()


async def test_signing_with_the_password_again(deployment: Deployment) -> None:
    tenant = await create_tenant(deployment, f"decl-{uuid.uuid4().hex[:6]}")
    tenant_id, slug = tenant["tenant_id"], tenant["slug"]
    facilitator_email = f"fac-{uuid.uuid4().hex[:6]}@umc-test.nl"
    facilitator_id = await add_person(
        deployment, tenant_id, facilitator_email, "facilitator", name="F. Leider"
    )
    specialist_id = await add_person(
        deployment, tenant_id, f"spec-{uuid.uuid4().hex[:6]}@umc-test.nl", "specialist"
    )
    first = await _ended_session(deployment, tenant_id, facilitator_id, specialist_id)
    second = await _ended_session(deployment, tenant_id, facilitator_id, specialist_id)

    browser = Browser(deployment.url, slug=slug)
    try:
        assert (await browser.login(facilitator_email)).status_code == 200
        sign = f"/api/accreditation/sessions/{first}/declarations/{specialist_id}/sign"
        # No password: the service asks for one.
        missing = await browser.post(sign, json={})
        assert missing.status_code == 403 and missing.json()["code"] == "declaration_confirmation_required"
        # A wrong one: refused naming the field, in the caller's language.
        wrong = await browser.post(sign, json={"password": "not-the-password"})
        assert wrong.status_code == 403, wrong.text
        assert wrong.json()["field"] == "password" and "klopt niet" in wrong.json()["message"]
        english = await browser.post(sign, json={"password": "nope"}, headers={"accept-language": "en"})
        assert english.json()["code"] == "declaration_password_wrong"
        # The right one: signed (the password did not reach the service: it forbids unknown fields).
        signed = await browser.post(sign, json={"password": PASSWORD})
        assert signed.status_code == 200, signed.text
        assert signed.json()["signed_now"] is True and signed.json()["facilitator"] == "F. Leider"

        # The page signs the same way: a form with the session's CSRF token and the password.
        page = f"/bespreking/{second}/verklaringen"
        shown = await browser.get(page, headers={"accept": "text/html"})
        assert shown.status_code == 200, shown.text
        assert 'type="password"' in shown.text and "Dr. Sanne Specialist" in shown.text
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', shown.text)
        assert csrf is not None
        form_path = f"{page}/{specialist_id}/ondertekenen"
        refused = await browser.post(
            form_path,
            data={"csrf_token": csrf.group(1), "password": "wrong"},
            headers={"accept": "text/html"},
        )
        assert refused.status_code == 403 and "wachtwoord klopt niet" in refused.text
        done = await browser.post(
            form_path,
            data={"csrf_token": csrf.group(1), "password": PASSWORD},
            headers={"accept": "text/html"},
        )
        assert done.status_code == 303, done.text

        # Five wrong passwords in a quarter of an hour (three so far): then even the right one is refused.
        third = await _ended_session(deployment, tenant_id, facilitator_id, specialist_id)
        sign3 = f"/api/accreditation/sessions/{third}/declarations/{specialist_id}/sign"
        for _ in range(2):
            assert (await browser.post(sign3, json={"password": "again-wrong"})).status_code == 403
        limited = await browser.post(sign3, json={"password": PASSWORD})
        assert limited.status_code == 429 and limited.json()["code"] == "declaration_too_many_attempts"

        # Audited: each attempt, never the password.
        admin_email = f"adm-{uuid.uuid4().hex[:6]}@umc-test.nl"
        await add_person(deployment, tenant_id, admin_email, "tenant_admin")
        admin = Browser(deployment.url, slug=slug)
        try:
            assert (await admin.login(admin_email)).status_code == 200
            log = (await admin.get("/audit", params={"limit": 200})).text
        finally:
            await admin.aclose()
        assert log.count("signature.confirmed") == 2 and log.count("signature.refused") >= 5
        assert PASSWORD not in log and "again-wrong" not in log

        # The PDF through the page, and its code verified on the public page without signing in.
        pdf = await browser.get(f"{page}/{specialist_id}.pdf?taal=nl")
        assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    finally:
        await browser.aclose()

    db = (await _db(deployment)).client[f"{deployment.prefix}_accreditation"]
    code = (await AccreditationStore.on(db).tenant(tenant_id).declarations.get(f"{first}/{specialist_id}"))[
        "code"
    ]
    visitor = Browser(deployment.url, slug=slug)
    try:
        genuine = await visitor.get(f"/verklaring/{code}", headers={"accept": "text/html"})
        assert genuine.status_code == 200, genuine.text
        assert "Dr. Sanne Specialist" in genuine.text and "F. Leider" in genuine.text
        assert "01234567890" not in genuine.text and "Cardiologie" not in genuine.text
        unknown = await visitor.get("/verklaring/AAAA-BBBB-CCCC-DDDD", headers={"accept": "text/html"})
        assert unknown.status_code == 404 and "<html" in unknown.text.lower()
        # Guessing: 20 unknown codes an hour per address, then a 429 page (the known one still counts
        # as found: refunded).
        statuses = [
            (
                await visitor.get(
                    f"/verklaring/{uuid.uuid4().hex[:16].upper()}", headers={"accept": "text/html"}
                )
            ).status_code
            for _ in range(22)
        ]
        assert statuses[:18] == [404] * 18 and statuses[-1] == 429, statuses
    finally:
        await visitor.aclose()
