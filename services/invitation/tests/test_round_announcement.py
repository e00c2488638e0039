"""A new round becomes known here from the survey's RoundCreated (nobody PUTs it): nominations can be
added before it opens, a redelivered or late announcement changes nothing, and RoundOpened takes over."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from invitation_support import issued_events, stamp
from spiegel.survey.v1 import events_pb2 as survey
from spiegel_dev.waiting import eventually
from spiegel_platform.events import new_event

pytestmark = pytest.mark.integration

GROUPS = [
    survey.RespondentGroup(
        code="members", label_nl="Groepsleden (zelfbeeld)", label_en="Members", is_self=True
    ),
    survey.RespondentGroup(code="colleagues", label_nl="Collega-specialisten", label_en="Colleagues"),
    survey.RespondentGroup(code="patients", label_nl="Patiënten", label_en="Patients"),
]
MEMBERS = ["spec-1", "spec-2"]
SUBJECT = survey.Subject(subject_id="group-1", display_name="Vakgroep Longziekten", member_ids=MEMBERS)


def moment(value: Any) -> datetime:
    parsed = datetime.fromisoformat(str(value))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


async def test_a_created_round_takes_nominations_before_it_opens(invitation):  # type: ignore[no-untyped-def]
    invitation.start()
    planned = datetime(2031, 2, 3, 8, 0, tzinfo=UTC)
    closes_at = datetime(2031, 3, 14, 16, 0, tzinfo=UTC)
    created = new_event(
        survey.RoundCreated(
            round_id="gm1",
            kind=survey.ROUND_KIND_GROUP_MONITOR,
            subject=SUBJECT,
            instrument_id="groepsmonitor",
            instrument_version=1,
            opens_at=stamp(planned),
            closes_at=stamp(closes_at),
            respondent_groups=GROUPS,
            title="Groepsmonitor 2031",
        ),
        tenant_id=invitation.tenant,
        producer="survey",
    )
    await invitation.publish_event(created)
    await invitation.publish_event(created)  # redelivered: the same event id

    async with invitation.client() as coordinator:

        async def known() -> dict[str, Any] | None:
            found = await coordinator.get("/rounds/gm1")
            return dict(found.json()) if found.status_code == 200 else None

        view = await eventually(known, what="the announced round")
        assert view["status"] == "draft"
        assert (view["title"], view["kind"]) == ("Groepsmonitor 2031", "GROUP_MONITOR")
        assert (view["subject_id"], view["subject_name"]) == ("group-1", "Vakgroep Longziekten")
        assert view["member_ids"] == MEMBERS
        assert view["groups"] == [
            {"code": g.code, "label_nl": g.label_nl, "label_en": g.label_en, "is_self": g.is_self}
            for g in GROUPS
        ]
        assert moment(view["opens_at"]) == planned and moment(view["closes_at"]) == closes_at

        # Nominations are checked against the announced round: its groups, never the self group.
        added = await coordinator.post(
            "/rounds/gm1/nominations",
            json={"group": "patients", "name": "Piet Patiënt", "email": "piet@umc.example"},
        )
        assert added.status_code == 201, added.text
        refused = await coordinator.post(
            "/rounds/gm1/nominations",
            json={"group": "members", "name": "Iemand Anders", "email": "iemand@umc.example"},
        )
        assert refused.status_code == 422, refused.text

        # Describing it once more (the old way, a back-fill) cannot change what the survey said.
        put = await coordinator.put(
            "/rounds/gm1", json={"title": "Iets anders", "subject_id": "x", "subject_name": "X"}
        )
        assert put.status_code == 200, put.text
        assert put.json()["title"] == "Groepsmonitor 2031" and put.json()["member_ids"] == MEMBERS

    # A member of the group sees the round as their own before it opens.
    async with invitation.client(["specialist"], subject="spec-2") as member:
        assert (await member.get("/rounds/gm1")).status_code == 200

    # It opens: the nominee and both members' self-evaluations are issued.
    await invitation.publish(
        survey.RoundOpened(
            round_id="gm1",
            kind=survey.ROUND_KIND_GROUP_MONITOR,
            subject=SUBJECT,
            opens_at=stamp(datetime.now(UTC)),
            closes_at=stamp(closes_at),
            respondent_groups=GROUPS,
            title="Groepsmonitor 2031",
            min_group_size=4,
            instrument_id="groepsmonitor",
            instrument_version=1,
        )
    )
    issued = await issued_events(invitation.stack, "gm1", expected=3, namespace=invitation.topic(""))
    assert sorted(p.respondent_group for _, p in issued.values()) == ["members", "members", "patients"]

    # A late redelivery of the announcement does not make the open round a draft again. (The
    # extension after it has the same key, so it is handled after the redelivery.)
    await invitation.publish_event(created)
    later = closes_at + timedelta(days=7)
    await invitation.publish(
        survey.RoundExtended(round_id="gm1", closes_at=stamp(later), previous_closes_at=stamp(closes_at))
    )
    async with invitation.client() as coordinator:

        async def extended() -> dict[str, Any] | None:
            found = (await coordinator.get("/rounds/gm1")).json()
            return dict(found) if moment(found["closes_at"]) == later else None

        view = await eventually(extended, what="the extension after the late announcement")
        assert view["status"] == "open"
        assert moment(view["opens_at"]) != planned  # the real opening, not the planned one
