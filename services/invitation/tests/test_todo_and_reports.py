"""The dashboard ("te doen", "mijn rapportages en evaluaties"), report mail, Groepsmonitor, gateway events."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from google.protobuf.timestamp_pb2 import Timestamp
from invitation_support import issued_events, link_token
from spiegel.aggregation.v1 import events_pb2 as aggregation
from spiegel.gateway.v1 import events_pb2 as gateway
from spiegel.survey.v1 import events_pb2 as survey
from spiegel_dev.waiting import eventually

pytestmark = pytest.mark.integration

GM_GROUPS = [
    survey.RespondentGroup(code="members", label_nl="Leden", label_en="Members", is_self=True),
    survey.RespondentGroup(code="staff", label_nl="Medewerkers", label_en="Staff"),
]


async def test_dashboard_links_reports_and_group_monitor(invitation):  # type: ignore[no-untyped-def]
    invitation.start()
    catcher = invitation.catcher
    # The gateway's events fill the directory and the tenant's slug.
    await invitation.publish(
        gateway.TenantConfigured(
            tenant_id=invitation.tenant, slug="umcg", name="UMC Groningen", languages=["nl", "en"], revision=1
        )
    )
    for person_id, name, email, lang in [
        ("spec-1", "Dr. A. de Vries", "spec@umc.example", "nl"),
        ("p-n1", "Noor Nijland", "n1@umc.example", "en"),
        ("m1", "Dr. M. Eén", "m1@umc.example", "nl"),
        ("m2", "Dr. M. Twee", "m2@umc.example", "en"),
    ]:
        await invitation.publish(
            gateway.PersonRegistered(
                person_id=person_id,
                display_name=name,
                email=email,
                roles=["specialist"],
                language=lang,
                active=True,
                revision=1,
            )
        )

    async def directory_ready() -> bool:
        person, tenant = (
            await invitation.doc("people", "m2"),
            await invitation.doc("tenants", invitation.tenant),
        )
        return bool(person and tenant and tenant.get("slug") == "umcg")

    await eventually(directory_ready, what="the gateway's events")

    async with invitation.client() as coordinator:
        await coordinator.put(
            "/rounds/r1",
            json={"title": "IFMS 2031", "subject_id": "spec-1", "subject_name": "Dr. A. de Vries"},
        )
        added = await coordinator.post(
            "/rounds/r1/nominations",
            json={"group": "colleagues", "name": "Noor Nijland", "email": "N1@umc.example", "language": "en"},
        )
        n1 = added.json()["assignment_id"]
    await invitation.open_round(
        "r1",
        subject_id="spec-1",
        subject_name="Dr. A. de Vries",
        title="IFMS 2031",
        closes_at=datetime.now(UTC) + timedelta(days=14),
    )
    catcher.wait_for(2)
    tokens = {m.recipients[0]: link_token(m) for m in catcher.messages()}
    assert all(
        f"http://127.0.0.1:8100/t/umcg/e/{t}" in m.details()["text"]
        for m in catcher.messages()
        for t in [link_token(m)]
    )

    async with invitation.client(["specialist"], subject="spec-1") as specialist:
        todo = (await specialist.get("/me/todo")).json()["items"]
        assert [(i["kind"], i["round_title"], i["link_path"]) for i in todo] == [
            ("self", "IFMS 2031", f"/e/{tokens['spec@umc.example']}")
        ]
    async with invitation.client(["specialist"], subject="p-n1", email="n1@umc.example") as nominee:
        todo = (await nominee.get("/me/todo")).json()["items"]
        assert [(i["kind"], i["subject_name"], i["link_path"]) for i in todo] == [
            ("respondent", "Dr. A. de Vries", f"/e/{tokens['N1@umc.example']}")
        ]

    await invitation.publish(
        survey.AssignmentCompleted(assignment_id=n1, round_id="r1", respondent_group="colleagues")
    )
    published = Timestamp()
    published.FromDatetime(datetime.now(UTC).replace(tzinfo=None))
    await invitation.publish(
        aggregation.ReportPublished(
            report_id="rep-1",
            round_id="r1",
            subject_id="spec-1",
            version=1,
            kind="IFMS",
            title="Rapportage IFMS 2031",
            published_at=published,
        )
    )

    async with invitation.client(["specialist"], subject="p-n1", email="n1@umc.example") as nominee:

        async def done() -> bool:
            return (await nominee.get("/me/todo")).json()["items"] == []

        await eventually(done, what="the completed request to leave the to-do list")
        history = (await nominee.get("/me/history")).json()
        assert [(e["round_title"], e["completed"]) for e in history["evaluations"]] == [("IFMS 2031", True)]

    ready = catcher.wait_for(3)[-1]
    assert ready.recipients == ["spec@umc.example"]
    assert ready.details()["subject"] == "Uw rapportage staat klaar: Rapportage IFMS 2031"
    assert "http://127.0.0.1:8100/t/umcg/" in ready.details()["text"]
    async with invitation.client(["specialist"], subject="spec-1") as specialist:
        reports = (await specialist.get("/me/history")).json()["reports"]
        assert [(r["report_id"], r["version"]) for r in reports] == [("rep-1", 1)]

    # A Groepsmonitor: every member gets the group's self-assessment, in their own language.
    await invitation.open_round(
        "gm",
        subject_id="group-cardio",
        subject_name="Vakgroep Cardiologie",
        title="Groepsmonitor 2031",
        kind=survey.ROUND_KIND_GROUP_MONITOR,
        members=["m1", "m2"],
        groups=GM_GROUPS,
    )
    messages = catcher.wait_for(5)
    by_member = {m.recipients[0]: m.details() for m in messages[3:]}
    assert by_member["m1@umc.example"]["subject"] == "Zelfbeeld van de groep: Groepsmonitor 2031"
    assert by_member["m2@umc.example"]["subject"] == "The group's self-assessment: Groepsmonitor 2031"
    events = await issued_events(invitation.stack, "gm", expected=2, namespace=invitation.topic(""))
    assert {p.respondent_group for _, p in events.values()} == {"members"}
    assert {p.language for _, p in events.values()} == {"nl", "en"}

    await invitation.publish(
        aggregation.ReportPublished(
            report_id="rep-gm",
            round_id="gm",
            subject_id="group-cardio",
            member_ids=["m1", "m2"],
            version=1,
            kind="GROUP_MONITOR",
            title="Groepsmonitor 2031",
        )
    )
    reports = catcher.wait_for(7)[5:]
    assert sorted(m.recipients[0] for m in reports) == ["m1@umc.example", "m2@umc.example"]
    # A redelivered report event sends nothing new.
    await invitation.publish(
        aggregation.ReportPublished(
            report_id="rep-gm",
            round_id="gm",
            subject_id="group-cardio",
            member_ids=["m1", "m2"],
            version=1,
            kind="GROUP_MONITOR",
            title="Groepsmonitor 2031",
        )
    )

    async def drained() -> bool:
        return await invitation.count("mail_queue") == 0 and await invitation.count("issue_queue") == 0

    await eventually(drained, what="an empty queue")
    assert catcher.store.total == 7
