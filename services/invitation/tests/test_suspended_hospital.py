"""A hospital suspended by an operator (the gateway's `TenantConfigured.suspended`): the invitation
service sends nothing for it (no invitations, reminders or report-ready mails), and after the
reactivation it sends what is still useful without a burst of stale reminders. Real Kafka,
FerretDB and SMTP (the mail catcher); the gateway's events are published as it would."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from google.protobuf.timestamp_pb2 import Timestamp
from spiegel.aggregation.v1 import events_pb2 as aggregation
from spiegel.gateway.v1 import events_pb2 as gateway
from spiegel_dev.waiting import eventually
from spiegel_platform.events import new_event

pytestmark = pytest.mark.integration


async def announce(invitation, *, suspended: bool, revision: int) -> None:  # type: ignore[no-untyped-def]
    configured = gateway.TenantConfigured(
        tenant_id=invitation.tenant,
        slug="umc-test",
        name="UMC Test",
        languages=["nl", "en"],
        time_zone="Europe/Amsterdam",
        min_group_size=4,
        revision=revision,
        suspended=suspended,
    )
    await invitation.publish_event(new_event(configured, tenant_id=invitation.tenant, producer="gateway"))

    async def applied() -> bool:
        doc = await invitation.doc("tenants", invitation.tenant)
        return bool(doc and doc.get("revision") == revision and doc.get("suspended") is suspended)

    await eventually(applied, what=f"the hospital {'suspended' if suspended else 'active'} here")


async def test_nothing_is_sent_while_suspended_and_no_burst_of_stale_reminders_after(invitation):  # type: ignore[no-untyped-def]
    invitation.env["MAILER_SUSPENDED_HOLD_S"] = "1"  # looks again every second while suspended
    invitation.start()
    catcher = invitation.catcher
    await announce(invitation, suspended=True, revision=2)

    opens_at = datetime.now(UTC) - timedelta(hours=36)
    async with invitation.client() as coordinator:
        await coordinator.put(
            "/people/spec-1", json={"display_name": "Dr. A. de Vries", "email": "spec@umc.example"}
        )
        await coordinator.put(
            "/rounds/r1", json={"title": "IFMS", "subject_id": "spec-1", "subject_name": "Dr. V"}
        )
        for email in ("a@umc.example", "b@umc.example"):
            added = await coordinator.post(
                "/rounds/r1/nominations", json={"group": "staff", "name": f"Naam {email[0]}", "email": email}
            )
            assert added.status_code == 201, added.text
    await invitation.open_round(
        "r1",
        subject_id="spec-1",
        subject_name="Dr. V",
        title="IFMS",
        opens_at=opens_at,
        closes_at=datetime.now(UTC) + timedelta(days=10),
    )
    async with invitation.client() as coordinator:
        # A reminder every day: the first came due 12 hours ago, the second is due in 12 hours.
        policy = await coordinator.put(
            "/rounds/r1/reminder-policy",
            json={"max_reminders": 2, "interval_days": 1, "quiet_days": 1, "min_interval_hours": 0},
        )
        assert policy.status_code == 200, policy.text
    published = Timestamp()
    published.FromDatetime(datetime.now(UTC).replace(tzinfo=None))
    await invitation.publish_event(
        new_event(
            aggregation.ReportPublished(
                report_id="rep-0",
                round_id="r0",
                subject_id="spec-1",
                version=1,
                kind="IFMS",
                title="Rapportage IFMS 2025",
                published_at=published,
            ),
            tenant_id=invitation.tenant,
            producer="aggregation",
        )
    )

    async def held() -> bool:
        queue = await invitation.count("mail_queue", {"held": True})
        return queue == 4  # three invitations (two nominees, the self-evaluation) and the report

    await eventually(held, what="the invitations and the report-ready mail held in the queue")
    await asyncio.sleep(3)  # the scheduler ticks every 0.3 s, the mailer looks again every second
    assert catcher.messages() == [], "nothing may be sent for a suspended hospital"
    assert await invitation.count("reminder_claims") == 0
    assert await invitation.count("deliveries") == 0

    await announce(invitation, suspended=False, revision=3)
    arrived = catcher.wait_for(4, timeout=30)
    subjects = sorted((m.recipients[0], m.summary()["subject"].split(" ")[0]) for m in arrived)
    assert [to for to, _ in subjects] == [
        "a@umc.example",
        "b@umc.example",
        "spec@umc.example",
        "spec@umc.example",
    ]
    assert not any(s.startswith("Herinnering") for _, s in subjects)

    async def passed_over() -> bool:
        due = await invitation.doc("reminder_due", "r1")
        return bool(due and due.get("done") == 1 and due.get("next_number") == 2)

    # The reminder due during the suspension is passed over, not sent now; the next keeps its time.
    await eventually(passed_over, what="the missed reminder passed over")
    await asyncio.sleep(2)
    assert len(catcher.messages()) == 4, [m.summary()["subject"] for m in catcher.messages()]
    assert await invitation.count("reminder_claims") == 0

    # Reminders by hand work again at once.
    async with invitation.client() as coordinator:
        chase = await coordinator.post("/rounds/r1/reminders", json={"group": "staff", "request_id": "after"})
        assert chase.json()["queued"] == 2, chase.text
    chased = catcher.wait_for(6, timeout=30)[4:]
    assert sorted(m.recipients[0] for m in chased) == ["a@umc.example", "b@umc.example"]
    assert all(m.summary()["subject"].startswith("Herinnering") for m in chased)
