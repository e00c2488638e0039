"""Values that parse but cannot be stored (found by fuzzing through the gateway): a 422 naming the field."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.integration

SETUP = {"title": "IFMS", "subject_id": "s", "subject_name": "Dr. S"}


async def test_a_revision_beyond_64_bits_is_refused(invitation):  # type: ignore[no-untyped-def]
    invitation.start(consumer=False, relay=False)
    person = {"display_name": "Dr. A. de Vries", "email": "a.devries@umc.example"}
    async with invitation.client() as coordinator:
        refused = await coordinator.put("/people/p1", json={**person, "revision": 2**63})
        assert refused.status_code == 422, refused.text
        assert "body.revision" in refused.json()["message"]
        assert (await coordinator.get("/people/p1")).status_code == 404  # nothing stored
        accepted = await coordinator.put("/people/p1", json={**person, "revision": 2**63 - 1})
        assert accepted.status_code == 200, accepted.text
        assert (await coordinator.get("/people/p1")).json()["revision"] == 2**63 - 1


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("closes_at", "9999-12-31T23:59:59-12:00"),  # after 9999 in UTC
        ("closes_at", "9999-12-31T00:00:00+00:00"),  # storable, but no reminder can be planned
        ("closes_at", "2999-12-31T00:00:00-00:01"),
        ("opens_at", "0001-01-01T00:00:00+14:00"),  # before year 1 in UTC
        ("opens_at", "0001-01-01T00:00:00Z"),
        ("opens_at", "1970-01-01T23:59:59Z"),
    ],
)
async def test_a_date_that_cannot_be_stored_or_planned_is_refused(invitation, name, value):  # type: ignore[no-untyped-def]
    invitation.start(consumer=False, relay=False)
    async with invitation.client() as coordinator:
        refused = await coordinator.put("/rounds/r1", json={**SETUP, name: value})
        assert refused.status_code == 422, refused.text
        assert f"body.{name}" in refused.json()["message"]
        assert (await coordinator.get("/rounds/r1")).status_code == 404  # nothing stored
        accepted = await coordinator.put(
            "/rounds/r1",
            json={**SETUP, "opens_at": "1970-01-02T00:00:00+00:00", "closes_at": "2999-12-31T00:00:00Z"},
        )
        assert accepted.status_code == 200, accepted.text
        policy = await coordinator.put(
            "/rounds/r1/reminder-policy", json={"max_reminders": 10, "interval_days": 60}
        )
        assert policy.status_code == 200, policy.text
