"""The accreditation service and this one together: a coordinator plans 11 specialists through the
accreditation API (a proposal of 6 + 5 on separate dates, saved), its relay publishes the session
events, and this service mails the invitations that are due, then a reschedule and a swap.
Real processes of both services on one Kafka topic namespace, FerretDB, the SMTP catcher."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import icalendar
import pytest
from invitation_support import stamp
from spiegel.survey.v1 import events_pb2 as survey
from spiegel_dev.mailcatcher import CaughtMessage
from spiegel_dev.waiting import eventually
from spiegel_platform.events import new_event

pytestmark = [pytest.mark.integration]


def at(days: float, hour: int = 13) -> datetime:
    day = datetime.now(UTC) + timedelta(days=days)
    return day.replace(hour=hour, minute=0, second=0, microsecond=0)


def calendar_event(message: CaughtMessage) -> tuple[str, Any]:
    part = next(p for p in message.message.walk() if p.get_content_type() == "application/ics")
    calendar = icalendar.Calendar.from_ical(part.get_payload(decode=True))
    return str(calendar["METHOD"]), calendar.walk("VEVENT")[0]


async def test_eleven_specialists_planned_as_six_and_five_are_invited_when_due(invitation) -> None:  # type: ignore[no-untyped-def]
    invitation.start(relay=False)
    env = {"KAFKA_TOPIC_PREFIX": invitation.env["KAFKA_TOPIC_PREFIX"]}
    for process in ("consumer", "relay", "api"):
        started = invitation.processes.start("accreditation", process, invitation.prefix, **env)
        if process == "api":
            accreditation_api = started
    specialists = [f"spec-{i:02d}" for i in range(12)]
    rounds = {p: f"round-{p}" for p in specialists}
    async with invitation.client() as coordinator:
        for person in [*specialists, "fac-1"]:
            language = "en" if person == "spec-01" else "nl"
            body = {"display_name": f"Dr. {person}", "email": f"{person}@umc.example", "language": language}
            assert (await coordinator.put(f"/people/{person}", json=body)).status_code == 200
    for person, round_id in rounds.items():
        for payload in (
            survey.RoundCreated(
                round_id=round_id,
                kind=survey.ROUND_KIND_IFMS,
                subject=survey.Subject(subject_id=person, display_name=person),
                title="IFMS",
                closes_at=stamp(datetime.now(UTC)),
            ),
            survey.RoundClosed(round_id=round_id, closed_at=stamp(datetime.now(UTC))),
        ):
            await invitation.publish_event(new_event(payload, tenant_id=invitation.tenant, producer="survey"))

    token = invitation.token_issuer.issue(
        audience="accreditation", subject="coord-1", tenant_id=invitation.tenant, roles=["coordinator"]
    )
    async with httpx.AsyncClient(
        base_url=accreditation_api.url, headers={"Authorization": f"Bearer {token}"}, timeout=60
    ) as planner:

        async def closed() -> bool:
            found = (await planner.get("/rounds/closed")).json()
            return len(found) == len(rounds)

        await eventually(closed, timeout=60, what="the closed rounds known to the accreditation service")
        chosen = specialists[:11]
        proposal = await planner.post(
            "/sessions/proposal",
            json={
                "participants": [{"person_id": p, "round_id": rounds[p]} for p in chosen],
                "mode": "separate_dates",
                "starts_at": at(3).isoformat(),
                "interval_days": 14,
                "facilitator_ids": ["fac-1"],
            },
        )
        assert proposal.status_code == 200, proposal.text
        drafts = [d["session"] for d in proposal.json()["sessions"]]
        assert [len(d["participants"]) for d in drafts] == [6, 5]
        saved = []
        for draft in drafts:
            draft["location"] = "Vergaderzaal 2"
            answer = await planner.post("/sessions", json=draft)
            assert answer.status_code == 201, answer.text
            saved.append(answer.json())
        first, second = saved

        # The first session is 3 days away: its 6 participants and the facilitator are invited at
        # once. The second is 17 days away: its invitations wait until a week before.
        mails = await asyncio.to_thread(invitation.catcher.wait_for, 7, 90)
        in_first = {p["person_id"] for p in first["participants"]}
        assert {m.recipients[0] for m in mails} == {f"{p}@umc.example" for p in in_first | {"fac-1"}}
        starts = datetime.fromisoformat(first["starts_at"])
        uids = {}
        for message in mails:
            method, event = calendar_event(message)
            assert (method, int(event["SEQUENCE"]), event["DTSTART"].dt) == ("REQUEST", 1, starts)
            assert str(event["DTSTART"].dt.tzinfo) == "Europe/Amsterdam"
            uids[message.recipients[0]] = str(event["UID"])

        # They wait in the session's document, out of the mail queue, until a week before.
        waiting = await invitation.doc("discussions", second["id"])
        assert waiting is not None
        second_start = datetime.fromisoformat(second["starts_at"])
        assert abs(waiting["next_at"] - (second_start - timedelta(days=7))) < timedelta(seconds=5)
        assert len(waiting["mails"]["1"]) == 6
        assert await invitation.count("mail_queue") == 0

        # Rescheduled through the accreditation API: an update to the 7, the same events.
        moved = await planner.put(
            f"/sessions/{first['id']}/schedule",
            json={"starts_at": at(4, 9).isoformat(), "ends_at": at(4, 12).isoformat()},
        )
        assert moved.status_code == 200, moved.text
        updates = (await asyncio.to_thread(invitation.catcher.wait_for, 14, 90))[7:]
        for message in updates:
            method, event = calendar_event(message)
            assert (method, int(event["SEQUENCE"]), event["DTSTART"].dt) == ("REQUEST", 2, at(4, 9))
            assert str(event["UID"]) == uids[message.recipients[0]]

        # A swap: the one leaving gets the cancellation of their event, the one joining an invitation.
        leaving = sorted(in_first)[0]
        swapped = await planner.post(
            f"/sessions/{first['id']}/swap",
            json={
                "out_person_id": leaving,
                "incoming": {"person_id": "spec-11", "round_id": rounds["spec-11"]},
            },
        )
        assert swapped.status_code == 200, swapped.text
        last = (await asyncio.to_thread(invitation.catcher.wait_for, 16, 90))[14:]
        by_person = {m.recipients[0]: calendar_event(m) for m in last}
        assert set(by_person) == {f"{leaving}@umc.example", "spec-11@umc.example"}
        method, event = by_person[f"{leaving}@umc.example"]
        assert (method, str(event["STATUS"]), int(event["SEQUENCE"])) == ("CANCEL", "CANCELLED", 3)
        assert str(event["UID"]) == uids[f"{leaving}@umc.example"]
        assert by_person["spec-11@umc.example"][0] == "REQUEST"
    await asyncio.sleep(2)
    assert invitation.catcher.store.total == 16
