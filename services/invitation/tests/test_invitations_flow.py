"""From nominations to real e-mails: the link in each mail opens the right questionnaire."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from invitation_support import issued_events, link_token
from spiegel_dev.waiting import eventually
from spiegel_platform.links import hash_link_token

pytestmark = pytest.mark.integration

NOMINEES = [
    ("colleagues", "Dr. B. Bakker", "b.bakker@umc.example", "nl"),
    ("colleagues", "Dr. C. Claes", "c.claes@umc.example", "en"),
    ("staff", "Fatima el Amrani", "f.elamrani@umc.example", "nl"),
]


async def test_opening_a_round_mails_every_nominee_and_the_subject_a_working_link(invitation):  # type: ignore[no-untyped-def]
    invitation.start()
    closes_at = datetime(2031, 3, 14, 16, 0, tzinfo=UTC)  # 17:00 in Amsterdam
    async with invitation.client() as coordinator:
        person = await coordinator.put(
            "/people/spec-1",
            json={"display_name": "Dr. A. de Vries", "email": "a.devries@umc.example", "language": "nl"},
        )
        assert person.status_code == 200, person.text
        setup = await coordinator.put(
            "/rounds/r1",
            json={
                "title": "IFMS 2031",
                "subject_id": "spec-1",
                "subject_name": "Dr. A. de Vries",
                "closes_at": closes_at.isoformat(),
            },
        )
        assert setup.status_code == 200, setup.text
        ids = {}
        for group, name, email, lang in NOMINEES:
            added = await coordinator.post(
                "/rounds/r1/nominations",
                json={"group": group, "name": name, "email": email, "language": lang},
            )
            assert added.status_code == 201, added.text
            ids[email] = added.json()["assignment_id"]
        assert added.json()["group_warnings"], "groups with fewer than 6 nominees are warned about"

    await invitation.open_round("r1", title="IFMS 2031", closes_at=closes_at)
    messages = invitation.catcher.wait_for(4, timeout=60)
    events = await issued_events(invitation.stack, "r1", expected=4, namespace=invitation.topic(""))
    assert len(messages) == 4 and len(events) == 4

    by_recipient = {m.recipients[0]: m for m in messages}
    for group, name, email, lang in NOMINEES:
        message = by_recipient[email]
        details = message.details()
        token = link_token(message)
        event_type, issued = events[ids[email]]
        assert event_type == "spiegel.invitation.v1.AssignmentIssued"
        assert issued.token_hash == hash_link_token(token)  # the survey service opens it by this hash
        assert issued.respondent_group == group and issued.language == lang
        assert issued.expires_at.ToDatetime(tzinfo=UTC) == closes_at
        assert f"http://127.0.0.1:8100/t/umc-test/e/{token}" in details["text"]
        assert f"/e/{token}/afmelden" in details["text"]
        assert name in details["to"]
        assert len(token) >= 22  # >= 128 random bits, URL-safe
        if lang == "nl":
            assert details["subject"].startswith("Verzoek om feedback: Dr. A. de Vries")
            assert "vrijdag 14 maart 2031 om 17:00 uur" in details["text"]
            assert "anoniem" in details["text"] and "10 tot 15 minuten" in details["text"]
        else:
            assert details["subject"].startswith("Request for feedback")
            assert "Friday 14 March 2031 at 17:00 (Amsterdam time)" in details["text"]
            assert "anonymous" in details["text"]
        assert details["html"].count(f"/e/{token}") >= 2
        assert "List-Unsubscribe" in dict(details["headers"])

    own = by_recipient["a.devries@umc.example"]
    assert own.details()["subject"] == "Uw zelfevaluatie: IFMS 2031"
    self_events = [p for t, p in events.values() if p.respondent_group == "self"]
    assert len(self_events) == 1 and self_events[0].token_hash == hash_link_token(link_token(own))

    # Raw tokens never reach the database: only hashes and sealed copies.
    doc = await invitation.doc("assignments", ids["b.bakker@umc.example"])
    assert link_token(by_recipient["b.bakker@umc.example"]) not in str(doc)

    async with invitation.client() as coordinator:
        progress = (await coordinator.get("/rounds/r1/progress")).json()
    colleagues = next(g for g in progress["groups"] if g["group"] == "colleagues")
    assert colleagues["nominated"] == 2 and colleagues["invited"] == 2
    async with invitation.client(["specialist"], subject="spec-1") as specialist:
        own_view = (await specialist.get("/rounds/r1/progress")).json()
    assert "people" not in own_view
    assert all(
        set(g) <= {"group", "label_nl", "label_en", "is_self", "nominated", "completed"}
        for g in own_view["groups"]
    )


async def test_a_nominee_added_to_an_open_round_is_invited_at_once(invitation):  # type: ignore[no-untyped-def]
    invitation.start()
    await invitation.open_round("r2", closes_at=datetime.now(UTC) + timedelta(days=10))
    async with invitation.client() as coordinator:
        await eventually(lambda: invitation.doc("rounds", "r2"), what="the round")
        added = await coordinator.post(
            "/rounds/r2/nominations",
            json={"group": "staff", "name": "Petra Jansen", "email": "p.jansen@umc.example"},
        )
        assert added.status_code == 201, added.text
    messages = invitation.catcher.wait_for(1, timeout=30)
    assert [m.recipients for m in messages] == [["p.jansen@umc.example"]]


async def test_one_address_nominated_at_once_many_times_is_saved_once(invitation):  # type: ignore[no-untyped-def]
    invitation.start(consumer=False, relay=False)
    nominee = {"group": "staff", "name": "Petra Jansen", "email": "p.jansen@umc.example"}
    async with invitation.client() as coordinator:
        await coordinator.put(
            "/rounds/r1", json={"title": "IFMS", "subject_id": "s", "subject_name": "Dr. S"}
        )

        async def nominate_six_at_once() -> str:
            answers = await asyncio.gather(
                *(
                    coordinator.post("/rounds/r1/nominations", json={**nominee, "email": email})
                    for email in ["p.jansen@umc.example"] * 3 + [" P.Jansen@UMC.example"] * 3
                )
            )
            assert sorted(a.status_code for a in answers) == [201] + [422] * 5, [a.text for a in answers]
            for answer in answers:
                if answer.status_code == 422:  # as when sent one after another
                    assert [p["kind"] for p in answer.json()["problems"]] == ["already_nominated"]
                    assert "al genomineerd in deze ronde (groep Medewerkers)" in answer.json()["message"]
            return next(a.json()["assignment_id"] for a in answers if a.status_code == 201)

        first = await nominate_six_at_once()
        listed = (await coordinator.get("/rounds/r1/nominations")).json()["nominations"]
        assert [n["assignment_id"] for n in listed] == [first]
        # Withdrawn, the same person may be nominated again: once.
        assert (await coordinator.delete(f"/rounds/r1/nominations/{first}")).status_code == 200
        second = await nominate_six_at_once()
        listed = (await coordinator.get("/rounds/r1/nominations")).json()["nominations"]
        assert {(n["assignment_id"], n["status"]) for n in listed} == {
            (first, "withdrawn"),
            (second, "active"),
        }
        roster = await invitation.doc("rosters", "r1")
        assert roster is not None and len(roster["entries"]) == 2
