"""POPs through the real processes: the survey's round events in (Kafka), the API (HTTP), the
events out (outbox, relay, Kafka), FerretDB underneath; what a database dump, the logs and the
events hold; erasure and key rotation."""

from __future__ import annotations

import subprocess
import uuid
from collections.abc import AsyncIterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import bson
import pytest
from action_plan_testkit import Deployment
from spiegel.action_plan.v1 import events_pb2
from spiegel_action_plan.pops import sealing
from spiegel_action_plan.pops.sealing import Keyring
from spiegel_dev.pytest_plugin import Processes

pytestmark = pytest.mark.integration

TENANT = "ziekenhuis-oost"
OTHER = "ziekenhuis-west"
MARK = f"GEHEIM{uuid.uuid4().hex[:8]}"
# Everyone but the owner, in the owner's hospital and in another one with the same person id.
INTRUDERS = [
    (TENANT, "bert", ("specialist",)),  # a colleague
    (TENANT, "coord", ("coordinator",)),
    (TENANT, "admin", ("tenant_admin",)),
    (TENANT, "fac", ("facilitator",)),
    (TENANT, "msb", ("board",)),
    (TENANT, "op", ("operator",)),
    (TENANT, "resp", ("respondent",)),
    (TENANT, "boss", ("coordinator", "tenant_admin", "specialist", "facilitator", "board")),
    (OTHER, "anna", ("specialist",)),  # the owner's person id, another hospital's token
    (OTHER, "anna", ("coordinator", "tenant_admin")),
]


@pytest.fixture(scope="module")
async def deployment(stack, jwks_json, token_issuer, tmp_path_factory) -> AsyncIterator[Deployment]:  # type: ignore[no-untyped-def]
    processes = Processes(stack, jwks_json, tmp_path_factory.mktemp("action-plan-logs"))
    running = Deployment(processes, stack, token_issuer)
    try:
        running.start()
        yield running
    finally:
        processes.stop_all()
        await running.close()


def secret_pop(version: int, tag: str = "") -> dict[str, Any]:
    """A POP with the marker in every text field."""
    return {
        "version": version,
        "keep_and_extend": f"{MARK}{tag}-behouden: rust in de overdracht <b>vet</b>",
        "goals": [
            {
                "what": f"{MARK}{tag}-wat: elke week één slecht-nieuwsgesprek samen voeren",
                "why": [
                    {"kind": "development_point", "ref": "item-12", "label": f"{MARK}{tag}-label"},
                    {"kind": "hidden_strength", "ref": "item-3", "label": "Rust"},
                ],
                "how": f"{MARK}{tag}-hoe: met een collega <script>alert(1)</script>",
                "by_when": (date.today() + timedelta(days=120)).isoformat(),
                "support": f"{MARK}{tag}-steun",
                "evidence": f"{MARK}{tag}-bewijs: minstens 8 gesprekken",
                "status": "in_progress",
            }
        ],
    }


async def raw_dump(deployment: Deployment) -> bytes:
    """Every document of every collection of the service, as BSON: what a dump or backup holds."""
    out = b""
    for name in await deployment.db.list_collection_names():
        async for doc in deployment.db[name].find({}):
            out += bson.encode(doc)
    return out


def logs(deployment: Deployment) -> str:
    return "".join(p.read_text(errors="replace") for p in Path(deployment.processes.logdir).glob("*.log"))


async def started(deployment: Deployment, person: str, round_id: str, tenant: str = TENANT) -> dict[str, Any]:
    async with deployment.client(tenant, person, "specialist") as owner:
        answer = await owner.post("/pops", json={"round_id": round_id})
        assert answer.status_code in (200, 201), answer.text
        return dict(answer.json())


async def test_the_pop_is_its_owners_alone_sealed_at_rest_and_never_in_an_event(
    deployment: Deployment,
) -> None:
    rounds = await deployment.ifms_rounds(TENANT, ["anna", "bert"])
    other = await deployment.ifms_rounds(OTHER, ["anna"])
    async with deployment.client(TENANT, "anna", "specialist") as anna:
        first = await anna.post("/pops", json={"round_id": rounds["anna"]})
        assert first.status_code == 201, first.text
        pop = first.json()
        again = await anna.post("/pops", json={"round_id": rounds["anna"]})
        assert again.status_code == 200 and again.json()["id"] == pop["id"]
        # Not someone else's round, nor one of another hospital.
        for round_id in (rounds["bert"], other["anna"], "r-unknown"):
            refused = await anna.post("/pops", json={"round_id": round_id})
            assert refused.status_code == 404 and refused.json()["code"] == "round_not_yours"
        saved = await anna.put(f"/pops/{pop['id']}", json=secret_pop(1))
        assert saved.status_code == 200, saved.text
        body = saved.json()
        assert body["version"] == 2 and body["goals"][0]["how"].endswith("<script>alert(1)</script>")
        read = (await anna.get(f"/pops/{pop['id']}")).json()
        assert read["keep_and_extend"].startswith(f"{MARK}-behouden") and read["goals"][0]["id"]
        assert read["goals"][0]["prompts"] == []  # specific, measurable, dated, linked
        assert [p["id"] for p in (await anna.get("/pops/mine")).json()] == [pop["id"]]

        # -- everyone else: 404 on every route of the POP, nothing of it in the answer ------
        routes = [
            ("GET", f"/pops/{pop['id']}", None),
            ("PUT", f"/pops/{pop['id']}", secret_pop(2, "-intruder")),
            ("GET", f"/pops/{pop['id']}/previous", None),
            ("PUT", f"/pops/{pop['id']}/review", {"version": 2, "items": []}),
            ("POST", f"/pops/{pop['id']}/complete", {"version": 2}),
            ("GET", f"/pops/{pop['id']}/pdf", None),
        ]
        cells = 0
        for tenant, subject, roles in INTRUDERS:
            async with deployment.client(tenant, subject, *roles) as intruder:
                for method, path, payload in routes:
                    answer = await intruder.request(method, path, json=payload)
                    assert answer.status_code == 404, (tenant, subject, roles, method, path, answer.text)
                    assert answer.json()["code"] == "pop_not_found"
                    assert MARK not in answer.text
                    cells += 1
                mine = await intruder.get("/pops/mine")
                assert MARK not in mine.text
                assert mine.status_code == 403 or mine.json() == []
                assert (await intruder.post("/pops", json={"round_id": rounds["anna"]})).status_code == 404
        assert cells == len(INTRUDERS) * len(routes)
        # Nothing changed by the attempts.
        after = (await anna.get(f"/pops/{pop['id']}")).json()
        assert after["version"] == 2 and after["state"] == "draft" and "intruder" not in str(after)

        # -- completion: ids and states only, in the event and for the coordinator ----------
        stale = await anna.post(f"/pops/{pop['id']}/complete", json={"version": 1})
        assert stale.status_code == 409 and stale.json()["code"] == "pop_changed_meanwhile"
        done = await anna.post(f"/pops/{pop['id']}/complete", json={"version": 2})
        assert done.status_code == 200 and done.json()["state"] == "complete", done.text
        assert (await anna.post(f"/pops/{pop['id']}/complete", json={"version": 3})).json()[
            "state"
        ] == "complete"

    async with deployment.client(TENANT, "coord", "coordinator") as coordinator:
        overview = (await coordinator.get("/completion")).json()
        assert {(r["person_id"], r["round_id"], r["pop_complete"]) for r in overview} >= {
            ("anna", rounds["anna"], True),
            ("bert", rounds["bert"], False),
        }
        assert all(set(r) == {"round_id", "person_id", "pop_complete"} for r in overview)
        one = (await coordinator.get("/completion", params={"round_id": rounds["bert"]})).json()
        assert one == [{"round_id": rounds["bert"], "person_id": "bert", "pop_complete": False}]
        assert MARK not in str(overview)
    async with deployment.client(OTHER, "coord", "coordinator") as elsewhere:
        assert rounds["anna"] not in (await elsewhere.get("/completion")).text
    for _, subject, roles in INTRUDERS[:1] + INTRUDERS[3:5]:
        async with deployment.client(TENANT, subject, *roles) as not_coordinating:
            assert (await not_coordinating.get("/completion")).status_code == 403

    events = await deployment.pop_events(2)
    mine = [(raw, e) for raw, e in events if e.payload.plan_id == pop["id"]]
    kinds = sorted(e.event_type for _, e in mine)
    assert kinds == [
        "spiegel.action_plan.v1.PersonalPlanCompleted",
        "spiegel.action_plan.v1.PersonalPlanStarted",
    ]
    completed = next(e.payload for _, e in mine if e.event_type.endswith("Completed"))
    assert isinstance(completed, events_pb2.PersonalPlanCompleted)
    assert (completed.person_id, completed.round_id) == ("anna", rounds["anna"])
    assert [f.name for f, _ in completed.ListFields()] == ["plan_id", "person_id", "round_id", "completed_at"]
    assert all(MARK.encode() not in raw for raw, _ in events)

    # -- at rest: a dump holds no plan text; the logs neither ----------------------------------
    dump = await raw_dump(deployment)
    assert MARK.encode() not in dump and b"slecht-nieuwsgesprek" not in dump and b"item-12" not in dump
    doc = await deployment.db["pops"].find_one({"_id": f"{TENANT}:{pop['id']}"})
    assert doc is not None and set(doc) >= {"sealed", "data_key_id", "owner_id", "round_id", "state"}
    assert MARK not in logs(deployment)


async def test_bad_input_is_refused_by_field_and_two_tabs_do_not_overwrite_each_other(
    deployment: Deployment,
) -> None:
    rounds = await deployment.ifms_rounds(TENANT, ["carla"])
    pop = await started(deployment, "carla", rounds["carla"])
    path = f"/pops/{pop['id']}"
    async with (
        deployment.client(TENANT, "carla", "specialist") as carla,
        deployment.client(TENANT, "carla", "specialist", lang="en") as english,
    ):

        async def refused(body: dict[str, Any], field: str, status: int = 422) -> str:
            answer = await english.put(path, json=body)
            assert answer.status_code == status, answer.text
            assert field in answer.text, answer.text
            return str(answer.json()["message"])

        good = secret_pop(1)
        huge = {**good, "goals": [{**good["goals"][0], "what": "x" * 1_000_000}]}
        await refused(huge, "what")
        for bad in ("\x00", "\x1b[31m", "\u202e"):
            body = {**good, "goals": [{**good["goals"][0], "support": f"steun{bad}"}]}
            assert "invisible character" in await refused(body, "goals[0].support")
        await refused({**good, "goals": [{**good["goals"][0], "by_when": "3000-01-01"}]}, "goals[0].by_when")
        yesterday = (date.today() - timedelta(days=1)).isoformat()
        assert "past" in await refused(
            {**good, "goals": [{**good["goals"][0], "by_when": yesterday}]}, "by_when"
        )
        await refused(
            {**good, "goals": [{**good["goals"][0], "why": [{"kind": "gossip", "ref": "x"}]}]}, "kind"
        )
        await refused({**good, "extra": 1}, "extra")
        await refused({**good, "version": 0}, "version")
        # Nothing was saved by any of those.
        assert (await carla.get(path)).json()["version"] == 1
        # Two tabs on version 1: the first saves, the second is told, in Dutch by default.
        assert (await carla.put(path, json=good)).status_code == 200
        second = await carla.put(path, json={**good, "keep_and_extend": "tab twee"})
        assert second.status_code == 409 and "intussen" in second.json()["message"]
        assert (await carla.get(path)).json()["keep_and_extend"] == good["keep_and_extend"]
        # Completing a POP without goals is refused, by field.
        await carla.put(path, json={"version": 2, "keep_and_extend": "", "goals": []})
        empty = await carla.post(f"{path}/complete", json={"version": 3})
        assert empty.status_code == 422 and empty.json()["code"] == "pop_without_goals"
        # A gentle prompt for a vague goal, in the caller's language.
        vague = await english.put(path, json={"version": 3, "goals": [{"what": "Beter luisteren"}]})
        prompts = {p["key"]: p["text"] for p in vague.json()["goals"][0]["prompts"]}
        assert "pop.prompt.measurable" in prompts and "measurable" in prompts["pop.prompt.measurable"]


async def test_the_next_ifms_starts_with_a_review_of_the_previous_goals(deployment: Deployment) -> None:
    first_round = (await deployment.ifms_rounds(TENANT, ["dirk"]))["dirk"]
    first = await started(deployment, "dirk", first_round)
    async with deployment.client(TENANT, "dirk", "specialist") as dirk:
        body = secret_pop(1, "-oud")
        body["goals"] += [
            {"what": "Dagelijks 10 minuten voor het team vrijmaken"},
            {"what": "Een cursus timemanagement volgen dit jaar"},
        ]
        saved = (await dirk.put(f"/pops/{first['id']}", json=body)).json()
        assert (await dirk.post(f"/pops/{first['id']}/complete", json={"version": 2})).status_code == 200
        second_round = (await deployment.ifms_rounds(TENANT, ["dirk"]))["dirk"]
        second = await started(deployment, "dirk", second_round)
        assert second["review_needed"] is True and second["previous_plan_id"] == first["id"]
        path = f"/pops/{second['id']}"
        blocked = await dirk.put(path, json={"version": 1, "goals": [{"what": "Nieuw doel"}]})
        assert blocked.status_code == 409 and blocked.json()["code"] == "pop_review_first"
        # Keep-and-extend may be written before the review.
        assert (
            await dirk.put(path, json={"version": 1, "keep_and_extend": "Blijven doen"})
        ).status_code == 200
        previous = (await dirk.get(f"{path}/previous")).json()
        ids = [g["id"] for g in previous["goals"]]
        assert ids == [g["id"] for g in saved["goals"]]
        partial = await dirk.put(
            f"{path}/review", json={"version": 2, "items": [{"goal_id": ids[0], "outcome": "achieved"}]}
        )
        assert partial.status_code == 422 and "2" in partial.json()["message"]
        no_reason = await dirk.put(
            f"{path}/review",
            json={
                "version": 2,
                "items": [
                    {"goal_id": ids[0], "outcome": "achieved"},
                    {"goal_id": ids[1], "outcome": "carried_forward"},
                    {"goal_id": ids[2], "outcome": "dropped"},
                ],
            },
        )
        assert no_reason.status_code == 422 and "items[2].reason" in no_reason.text
        reviewed = await dirk.put(
            f"{path}/review",
            json={
                "version": 2,
                "items": [
                    {"goal_id": ids[0], "outcome": "achieved"},
                    {"goal_id": ids[1], "outcome": "carried_forward"},
                    {"goal_id": ids[2], "outcome": "dropped", "reason": "Geen budget dit jaar"},
                ],
            },
        )
        assert reviewed.status_code == 200, reviewed.text
        now = reviewed.json()
        assert now["review_needed"] is False and now["keep_and_extend"] == "Blijven doen"
        assert [(g["what"], g["carried_from"]) for g in now["goals"]] == [
            ("Dagelijks 10 minuten voor het team vrijmaken", ids[1])
        ]
        more = now["goals"] + [{"what": "Nieuw doel: 2 keer per maand intervisie"}]
        assert (await dirk.put(path, json={"version": now["version"], "goals": more})).status_code == 200
    async with deployment.client(TENANT, "bert", "specialist") as bert:  # and never for anyone else
        assert (await bert.get(f"/pops/{second['id']}/previous")).status_code == 404


async def test_the_owner_downloads_a_pdf_with_html_as_text(deployment: Deployment, tmp_path: Path) -> None:
    rounds = await deployment.ifms_rounds(TENANT, ["eva"])
    pop = await started(deployment, "eva", rounds["eva"])
    async with deployment.client(TENANT, "eva", "specialist") as eva:
        await eva.put(f"/pops/{pop['id']}", json=secret_pop(1))
        answer = await eva.get(f"/pops/{pop['id']}/pdf")
    assert answer.status_code == 200 and answer.content.startswith(b"%PDF")
    assert answer.headers["cache-control"] == "no-store"
    (tmp_path / "pop.pdf").write_bytes(answer.content)
    text = subprocess.run(  # noqa: ASYNC221 - a short local tool, after the service's answer
        ["pdftotext", str(tmp_path / "pop.pdf"), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert (
        "Persoonlijk ontwikkelplan" in text and f"{MARK}-wat" in text and "<script>alert(1)</script>" in text
    )
    assert "Ontwikkelpunt" in text


async def test_erasing_the_owners_key_leaves_every_copy_unreadable(deployment: Deployment) -> None:
    rounds = await deployment.ifms_rounds(TENANT, ["fleur"])
    pop = await started(deployment, "fleur", rounds["fleur"])
    async with deployment.client(TENANT, "fleur", "specialist") as fleur:
        await fleur.put(f"/pops/{pop['id']}", json=secret_pop(1, "-fleur"))
        await fleur.post(f"/pops/{pop['id']}/complete", json={"version": 2})
        backup = await deployment.db["pops"].find_one({"_id": f"{TENANT}:{pop['id']}"})  # a copy taken before
        assert backup is not None and backup["sealed"]
        erased = await fleur.delete("/pops/mine")
        assert erased.status_code == 200 and erased.json() == {"plans_erased": 1}
        gone = await fleur.get(f"/pops/{pop['id']}")
        assert gone.status_code == 410 and gone.json()["code"] == "pop_erased"
        assert (await fleur.get(f"/pops/{pop['id']}/pdf")).status_code == 410
    assert await deployment.db["data_keys"].find_one({"_id": f"{TENANT}:fleur"}) is None
    live = await deployment.db["pops"].find_one({"_id": f"{TENANT}:{pop['id']}"})
    assert live is not None and live["sealed"] is None and live["state"] == "complete"
    # The backup's ciphertext opens with no data key left anywhere in the database.
    keyring = Keyring.parse(deployment.keys)
    context = sealing.plan_context(TENANT, "fleur", pop["id"])
    async for doc in deployment.db["data_keys"].find({}):
        key = keyring.unwrap(
            sealing.Wrapped(doc["kek_id"], bytes(doc["wrapped"])),
            sealing.key_context(doc["tenant_id"], doc["id"], doc["data_key_id"]),
        )
        with pytest.raises(sealing.Unreadable):
            sealing.open_sealed(key, bytes(backup["sealed"]), context)
    # The coordinator still sees that it was completed (a state, not content).
    async with deployment.client(TENANT, "coord", "coordinator") as coordinator:
        rows = (await coordinator.get("/completion", params={"round_id": rounds["fleur"]})).json()
        assert rows == [{"round_id": rounds["fleur"], "person_id": "fleur", "pop_complete": True}]
    # The owner can start afresh for a new round, with a new data key.
    new_round = (await deployment.ifms_rounds(TENANT, ["fleur"]))["fleur"]
    fresh = await started(deployment, "fleur", new_round)
    assert fresh["review_needed"] is False


async def test_rotation_rewraps_data_keys_so_the_old_kek_can_go(deployment: Deployment) -> None:
    rounds = await deployment.ifms_rounds(TENANT, ["gijs"])
    pop = await started(deployment, "gijs", rounds["gijs"])
    async with deployment.client(TENANT, "gijs", "specialist") as gijs:
        await gijs.put(f"/pops/{pop['id']}", json=secret_pop(1, "-gijs"))
    newest = Keyring.generate("kek-2")
    without_old = deployment.another_api(newest)
    async with deployment.client(TENANT, "gijs", "specialist", api=without_old) as early:
        # Before the rotation, an api without the old KEK cannot open it: a clear 503, not a 500.
        answer = await early.get(f"/pops/{pop['id']}")
        assert answer.status_code == 503 and answer.json()["code"] == "pop_key_unavailable"
    output = deployment.rotate(f"{newest},{deployment.keys}")
    assert "re-wrapped" in output
    kek_ids = {d["kek_id"] async for d in deployment.db["data_keys"].find({})}
    assert kek_ids == {"kek-2"}
    async with deployment.client(TENANT, "gijs", "specialist", api=without_old) as after:
        answer = await after.get(f"/pops/{pop['id']}")
        assert answer.status_code == 200 and answer.json()["keep_and_extend"].startswith(f"{MARK}-gijs")
    assert "re-wrapped 0" in deployment.rotate(f"{newest},{deployment.keys}")
