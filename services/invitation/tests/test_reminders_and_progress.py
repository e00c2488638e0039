"""Reminders on schedule and by hand, opt-out, completion, progress, withdrawal, extension, rater fatigue."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from invitation_support import issued_events, link_token, stamp
from spiegel.survey.v1 import events_pb2 as survey
from spiegel_dev.waiting import eventually
from spiegel_platform.links import hash_link_token

pytestmark = pytest.mark.integration

NOMINEES = {
    "a@umc.example": "staff",
    "b@umc.example": "staff",
    "c@umc.example": "staff",
    "d@umc.example": "colleagues",
}


def subjects(catcher, prefix: str) -> list[str]:  # type: ignore[no-untyped-def]
    return sorted(m.recipients[0] for m in catcher.messages() if m.summary()["subject"].startswith(prefix))


async def test_reminders_reach_only_who_has_not_completed_nor_opted_out(invitation):  # type: ignore[no-untyped-def]
    invitation.start()
    catcher = invitation.catcher
    opens_at = datetime.now(UTC) - timedelta(hours=36)
    closes_at = datetime.now(UTC) + timedelta(days=10)
    ids: dict[str, str] = {}
    async with invitation.client() as coordinator:
        await coordinator.put(
            "/people/spec-1", json={"display_name": "Dr. A. de Vries", "email": "spec@umc.example"}
        )
        await coordinator.put(
            "/rounds/r1", json={"title": "IFMS", "subject_id": "spec-1", "subject_name": "Dr. V"}
        )
        for email, group in NOMINEES.items():
            added = await coordinator.post(
                "/rounds/r1/nominations", json={"group": group, "name": f"Naam {email[0]}", "email": email}
            )
            ids[email] = added.json()["assignment_id"]
    await invitation.open_round(
        "r1", subject_id="spec-1", subject_name="Dr. V", title="IFMS", opens_at=opens_at, closes_at=closes_at
    )
    catcher.wait_for(5)
    tokens = {m.recipients[0]: link_token(m) for m in catcher.messages()}

    # a completes; b opts out through the one-click link (the gateway calls as respondent).
    await invitation.publish(
        survey.AssignmentCompleted(
            assignment_id=ids["a@umc.example"], round_id="r1", respondent_group="staff"
        )
    )
    b_hash = hash_link_token(tokens["b@umc.example"])
    async with invitation.client(["respondent"], subject=f"link:{b_hash}") as respondent:
        before = (await respondent.get("/optout")).json()
        assert before["opted_out"] is False and before["round_title"] == "IFMS"
        after = await respondent.post("/optout")
        assert after.status_code == 200 and after.json()["opted_out"] is True
    async with invitation.client(["respondent"], subject="link:" + "0" * 64) as stranger:
        assert (await stranger.post("/optout")).status_code == 404
    async with invitation.client(["coordinator"]) as coordinator:
        assert (await coordinator.post("/optout")).status_code == 403

    async def completed() -> bool:
        doc = await invitation.doc("progress", "r1")
        return bool(doc and ids["a@umc.example"] in doc.get("completed", {}))

    await eventually(completed, what="the completion")

    # Reminders every day (so the first is due now), at most 2, none in the last day.
    async with invitation.client() as coordinator:
        policy = await coordinator.put(
            "/rounds/r1/reminder-policy",
            json={"max_reminders": 2, "interval_days": 1, "quiet_days": 1, "min_interval_hours": 0},
        )
        assert policy.status_code == 200, policy.text
        assert len(policy.json()["schedule"]) == 2
    catcher.wait_for(8, timeout=60)
    assert subjects(catcher, "Herinnering") == ["c@umc.example", "d@umc.example", "spec@umc.example"]
    reminder = next(
        m
        for m in catcher.messages()
        if m.recipients == ["c@umc.example"] and m.summary()["subject"].startswith("Herinnering")
    )
    assert link_token(reminder) == tokens["c@umc.example"]  # the same personal link

    # By hand: the staff group is chased; only c qualifies.
    async with invitation.client() as coordinator:
        chase = await coordinator.post(
            "/rounds/r1/reminders", json={"group": "staff", "request_id": "chase1"}
        )
        assert chase.json()["queued"] == 1
        again = await coordinator.post(
            "/rounds/r1/reminders", json={"group": "staff", "request_id": "chase1"}
        )
        assert again.json()["queued"] == 0  # the same request twice sends once
    catcher.wait_for(9)
    chased = f"{ids['c@umc.example']}:manual:chase1"

    async def recorded_and_dequeued() -> bool:
        delivery = await invitation.doc("deliveries", chased)
        sent = bool(delivery and delivery["state"] == "sent")
        return sent and not await invitation.doc("mail_queue", chased)

    await eventually(recorded_and_dequeued, what="the chase recorded as sent and out of the queue")
    async with invitation.client() as coordinator:
        # ... also when it comes back after the mail was sent and left the queue.
        late = await coordinator.post("/rounds/r1/reminders", json={"group": "staff", "request_id": "chase1"})
        assert late.json()["queued"] == 0
    await asyncio.sleep(1)  # a second mail would arrive now
    assert sorted(r for m in catcher.messages() for r in m.recipients).count("c@umc.example") == 3

    async with invitation.client() as coordinator:
        progress = (await coordinator.get("/rounds/r1/progress")).json()
        staff = next(g for g in progress["groups"] if g["group"] == "staff")
        assert (staff["nominated"], staff["invited"], staff["completed"], staff["opted_out"]) == (3, 3, 1, 1)
        rows = {r["email"]: r for r in progress["people"]}
        assert rows["a@umc.example"]["completed"] and rows["b@umc.example"]["opted_out"]

        # Withdrawal before completion is announced; after completion it is refused.
        withdrawn = await coordinator.delete(f"/rounds/r1/nominations/{ids['d@umc.example']}")
        assert withdrawn.status_code == 200
        refused = await coordinator.delete(f"/rounds/r1/nominations/{ids['a@umc.example']}")
        assert refused.status_code == 409
        deliveries = (await coordinator.get("/rounds/r1/deliveries")).json()["deliveries"]
        sent = [d for d in deliveries if d["state"] == "sent"]
        skipped = [(d["assignment_id"], d["reason"]) for d in deliveries if d["state"] == "skipped"]
        assert len(sent) == 9 and skipped == [(ids["b@umc.example"], "opted out of reminders")]

    async with invitation.client(["specialist"], subject="spec-1") as specialist:
        own = (await specialist.get("/rounds/r1/progress")).json()
        assert "people" not in own and {g["group"]: g["completed"] for g in own["groups"]}["staff"] == 1
    async with invitation.client(["specialist"], subject="spec-2") as other:
        assert (await other.get("/rounds/r1/progress")).status_code == 404

    # The round is extended: every open link is announced again with the new expiry.
    new_close = closes_at + timedelta(days=7)
    await invitation.publish(
        survey.RoundExtended(round_id="r1", closes_at=stamp(new_close), previous_closes_at=stamp(closes_at))
    )

    async def reannounced() -> bool:
        doc = await invitation.doc("assignments", ids["c@umc.example"])
        return bool(
            doc and doc["expires_at"] == new_close.replace(microsecond=new_close.microsecond // 1000 * 1000)
        )

    await eventually(reannounced, what="the new expiry")
    events = await issued_events(invitation.stack, "r1", expected=6, namespace=invitation.topic(""))
    assert events[ids["d@umc.example"]][0] == "spiegel.invitation.v1.AssignmentWithdrawn"
    c_type, c_event = events[ids["c@umc.example"]]
    assert c_type == "spiegel.invitation.v1.AssignmentIssued"
    assert abs(c_event.expires_at.ToDatetime(tzinfo=UTC) - new_close) < timedelta(seconds=1)
    assert c_event.token_hash == hash_link_token(tokens["c@umc.example"])


async def test_rater_fatigue_is_flagged_before_invitations_go_out(invitation):  # type: ignore[no-untyped-def]
    invitation.start(consumer=False, relay=False)
    async with invitation.client() as coordinator:
        for n in range(9):
            await coordinator.put(
                f"/rounds/f{n}",
                json={"title": f"IFMS {n}", "subject_id": f"s{n}", "subject_name": f"Dr. {n}"},
            )
            added = await coordinator.post(
                f"/rounds/f{n}/nominations",
                json={
                    "group": "staff",
                    "name": "Vaak Gevraagd",
                    "email": "busy@umc.example",
                    "accept_warnings": True,
                },
            )
            assert added.status_code == 201, added.text
        fatigue = (await coordinator.get("/rounds/f8/fatigue")).json()
        assert fatigue["limit"] == 8
        assert [(f["email"], f["open_requests"]) for f in fatigue["flagged"]] == [("busy@umc.example", 9)]
        assert (await coordinator.get("/rounds/f7/fatigue")).json()["flagged"]  # 9 in every round now
        await coordinator.put("/settings", json={"fatigue_limit": 12})
        assert (await coordinator.get("/rounds/f8/fatigue")).json()["flagged"] == []
        await coordinator.put("/settings", json={"fatigue_limit": 8})
        await coordinator.put(
            "/rounds/f9", json={"title": "IFMS 9", "subject_id": "s9", "subject_name": "Dr. 9"}
        )
        csv = (
            b"Respondentgroep;Naam;E-mailadres\n"
            b"staff;Vaak Gevraagd;busy@umc.example\nstaff;Zelden;rare@umc.example\n"
        )
        preview = (await coordinator.post("/rounds/f9/imports", files={"file": ("l.csv", csv)})).json()
        kinds = {r["email"]: [p["kind"] for p in r["problems"]] for r in preview["rows"]}
        assert kinds == {"busy@umc.example": ["rater_fatigue"], "rare@umc.example": []}


async def test_reminders_by_hand_keep_the_maximum_and_the_interval_however_often_asked(invitation):  # type: ignore[no-untyped-def]
    """Walk finding: "Herinnering sturen" pressed twice sent ten reminder mails within seconds,
    while the settings say at most three per person."""
    invitation.start()
    catcher = invitation.catcher
    async with invitation.client() as coordinator:
        await coordinator.put(
            "/rounds/r9", json={"title": "IFMS", "subject_id": "spec-9", "subject_name": "Dr. N"}
        )
        for email in ("p@umc.example", "q@umc.example"):
            added = await coordinator.post(
                "/rounds/r9/nominations", json={"group": "staff", "name": f"Naam {email[0]}", "email": email}
            )
            assert added.status_code == 201, added.text
    await invitation.open_round(
        "r9",
        subject_id="spec-9",
        subject_name="Dr. N",
        title="IFMS",
        opens_at=datetime.now(UTC) - timedelta(hours=1),
        closes_at=datetime.now(UTC) + timedelta(days=20),
    )
    catcher.wait_for(2)  # the invitations (the subject has no address here)

    async def reminded() -> list[str]:
        return sorted(
            r
            for m in catcher.messages()
            if m.summary()["subject"].startswith("Herinnering")
            for r in m.recipients
        )

    async with invitation.client() as coordinator:
        # Pressed five times, some at once: each person is reminded once (24 hours apart at least).
        presses = [coordinator.post("/rounds/r9/reminders", json={"group": "staff"}) for _ in range(3)]
        answers = await asyncio.gather(*presses)
        answers += [await coordinator.post("/rounds/r9/reminders", json={"group": "staff"}) for _ in range(2)]
        assert all(a.status_code == 202 for a in answers), [a.text for a in answers]
        assert sum(a.json()["queued"] for a in answers) == 2, [a.json() for a in answers]
        assert sum(a.json()["skipped"]["too_soon"] for a in answers) == 8, [a.json() for a in answers]
    catcher.wait_for(4)
    await asyncio.sleep(2)  # more mails would arrive now
    assert await reminded() == ["p@umc.example", "q@umc.example"]

    # Without the interval the maximum still holds: at most 3 reminders per person in all.
    async with invitation.client() as coordinator:
        policy = await coordinator.put(
            "/rounds/r9/reminder-policy",
            json={"max_reminders": 3, "interval_days": 7, "quiet_days": 1, "min_interval_hours": 0},
        )
        assert policy.status_code == 200, policy.text
        answers = [await coordinator.post("/rounds/r9/reminders", json={"group": "staff"}) for _ in range(5)]
        assert sum(a.json()["queued"] for a in answers) == 4, [a.json() for a in answers]
        assert answers[-1].json()["skipped"]["max_reached"] == 2
    catcher.wait_for(8)
    await asyncio.sleep(2)
    assert await reminded() == ["p@umc.example"] * 3 + ["q@umc.example"] * 3


async def test_sending_one_invitation_again_keeps_the_interval_and_the_maximum(invitation):  # type: ignore[no-untyped-def]
    """Issue 18, bad input: the button for one person ("Opnieuw versturen") sent a mail at every
    press; it is a reminder by hand, so the policy's minimum interval and maximum hold for it too."""
    invitation.start()
    catcher = invitation.catcher
    async with invitation.client() as coordinator:
        await coordinator.put(
            "/rounds/r10", json={"title": "IFMS", "subject_id": "spec-10", "subject_name": "Dr. O"}
        )
        added = await coordinator.post(
            "/rounds/r10/nominations", json={"group": "staff", "name": "Naam R", "email": "r@umc.example"}
        )
        assert added.status_code == 201, added.text
    await invitation.open_round(
        "r10",
        subject_id="spec-10",
        subject_name="Dr. O",
        title="IFMS",
        opens_at=datetime.now(UTC) - timedelta(hours=1),
        closes_at=datetime.now(UTC) + timedelta(days=20),
    )
    catcher.wait_for(1)
    async with invitation.client() as coordinator:
        for _ in range(50):
            people = (await coordinator.get("/rounds/r10/progress")).json()["people"]
            if people and people[0]["invitation"] == "sent":
                break
            await asyncio.sleep(0.1)
        assignment_id = people[0]["assignment_id"]
        path = f"/rounds/r10/invitations/{assignment_id}/resend"
        answers = await asyncio.gather(*[coordinator.post(path) for _ in range(3)])
        answers += [await coordinator.post(path, headers={"accept-language": "en"}) for _ in range(2)]
        assert sorted(a.status_code for a in answers) == [202, 409, 409, 409, 409], [a.text for a in answers]
        refused = [a.json() for a in answers if a.status_code == 409]
        assert {r["code"] for r in refused} == {"reminder_too_soon"}
        assert "24 uur" in refused[0]["message"] and "24 hours" in refused[-1]["message"], refused
        # Without the interval, the maximum: 3 reminders by hand or resends per person in all.
        policy = await coordinator.put(
            "/rounds/r10/reminder-policy",
            json={"max_reminders": 3, "interval_days": 7, "quiet_days": 1, "min_interval_hours": 0},
        )
        assert policy.status_code == 200, policy.text
        more = [await coordinator.post(path) for _ in range(4)]
        assert [a.status_code for a in more] == [202, 202, 409, 409], [a.text for a in more]
        assert more[-1].json()["code"] == "reminder_max_reached"
    catcher.wait_for(4)
    await asyncio.sleep(2)  # more mails would arrive now
    assert len([m for m in catcher.messages() if "r@umc.example" in m.recipients]) == 4
