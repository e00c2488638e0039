"""The personal check-in link of a discussion session's follow-up mail through the real gateway,
web and accreditation services: `/a/{token}` opens a link session (JSON for API clients, the
phone-friendly check-in page for a browser), the link checks in its own participant for its own
session only, reaches nothing else, and an unknown or expired link gives a clear page.

The link's hash is written straight into the accreditation service's `checkin_links`, as its
consumer writes it from the invitation service's CheckInLinkIssued (that path, and the mail, are
tested across both services in services/invitation/tests/test_checkin_followup.py)."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from gateway_helpers import Browser, create_tenant
from spiegel_accreditation.storage import Store as AccreditationStore
from spiegel_platform.links import hash_link_token, new_link_token

pytestmark = pytest.mark.integration


async def _world(deployment: Any) -> dict[str, Any]:
    slug = f"chk-{uuid.uuid4().hex[:6]}"
    tenant = await create_tenant(deployment, slug)
    store = AccreditationStore.on(deployment.db().client[f"{deployment.prefix}_accreditation"]).tenant(
        tenant["tenant_id"]
    )
    ended = datetime.now(UTC) - timedelta(hours=1)
    first, second = str(uuid.uuid4()), str(uuid.uuid4())
    for session_id, people in ((first, ["p-a", "p-b"]), (second, ["p-a"])):
        await store.sessions.insert(
            {
                "id": session_id,
                "kind": "IFMS",
                "participants": [{"person_id": p, "round_id": f"r-{p}-{session_id[:8]}"} for p in people],
                "participant_ids": people,
                "facilitator_ids": ["fac-1"],
                "starts_at": ended - timedelta(hours=2),
                "ends_at": ended,
                "location": "Zaal 3",
                "online_url": "",
                "group_id": "",
                "series_id": "",
                "state": "planned",
                "version": 1,
            }
        )
    tokens = {"a": new_link_token(), "b": new_link_token(), "a2": new_link_token()}
    for name, session_id, person in (("a", first, "p-a"), ("b", first, "p-b"), ("a2", second, "p-a")):
        await store.checkin_links.update(
            hash_link_token(tokens[name]),
            {"$set": {"session_id": session_id, "person_id": person}},
            upsert=True,
        )
    return {"slug": slug, "store": store, "first": first, "second": second, "tokens": tokens}


async def test_checkin_link_json_and_page(deployment) -> None:  # type: ignore[no-untyped-def]
    world = await _world(deployment)
    slug, store, first, second = world["slug"], world["store"], world["first"], world["second"]
    tokens = world["tokens"]

    # An API client: the link's state, a session for it, and the check-in with X-CSRF-Token.
    client = Browser(deployment.url, slug=slug)
    try:
        opened = await client.get(f"/a/{tokens['a']}")
        assert opened.status_code == 200, opened.text
        assert opened.json()["session_id"] == first and opened.json()["open"] is True
        assert client.cookie and opened.headers["cache-control"] == "no-store"
        body = {"big_number": "123456789", "evaluation": {"answers": {"safe": 5}, "remark": "fijn"}}
        assert (await client.request("POST", "/respondent/checkin", json=body, csrf=False)).status_code == 403
        done = await client.post("/respondent/checkin", json=body)
        assert done.status_code == 200, done.text
        assert done.json()["session_id"] == first and done.json()["big_number"] == "00123456789"
        # The link session reaches nothing else: no /api, no other link's check-in, no questionnaire.
        assert (await client.get(f"/api/accreditation/sessions/{first}")).status_code == 403
        assert (await client.get(f"/api/accreditation/checkin-links/{tokens['b']}")).status_code == 403
        assert (await client.get("/respondent/questionnaire")).status_code in (403, 404)
    finally:
        await client.aclose()
    assert (await store.attendance.get(f"{first}/p-a") or {}).get("checked_in_at")
    assert await store.attendance.get(f"{first}/p-b") is None
    assert await store.attendance.get(f"{second}/p-a") is None

    # A made-up link: 404 with the reason, no session.
    guess = Browser(deployment.url, slug=slug)
    try:
        unknown = await guess.get(f"/a/{new_link_token()}")
        assert unknown.status_code == 404 and unknown.json()["code"] == "checkin_link_unknown"
        assert guess.cookie is None
    finally:
        await guess.aclose()

    # A phone's browser: the link leaves the address bar at once; the page asks for the BIG number
    # and the evaluation; a refusal keeps what was typed.
    base = f"{deployment.url}/t/{slug}"
    async with httpx.AsyncClient(headers={"accept": "text/html"}, timeout=30) as phone:
        opened = await phone.get(f"{base}/a/{tokens['b']}")
        assert opened.status_code == 303 and opened.headers["location"].endswith("/aanmelden-met-link")
        page = await phone.get(f"{base}/aanmelden-met-link")
        assert page.status_code == 200, page.text
        assert 'name="big_number"' in page.text and 'name="s_useful"' in page.text
        assert "/aanmelden-met-link" in page.text and tokens["b"] not in page.text
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert csrf is not None
        wrong = await phone.post(
            f"{base}/aanmelden-met-link",
            data={"csrf_token": csrf.group(1), "big_number": "=1+2", "remark": "mijn opmerking"},
        )
        assert wrong.status_code == 422 and "mijn opmerking" in wrong.text
        done = await phone.post(
            f"{base}/aanmelden-met-link",
            data={"csrf_token": csrf.group(1), "big_number": "0987654321", "s_useful": "4"},
        )
        assert done.status_code == 200, done.text
        assert "00987654321" in done.text
    assert (await store.attendance.get(f"{first}/p-b") or {}).get("checked_in_at")

    # An unknown link in a browser: a page saying so (never raw JSON, never "sign in first").
    async with httpx.AsyncClient(headers={"accept": "text/html"}, timeout=30) as phone:
        unknown = await phone.get(f"{base}/a/{new_link_token()}")
        assert unknown.status_code == 404 and "<html" in unknown.text.lower()
        nothing = await phone.get(f"{base}/aanmelden-met-link")
        assert nothing.status_code == 401 and "<html" in nothing.text.lower()

    # The window of the second session has closed: the link opens a page that says so, and the
    # form is refused with the reason.
    await store.sessions.update(
        second,
        {
            "$set": {
                "starts_at": datetime.now(UTC) - timedelta(days=20, hours=2),
                "ends_at": datetime.now(UTC) - timedelta(days=20),
            }
        },
    )
    async with httpx.AsyncClient(headers={"accept": "text/html"}, timeout=30) as phone:
        opened = await phone.get(f"{base}/a/{tokens['a2']}")
        assert opened.status_code == 303
        page = await phone.get(f"{base}/aanmelden-met-link")
        assert page.status_code == 200 and 'role="alert"' in page.text
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert csrf is not None
        late = await phone.post(
            f"{base}/aanmelden-met-link", data={"csrf_token": csrf.group(1), "big_number": "12345678901"}
        )
        assert late.status_code == 422 and "14" in late.text
    assert await store.attendance.get(f"{second}/p-a") is None
