"""The check of a group's action plan over HTTP through the gateway (no browser): the group's
plan and members as the gplan helper's contract shapes them, the check made by the scheduler's
pass (its clock injected), a member answers it on the page (a refusal keeps what was typed), the
answer shows, a second answer is refused with the reason; the board sees the progress only once
the hospital's setting is on; a non-member and another hospital get "not found"."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from pymongo import AsyncMongoClient
from test_web_groups import is_page, signed_in
from web_browser import run_async
from web_helpers import WebDeployment, make_hospital

pytestmark = pytest.mark.integration


async def _plan_and_check(
    env: dict[str, str], prefix: str, tenant: str, members: list[str]
) -> tuple[str, str]:
    from spiegel_action_plan.checks.service import Checks
    from spiegel_action_plan.storage import Store

    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(env["MONGODB_URL"], tz_aware=True)
    try:
        stores = Store.on(client[f"{prefix}_action_plan"])
        store = stores.tenant(tenant)
        plan_id = str(uuid.uuid4())
        await store.groups.insert(
            {
                "id": "g1",
                "group_id": "g1",
                "name": "Vakgroep Cardiologie",
                "member_person_ids": members,
                "contact_person_id": members[0],
                "revision": 1,
            }
        )
        await store.group_plans.insert(
            {
                "id": plan_id,
                "plan_id": plan_id,
                "group_id": "g1",
                "round_id": "",
                "status": "adopted",
                "adopted_at": datetime.now(UTC) - timedelta(days=184),
                "next_check_at": datetime.now(UTC) - timedelta(hours=1),
                "version": 1,
                "actions": [
                    {
                        "action_id": "a1",
                        "description": "Feedback als vast agendapunt",
                        "owner_person_id": members[0],
                        "due": "2026-06-01",
                        "measure": "elke maand",
                        "embedding": {"kind": "standing_agenda_item", "text": "agenda"},
                        "status": "open",
                    }
                ],
            }
        )
        await Checks(stores).run_until_done(datetime.now(UTC))
        check = await store.plan_checks.find_one({"plan_id": plan_id})
        assert check is not None
        return plan_id, str(check["check_id"])
    finally:
        await client.close()


async def _board_on(env: dict[str, str], prefix: str, tenant: str) -> None:
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(env["MONGODB_URL"], tz_aware=True)
    try:
        await client[f"{prefix}_action_plan"]["hospitals"].update_one(
            {"_id": f"{tenant}:settings"},
            {"$set": {"board_progress": True, "tenant_id": tenant, "id": "settings"}},
            upsert=True,
        )
    finally:
        await client.close()


def test_a_member_answers_the_check_once(web: WebDeployment) -> None:
    slug = f"chk-{uuid.uuid4().hex[:6]}"
    ids = run_async(
        make_hospital(
            web.env,
            slug,
            [
                (f"anna@{slug}.nl", "Dr. Anna", "specialist"),
                (f"bert@{slug}.nl", "Dr. Bert", "specialist"),
                (f"carla@{slug}.nl", "Carla Coördinator", "coordinator"),
                (f"bram@{slug}.nl", "Bram Bestuur", "board"),
            ],
        )
    )
    anna_id, bert_id = ids[f"anna@{slug}.nl"], ids[f"bert@{slug}.nl"]
    plan_id, check_id = run_async(_plan_and_check(web.env, web.prefix, slug, [anna_id, bert_id]))
    path = f"/groepsplannen/{plan_id}/controles/{check_id}"

    bert, csrf = signed_in(web, slug, f"bert@{slug}.nl")
    is_page(bert.get(f"/groepsplannen/{plan_id}/controles"), 200, "Nog niet ingevuld")
    is_page(bert.get(path), 200, "Vakgroep Cardiologie", "Feedback als vast agendapunt", "Op schema")
    typed = {
        "csrf_token": csrf,
        "progress-a1": "delayed",
        "remark-a1": "Nog niet <b>gestart</b>",
        "still_on_agenda": "yes",
        "new-0-description": "Intervisie elk kwartaal",
        "new-0-owner": anna_id,
        "new-0-due": (date.today() - timedelta(days=2)).isoformat(),
    }
    # A date in the past: the form again with everything typed, and the reason.
    refused = bert.post(path, data=typed)
    html = is_page(
        refused, 422, "Intervisie elk kwartaal", "Nog niet &lt;b&gt;gestart&lt;/b&gt;", "vanaf vandaag"
    )
    assert 'value="delayed" checked' in html
    typed["new-0-due"] = (date.today() + timedelta(days=60)).isoformat()
    done = bert.post(path, data=typed)
    assert done.status_code == 303, done.text[:500]
    shown = done.headers["location"].split(f"/t/{slug}", 1)[1]
    html = is_page(bert.get(shown), 200, "de controle is opgeslagen", "Vertraagd", "Intervisie elk kwartaal")
    assert "<b>gestart</b>" not in html
    again = bert.post(path, data=typed)
    is_page(again, 409, "al beantwoord")

    # The board: nothing while the hospital's setting is off; then the plan's actions and last check,
    # never a remark.
    bram, _ = signed_in(web, slug, f"bram@{slug}.nl")
    is_page(bram.get("/start"), 200, "/bestuur/groepsplannen")
    is_page(bram.get("/bestuur/groepsplannen"), 200, "niet onderdeel gemaakt van het kwaliteitsbeleid")
    run_async(_board_on(web.env, web.prefix, slug))
    html = is_page(
        bram.get("/bestuur/groepsplannen"), 200, "Vakgroep Cardiologie", "Vertraagd", "1 vertraagd"
    )
    assert "gestart" not in html and "Intervisie elk kwartaal" in html
    assert bram.get(path).status_code == 404

    # Not a member (the coordinator included) or another hospital: not found.
    carla, _ = signed_in(web, slug, f"carla@{slug}.nl")
    assert carla.get(path).status_code == 404
    other = f"chk-{uuid.uuid4().hex[:6]}"
    run_async(make_hospital(web.env, other, [(f"anna@{other}.nl", "Dr. Anna", "specialist")]))
    stranger, _ = signed_in(web, other, f"anna@{other}.nl")
    assert stranger.get(path).status_code == 404
