"""The checks' and the board's routes over HTTP (the api process on the real servers): a member
reads and answers the check; anyone else (coordinator, board, a colleague outside the group,
another hospital) gets 404; bad input is refused by field in the caller's language; a second
answer and an answer after closing are 409 with their reason; the hospital's settings; the board
sees the plans' actions, status and last check only when the hospital has switched it on, and
never a remark, report or POP."""

from __future__ import annotations

import subprocess
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta

import pytest
from action_plan_testkit import Deployment
from check_testkit import group_doc, plan_doc
from spiegel_action_plan.checks.service import Checks
from spiegel_action_plan.storage import Store
from spiegel_dev.pytest_plugin import Processes

pytestmark = pytest.mark.integration
SECRET = "GEHEIM-opmerking"


def pdf_text(content: bytes) -> str:
    """The PDF's text (poppler's pdftotext, as the POP's test reads it)."""
    done = subprocess.run(["pdftotext", "-", "-"], input=content, capture_output=True, check=True)
    return done.stdout.decode()


@pytest.fixture(scope="module")
async def deployment(stack, jwks_json, token_issuer, tmp_path_factory) -> AsyncIterator[Deployment]:  # type: ignore[no-untyped-def]
    processes = Processes(stack, jwks_json, tmp_path_factory.mktemp("action-plan-check-logs"))
    running = Deployment(processes, stack, token_issuer)
    try:
        running.api = processes.start("action-plan", "api", running.prefix, **running.env())
        yield running
    finally:
        processes.stop_all()
        await running.close()


async def _plan(deployment: Deployment, tenant: str, members: list[str]) -> tuple[str, str]:
    stores = Store.on(deployment.db)
    store = stores.tenant(tenant)
    await store.groups.insert(group_doc("g1", members, members[0]))
    plan = plan_doc(tenant, "g1", datetime.now(UTC) - timedelta(minutes=5))
    await store.group_plans.insert(plan)
    await Checks(stores).run_until_done()
    check = await store.plan_checks.find_one({"plan_id": plan["plan_id"]})
    assert check is not None
    return str(plan["plan_id"]), str(check["check_id"])


ANSWER = {
    "progress": [
        {"action_id": "a1", "progress": "done", "remark": SECRET},
        {"action_id": "a2", "progress": "stopped", "remark": ""},
    ],
    "still_on_agenda": False,
}


async def test_check_routes_and_the_board(deployment: Deployment) -> None:
    tenant = f"t{uuid.uuid4().hex[:8]}"
    plan_id, check_id = await _plan(deployment, tenant, ["m1", "m2"])
    base = f"/group-plans/{plan_id}/checks"

    async with deployment.client(tenant, "m2", "specialist") as member:
        listed = await member.get(base)
        assert listed.status_code == 200 and [c["check_id"] for c in listed.json()] == [check_id]
        read = await member.get(f"{base}/{check_id}")
        assert read.status_code == 200
        assert [a["action_id"] for a in read.json()["plan"]["actions"]] == ["a1", "a2"]
    for subject, roles, where in (
        ("c1", ("coordinator", "tenant_admin"), tenant),
        ("b1", ("board",), tenant),
        ("x1", ("specialist",), tenant),
        ("m1", ("specialist",), "another-hospital"),
    ):
        async with deployment.client(where, subject, *roles) as other:
            for answer in (
                await other.get(base),
                await other.get(f"{base}/{check_id}"),
                await other.post(f"{base}/{check_id}/answer", json=ANSWER),
            ):
                assert answer.status_code == 404, (subject, roles, where, answer.text)
                assert answer.json()["code"] == "plan_check_not_found"

    async with deployment.client(tenant, "m1", "specialist", lang="en") as member:
        # Bad input: by field, in English; nothing saved.
        for body, field in (
            ({**ANSWER, "progress": ANSWER["progress"][:1]}, "progress"),
            (
                {**ANSWER, "progress": [{**ANSWER["progress"][0], "remark": "x\x07"}, ANSWER["progress"][1]]},
                None,
            ),
            ({**ANSWER, "progress": [{**ANSWER["progress"][0], "remark": "x" * 1_000_000}]}, None),
            (
                {
                    **ANSWER,
                    "new_actions": [
                        {
                            "description": "Nieuw",
                            "owner_person_id": "stranger",
                            "due": date.today().isoformat(),
                        }
                    ],
                },
                "new_actions[0].owner_person_id",
            ),
            (
                {
                    **ANSWER,
                    "new_actions": [{"description": "Nieuw", "owner_person_id": "m2", "due": "3000-01-01"}],
                },
                "new_actions[0].due",
            ),
        ):
            refused = await member.post(f"{base}/{check_id}/answer", json=body)
            assert refused.status_code == 422, refused.text
            if field:
                assert refused.json()["field"] == field, refused.text
        assert (
            "must be a member"
            in (
                await member.post(
                    f"{base}/{check_id}/answer",
                    json={
                        **ANSWER,
                        "new_actions": [
                            {"description": "N", "owner_person_id": "zz", "due": date.today().isoformat()}
                        ],
                    },
                )
            ).json()["message"]
        )
        done = await member.post(f"{base}/{check_id}/answer", json=ANSWER)
        assert done.status_code == 200, done.text
        assert (
            done.json()["state"] == "completed" and done.json()["answer"]["progress"][0]["remark"] == SECRET
        )
        again = await member.post(f"{base}/{check_id}/answer", json=ANSWER)
        assert again.status_code == 409 and again.json()["code"] == "plan_check_answered"
        assert "answered already" in again.json()["message"]

    # The board: nothing while the hospital has not switched it on.
    async with deployment.client(tenant, "b1", "board") as board:
        off = await board.get("/board/group-plans")
        assert off.status_code == 404 and off.json()["code"] == "board_progress_off"
    async with deployment.client(tenant, "c1", "coordinator") as coordinator:
        assert (await coordinator.get("/board/group-plans")).status_code == 403
        settings = await coordinator.put(
            "/group-plan-settings",
            json={
                "group_plan_check_interval_months": 12,
                "group_plan_check_recipients": "members",
                "board_progress": True,
                "board_overview_month": 3,
            },
        )
        assert settings.status_code == 200, settings.text
        assert settings.json()["group_plan_check_recipients"] == "members"
        read = (await coordinator.get("/group-plan-settings")).json()
        assert read["board_progress"] is True and read["board_overview_month"] == 3
        bad = await coordinator.put("/group-plan-settings", json={"group_plan_check_recipients": "everyone"})
        assert bad.status_code == 422
        for month in (0, 13, "maart"):
            bad = await coordinator.put("/group-plan-settings", json={"board_overview_month": month})
            assert bad.status_code == 422 and "board_overview_month" in bad.text
    async with deployment.client(tenant, "b1", "board") as board:
        shown = await board.get("/board/group-plans")
        assert shown.status_code == 200, shown.text
        plans = shown.json()["plans"]
        assert [p["plan_id"] for p in plans] == [plan_id]
        assert [a["status"] for a in plans[0]["actions"]] == ["done", "stopped"]
        last = plans[0]["last_check"]
        assert last["still_on_agenda"] is False and last["progress"] == {
            "done": 1,
            "on_track": 0,
            "delayed": 0,
            "stopped": 1,
        }
        assert SECRET not in shown.text
        as_pdf = await board.get("/board/group-plans.pdf")
        assert as_pdf.status_code == 200 and as_pdf.headers["content-type"] == "application/pdf"
        text = pdf_text(as_pdf.content)
        assert "Feedback als vast agendapunt" in text and SECRET not in text
        assert "1 gedaan" in text and "1 gestopt" in text
    async with deployment.client("another-hospital", "b1", "board") as other_board:
        assert (await other_board.get("/board/group-plans")).status_code == 404

    # Closed: an open check is no longer answered.
    _, open_check = await _plan(deployment, tenant2 := f"t{uuid.uuid4().hex[:8]}", ["m1"])
    store = Store.on(deployment.db).tenant(tenant2)
    plan = await store.plan_checks.get(open_check)
    assert plan is not None
    await store.group_plans.update(plan["plan_id"], {"$set": {"status": "closed", "next_check_at": None}})
    async with deployment.client(tenant2, "m1", "specialist") as member:
        closed = await member.post(
            f"/group-plans/{plan['plan_id']}/checks/{open_check}/answer", json={**ANSWER, "progress": []}
        )
        assert closed.status_code == 409 and closed.json()["code"] == "plan_check_plan_closed", closed.text
