"""Events through the real broker into the real processes: reports, access, redelivery, versions."""

from __future__ import annotations

import io
import random
import uuid
from typing import Any

import httpx
import pypdf
import pytest
from aggregation_testkit import lag, report_body, send
from pymongo import AsyncMongoClient
from spiegel.survey.v1 import events_pb2 as survey
from spiegel_aggregation.instruments.store import save_instrument
from spiegel_aggregation.responses.model import Response
from spiegel_aggregation.storage import Store
from spiegel_demo.instruments import group_monitor_instrument, ifms_instrument
from spiegel_demo.simulation import GM_GROUPS, SimRound, random_responses, tenant_configured
from spiegel_dev.waiting import eventually
from spiegel_platform.events.contracts import topics_of

pytestmark = pytest.mark.integration

TENANT = "ziekenhuis-e2e"
SECRET = "GEHEIM: dit komt uit een verborgen groep"


def _rounds(rng: random.Random) -> list[SimRound]:
    ifms, gm = ifms_instrument(), group_monitor_instrument()
    a = SimRound(TENANT, f"ronde-a-{uuid.uuid4().hex[:6]}", ifms, subject_id="spec-a", subject_name="Dr. A")
    a.responses = random_responses(rng, ifms, {"self": 1, "colleagues": 6, "staff": 3, "flex": 5})
    # The hidden group (staff: 3 < 4) wrote a comment that must never appear anywhere.
    staff = next(r for r in a.responses if r.group == "staff")
    a.responses[a.responses.index(staff)] = Response(
        staff.id, staff.group, staff.scores, staff.not_applicable, {"beter": SECRET + " <script>x</script>"}
    )
    a.responses.append(
        Response(
            str(uuid.uuid4()),
            "colleagues",
            {"communicatie-1": 4},
            frozenset(),
            {"goed": "<b>vet</b> & <script>alert(1)</script>"},
        )
    )
    a.invited = {"self": 1, "colleagues": 9, "staff": 7, "flex": 6}
    b = SimRound(TENANT, f"ronde-b-{uuid.uuid4().hex[:6]}", ifms, subject_id="spec-b", subject_name="Dr. B")
    b.responses = random_responses(rng, ifms, {"self": 1, "colleagues": 5, "staff": 4})
    c = SimRound(
        TENANT,
        f"ronde-c-{uuid.uuid4().hex[:6]}",
        gm,
        kind=survey.ROUND_KIND_GROUP_MONITOR,
        subject_id="vakgroep-kno",
        subject_name="Vakgroep KNO",
        member_ids=["spec-a", "spec-c"],
        groups=list(GM_GROUPS),
    )
    c.responses = random_responses(rng, gm, {"members": 5, "colleagues": 4, "staff": 6, "managers": 2})
    return [a, b, c]


async def test_reports_from_events_survive_redelivery_and_versions_are_safe(  # type: ignore[no-untyped-def]
    stack, processes, token_issuer, unique
):
    prefix = f"agg_{unique}"
    consumer = processes.start("aggregation", "consumer", prefix, REPORT_WAIT_SECONDS="30")
    processes.start("aggregation", "relay", prefix)
    api = processes.start("aggregation", "api", prefix)
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(stack.mongodb_url, tz_aware=True)
    db = client[f"{prefix}_aggregation"]
    try:
        rng = random.Random(7)
        rounds = _rounds(rng)
        for instrument in (ifms_instrument(), group_monitor_instrument()):
            await save_instrument(Store(db, TENANT), instrument, "fixture")
        events = [tenant_configured(TENANT)]
        for r in rounds:
            events += r.all_events()[:-1]
        await send(stack.kafka_bootstrap, events)

        async def invited_known() -> bool:
            docs = [await db["rounds"].find_one({"_id": f"{TENANT}:{r.round_id}"}) for r in rounds]
            return all(
                d and len(d.get("invited", {})) == len(r.invited) for d, r in zip(docs, rounds, strict=True)
            )

        await eventually(invited_known, 60, "invitations counted")
        closes = [r.closed() for r in rounds]
        await send(stack.kafka_bootstrap, closes)
        events += closes

        async def published() -> list[dict[str, Any]] | None:
            docs = [await db["reports"].find_one({"_id": f"{TENANT}:{r.round_id}.v1"}) for r in rounds]
            return docs if all(docs) else None

        first = await eventually(published, 60, "three first versions")
        a, _, c = (report_body(d) for d in first)
        assert {g["code"]: g["visible"] for g in a["groups"]} == {
            "self": True,
            "colleagues": True,
            "staff": False,
            "flex": True,
        }
        assert "staff" not in a["visible_groups"]
        assert next(g for g in a["groups"] if g["code"] == "staff")["completed"] is None
        assert next(g for g in a["groups"] if g["code"] == "staff")["invited"] == 7
        assert c["kind"] == "GROUP_MONITOR" and c["group_monitor"]["self_group"] == "members"
        assert "managers" not in c["visible_groups"]

        # -- the API: subject, member, stranger, coordinator ------------------------------------
        def headers(subject: str, *roles: str) -> dict[str, str]:
            token = token_issuer.issue(
                audience="aggregation", subject=subject, tenant_id=TENANT, roles=list(roles)
            )
            return {"Authorization": f"Bearer {token}"}

        rid_a = f"{rounds[0].round_id}.v1"
        async with httpx.AsyncClient(base_url=api.url, timeout=30) as http:
            own = await http.get(f"/reports/{rid_a}", headers=headers("spec-a", "specialist"))
            assert own.status_code == 200 and own.json()["report_id"] == rid_a
            stranger = await http.get(f"/reports/{rid_a}", headers=headers("spec-b", "specialist"))
            assert stranger.status_code == 404
            other_tenant = token_issuer.issue(
                audience="aggregation", subject="spec-a", tenant_id="elders", roles=["specialist"]
            )
            assert (
                await http.get(f"/reports/{rid_a}", headers={"Authorization": f"Bearer {other_tenant}"})
            ).status_code == 404
            member = await http.get(
                f"/reports/{rounds[2].round_id}.v1", headers=headers("spec-c", "specialist")
            )
            assert member.status_code == 200
            # Odd report ids and empty round ids are named, never a server error (found by fuzzing).
            for odd in ("x.v\u00b2", "x.v" + "9" * 5000):
                for suffix in ("", "/html", "/pdf"):
                    named = await http.get(f"/reports/{odd}{suffix}", headers=headers("coord", "coordinator"))
                    assert named.status_code == 422 and "report_id" in named.text, named.text[:200]
            # The discussion groups once made here are planned in the accreditation service now.
            gone = await http.post("/discussion-groups", json={}, headers=headers("coord", "coordinator"))
            assert gone.status_code in (404, 405), gone.text[:300]
            # Sharing norms with other hospitals is switched on by true, never by "yes" or 1.
            sharing = f"/tenants/{TENANT}/norm-sharing"
            for vague in ("yes", "true", 1):
                answer = await http.put(
                    sharing, json={"share": vague}, headers=headers("adm", "tenant_admin")
                )
                assert answer.status_code == 422 and "body.share" in answer.text, answer.text[:300]
            assert (await http.get(sharing, headers=headers("adm", "tenant_admin"))).json() == {
                "share": False
            }
            shared = await http.put(sharing, json={"share": True}, headers=headers("adm", "tenant_admin"))
            assert shared.status_code == 200 and shared.json() == {"share": True}, shared.text
            await http.put(sharing, json={"share": False}, headers=headers("adm", "tenant_admin"))
            page = await http.get(f"/reports/{rid_a}/html?lang=en", headers=headers("spec-a", "specialist"))
            assert page.status_code == 200 and "What goes well" in page.text
            assert SECRET not in page.text and "<script>alert(1)</script>" not in page.text
            assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
            # The fragment the web pages show: the same report and rules, without page or styles.
            part = await http.get(
                f"/reports/{rid_a}/fragment?lang=en", headers=headers("spec-a", "specialist")
            )
            assert part.status_code == 200 and "What goes well" in part.text
            assert "<style" not in part.text and "<html" not in part.text and SECRET not in part.text
            assert "&lt;script&gt;alert(1)&lt;/script&gt;" in part.text
            assert (
                await http.get(f"/reports/{rid_a}/fragment", headers=headers("spec-b", "specialist"))
            ).status_code == 404
            odd_part = await http.get("/reports/x.v\u00b2/fragment", headers=headers("coord", "coordinator"))
            assert odd_part.status_code == 422 and "report_id" in odd_part.text
            pdf = await http.get(f"/reports/{rid_a}/pdf", headers=headers("coord", "coordinator"))
            assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
            text = "".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf.content)).pages)
            assert "Wat gaat goed" in text and "Dr. A" in text and SECRET not in text
            assert "<script>alert(1)</script>" in text  # shown as text, not interpreted

            async def mine() -> list[dict[str, Any]] | None:
                listed = (await http.get("/reports/mine", headers=headers("spec-a", "specialist"))).json()
                return listed if len(listed) == 2 else None

            listed = await eventually(mine, 30, "spec-a's two reports in mijn rapportages")
            assert {r["round_id"] for r in listed} == {rounds[0].round_id, rounds[2].round_id}

            # -- redelivery: every event twice more; nothing changes ---------------------------------
            snapshot = {d["_id"]: (d["body"], d["cells"]) for d in await db["reports"].find({}).to_list()}
            responses_before = await db["responses"].find({}, {"_applied": 0}).to_list()
            await send(stack.kafka_bootstrap, events + events)
            topics = topics_of(
                "spiegel.survey.v1.ResponseRecorded",
                "spiegel.survey.v1.RoundOpened",
                "spiegel.invitation.v1.AssignmentIssued",
                "spiegel.gateway.v1.TenantConfigured",
            )

            async def drained() -> bool:
                return await lag(stack.kafka_bootstrap, "aggregation.projections", topics) == 0

            await eventually(drained, 90, "the redelivered events consumed")
            after = {d["_id"]: (d["body"], d["cells"]) for d in await db["reports"].find({}).to_list()}
            assert after == snapshot
            assert await db["responses"].find({}, {"_applied": 0}).to_list() == responses_before

            # -- a late correction: one late response may not be revealed by a new version --------------
            late = Response(
                str(uuid.uuid4()), "colleagues", {i.id: 1 for i in ifms_instrument().scored_items}
            )
            await send(stack.kafka_bootstrap, [rounds[0].response_event(late)])
            coordinator = headers("coord", "coordinator")

            async def late_seen() -> bool:
                doc = await db["responses"].find_one({"_id": f"{TENANT}:{rounds[0].round_id}"})
                return bool(doc and len(doc["r"]) == len(rounds[0].responses) + 1)

            await eventually(late_seen, 30, "the late response stored")
            status = (await http.get(f"/rounds/{rounds[0].round_id}/status", headers=coordinator)).json()
            assert status["new_version_would_change"] is False
            refused = await http.post(
                f"/rounds/{rounds[0].round_id}/reports", json={"reason": "late response"}, headers=coordinator
            )
            assert refused.status_code == 409, refused.text
            forbidden = await http.post(
                f"/rounds/{rounds[0].round_id}/reports",
                json={"reason": "x" * 5},
                headers=headers("spec-a", "specialist"),
            )
            assert forbidden.status_code == 403

            more = [
                Response(str(uuid.uuid4()), "colleagues", {i.id: 2 for i in ifms_instrument().scored_items})
                for _ in range(3)
            ]
            await send(stack.kafka_bootstrap, [rounds[0].response_event(r) for r in more])

            async def all_late_seen() -> bool:
                doc = await db["responses"].find_one({"_id": f"{TENANT}:{rounds[0].round_id}"})
                return bool(doc and len(doc["r"]) == len(rounds[0].responses) + 4)

            await eventually(all_late_seen, 30, "four late responses stored")
            made = await http.post(
                f"/rounds/{rounds[0].round_id}/reports",
                json={"reason": "Late correctie: vier evaluaties kwamen na sluiting binnen"},
                headers=coordinator,
            )
            assert made.status_code == 201, made.text
            v2 = made.json()
            assert v2["version"] == 2 and v2["reason"].startswith("Late correctie")
            colleagues = next(g for g in v2["groups"] if g["code"] == "colleagues")
            assert (
                colleagues["completed"]
                == next(g for g in a["groups"] if g["code"] == "colleagues")["completed"] + 4
            )
            assert (await db["reports"].find_one({"_id": f"{TENANT}:{rid_a}"}))["body"] == snapshot[
                f"{TENANT}:{rid_a}"
            ][0]
            listing = await http.get(
                f"/rounds/{rounds[0].round_id}/reports", headers=headers("spec-a", "specialist")
            )
            assert listing.status_code == 200, listing.text
            versions = listing.json()
            assert [v["version"] for v in versions] == [1, 2]
        assert consumer.running
    finally:
        await client.drop_database(db.name)
        await client.close()
