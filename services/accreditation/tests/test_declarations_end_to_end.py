"""RGS declarations through the real api, relay and consumer on the real Kafka and FerretDB: the
gateway's people and hospital learnt from its events; who gets which form and who none (with the
reason); signing refused without, with a refused, a stale, someone else's or a used confirmation,
by someone who does not lead the session and for someone who did not attend; the PDF read back
with pdftotext (Dutch and English; nothing of the notes); the participant's own list; the
verification by code (name, day, facilitator and nothing more; unknown 404, another hospital 404);
DeclarationSigned read from Kafka with ids only.

The password itself is the gateway's (services/gateway/tests/test_declaration_signing.py): here
the confirmation is the claim the gateway would put in the token."""

from __future__ import annotations

import re
import shutil
import subprocess
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from accreditation_testkit import Deployment
from aiokafka import AIOKafkaConsumer
from spiegel.gateway.v1 import events_pb2 as gateway
from spiegel_dev.waiting import eventually
from spiegel_platform.events import ReceivedEvent, new_event
from spiegel_platform.events.envelope import decode
from test_checkin_end_to_end import started_session

pytestmark = pytest.mark.integration

TENANT = "ziekenhuis-noord"
OTHER = "ziekenhuis-zuid"
TOPIC = "spiegel.accreditation.declarations.v1"
SECRET = "GEHEIM-ONDERWERP-uit-het-gesprek"


@pytest.fixture(scope="module")
async def deployment(stack, jwks_json, token_issuer, tmp_path_factory) -> AsyncIterator[Deployment]:  # type: ignore[no-untyped-def]
    from spiegel_dev.pytest_plugin import Processes

    processes = Processes(stack, jwks_json, tmp_path_factory.mktemp("declaration-logs"))
    running = Deployment(processes, stack, token_issuer)
    try:
        env = {
            "KAFKA_TOPIC_PREFIX": running.topic_prefix,
            "PUBLIC_BASE_URL_TEMPLATE": "https://{slug}.spiegel.test",
        }
        processes.start("accreditation", "consumer", running.prefix, **env)
        running.relay = processes.start("accreditation", "relay", running.prefix, **env)
        running.api = processes.start("accreditation", "api", running.prefix, **env)
        yield running
    finally:
        processes.stop_all()
        await running.close()


def client(
    deployment: Deployment,
    subject: str,
    *roles: str,
    tenant: str = TENANT,
    lang: str = "nl",
    confirmation: dict[str, Any] | None = None,
    name: str = "",
) -> httpx.AsyncClient:
    extra: dict[str, Any] = {"name": name, "lang": lang}
    if confirmation is not None:
        extra["confirmation"] = confirmation
    token = deployment.token_issuer.issue(
        audience="accreditation", subject=subject, tenant_id=tenant, roles=list(roles), extra=extra
    )
    return httpx.AsyncClient(
        base_url=deployment.api.url,
        headers={"Authorization": f"Bearer {token}", "Accept-Language": lang},
        timeout=60,
    )


def fresh(subject: str, **changes: Any) -> dict[str, Any]:
    return {"id": uuid.uuid4().hex, "at": time.time(), "sub": subject, **changes}


def person(pid: str, name: str, specialism: str, employment: str, *roles: str) -> Any:
    return new_event(
        gateway.PersonRegistered(
            person_id=pid,
            display_name=name,
            email=f"{pid}@noord.test",
            roles=list(roles) or ["specialist"],
            language="nl",
            active=True,
            revision=1,
            specialism=specialism,
            employment=employment,
        ),
        tenant_id=TENANT,
        producer="gateway",
    )


def pdf_text(pdf: bytes) -> str:
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) not installed")
    out = subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True)
    return " ".join(out.stdout.decode().split())


async def declaration_events(deployment: Deployment, count: int) -> list[ReceivedEvent]:
    consumer = AIOKafkaConsumer(
        deployment.topic_prefix + TOPIC,
        bootstrap_servers=deployment.stack.kafka_bootstrap,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        group_id=None,
    )
    await consumer.start()
    found: list[ReceivedEvent] = []
    raw: list[bytes] = []
    try:

        async def enough() -> bool:
            for records in (await consumer.getmany(timeout_ms=500)).values():
                for r in records:
                    raw.append(r.value)
                    found.append(decode(r.value, topic=r.topic, headers=tuple(r.headers)))
            return len(found) >= count

        await eventually(enough, 60, f"{count} DeclarationSigned", interval=0)
    finally:
        await consumer.stop()
    for value in raw:  # never a BIG number, name or specialism in the bytes
        for forbidden in (b"123456789", b"Anna", b"Cardiologie", b"Noord"):
            assert forbidden not in value
    return found


async def test_declarations_signed_downloaded_and_verified(deployment: Deployment) -> None:
    await deployment.publish(
        [
            person("anna", "Dr. Anna de Vries", "Cardiologie", "self_employed"),
            person("bram", "Dr. Bram Bos", "Longziekten", "employed"),
            person("cor", "Dr. Cor Claes", "Neurologie", ""),
            person("dirk", "Dr. Dirk Dam", "Urologie", "employed"),
            person("eve", "Dr. Eve Elst", "Urologie", "self_employed"),
            person("fac-1", "F. Leider", "", "", "facilitator"),
            new_event(
                gateway.TenantConfigured(
                    tenant_id=TENANT,
                    slug="noord",
                    name="Ziekenhuis Noord",
                    languages=["nl", "en"],
                    revision=1,
                ),
                tenant_id=TENANT,
                producer="gateway",
            ),
        ]
    )

    async def known() -> bool:
        return await deployment.db["people"].count_documents({"tenant_id": TENANT}) == 6 and (
            await deployment.db["hospitals"].count_documents({"tenant_id": TENANT}) == 1
        )

    await eventually(known, 60, "the gateway's people and hospital known")
    people = ["anna", "bram", "cor", "dirk", "eve"]
    session_id = await started_session(deployment, TENANT, people, "fac-1")
    base = f"/sessions/{session_id}"
    async with (
        client(deployment, "fac-1", "facilitator", name="F. Leider") as facilitator,
        client(deployment, "fac-1", "facilitator", lang="en", name="F. Leider") as facilitator_en,
        client(deployment, "fac-2", "facilitator") as other_facilitator,
        client(deployment, "coord-1", "coordinator") as coordinator,
        client(deployment, "anna", "specialist") as anna,
        client(deployment, "bram", "specialist") as bram,
        client(deployment, "cor", "specialist") as cor,
        client(deployment, "fac-1", "facilitator", tenant=OTHER) as foreign,
    ):
        # -- attendance: anna, bram and cor check in; dirk absent; eve marked present, no number
        for who, number in ((anna, "123456789"), (bram, "12345678901"), (cor, "10987654321")):
            assert (await who.post(f"{base}/checkin", json={"big_number": number})).status_code == 200
        absent = await facilitator.put(f"{base}/attendance/dirk", json={"status": "absent", "reason": "ziek"})
        assert absent.status_code == 200, absent.text
        await facilitator.put(f"{base}/attendance/eve", json={"status": "present"})
        # The notes hold something of the discussion: it must never reach a declaration.
        noted = await facilitator.put(f"{base}/notes/anna", json={"text": SECRET, "version": 0})
        assert noted.status_code == 200, noted.text

        # -- the facilitator's overview: the form per participant, or why none
        overview = await facilitator.get(f"{base}/declarations")
        assert overview.status_code == 200, overview.text
        rows = {p["person_id"]: p for p in overview.json()["participants"]}
        assert rows["anna"]["form"] == "verklaring_deelname" and rows["anna"]["refusal"] is None
        assert rows["bram"]["form"] == "gecombineerd"
        assert rows["cor"]["refusal"] == {"code": "declaration_employment_unknown", "field": "employment"}
        assert rows["dirk"]["refusal"] == {"code": "declaration_not_attended", "field": "person_id"}
        assert rows["eve"]["refusal"] == {"code": "declaration_no_big_number", "field": "big_number"}
        assert rows["anna"]["name"] == "Dr. Anna de Vries"
        # Only the session's own facilitators; another hospital's token: unknown.
        for outsider, status in ((other_facilitator, 404), (coordinator, 404), (foreign, 404)):
            assert (await outsider.get(f"{base}/declarations")).status_code == status

        # -- signing refused: no confirmation, a refused one, stale, someone else's
        sign = f"{base}/declarations/anna/sign"
        missing = await facilitator.post(sign, json={})
        assert missing.status_code == 403 and missing.json()["field"] == "password"
        assert missing.json()["code"] == "declaration_confirmation_required"
        cases = (
            ({"refused": "password_wrong"}, 403, "declaration_password_wrong", "wachtwoord klopt niet"),
            ({"refused": "too_many_attempts"}, 429, "declaration_too_many_attempts", "te vaak"),
            (fresh("fac-1", at=time.time() - 3600), 403, "declaration_confirmation_stale", "verlopen"),
            (fresh("someone-else"), 403, "declaration_confirmation_required", "bevestig"),
        )
        for claim, status, code, words in cases:
            async with client(deployment, "fac-1", "facilitator", confirmation=claim) as refused_client:
                refused = await refused_client.post(sign, json={})
            assert refused.status_code == status, refused.text
            assert refused.json()["code"] == code and words in refused.json()["message"]
        async with client(
            deployment, "fac-1", "facilitator", lang="en", confirmation={"refused": "password_wrong"}
        ) as english:
            assert "password is not correct" in (await english.post(sign, json={})).json()["message"]
        # Someone who does not lead the session (with a good confirmation): unknown.
        async with client(deployment, "fac-2", "facilitator", confirmation=fresh("fac-2")) as fac2:
            assert (await fac2.post(sign, json={})).status_code == 404
        # A specialist or coordinator is not a facilitator at all.
        async with client(deployment, "anna", "specialist", confirmation=fresh("anna")) as self_signing:
            assert (await self_signing.post(sign, json={})).status_code == 403
        # Someone who did not attend, with a good confirmation: refused with the reason.
        async with client(deployment, "fac-1", "facilitator", confirmation=fresh("fac-1")) as good:
            not_there = await good.post(f"{base}/declarations/dirk/sign", json={})
            assert not_there.status_code == 409 and not_there.json()["field"] == "person_id"
            assert "niet (gedeeltelijk) aanwezig" in not_there.json()["message"]
            unknown_person = await good.post(f"{base}/declarations/zed/sign", json={})
            assert unknown_person.status_code == 404
        assert await deployment.db["declarations"].count_documents({}) == 0  # nothing half-signed

        # -- signed: once per confirmation
        confirmation = fresh("fac-1")
        async with client(
            deployment, "fac-1", "facilitator", confirmation=confirmation, name="F. Leider"
        ) as confirmed:
            signed = await confirmed.post(sign, json={})
            assert signed.status_code == 200, signed.text
            assert signed.json()["signed_now"] is True and signed.json()["facilitator"] == "F. Leider"
            again = await confirmed.post(sign, json={})
            assert again.json()["signed_now"] is False  # the same declaration, not a second one
            replayed = await confirmed.post(f"{base}/declarations/bram/sign", json={})
            assert replayed.status_code == 403 and replayed.json()["code"] == "declaration_confirmation_used"
        async with client(
            deployment, "fac-1", "facilitator", confirmation=fresh("fac-1"), name="F. Leider"
        ) as c:
            assert (await c.post(f"{base}/declarations/bram/sign", json={})).status_code == 200

        # -- the PDF, read back: the facts, nothing of the discussion
        own = await anna.get(f"{base}/declarations/anna.pdf", params={"lang": "nl"})
        assert own.status_code == 200 and own.headers["content-type"] == "application/pdf"
        text = pdf_text(own.content)
        assert "Verklaring deelname evaluatie individueel functioneren" in text
        for value in (
            "Dr. Anna de Vries",
            "00123456789",
            "Cardiologie",
            "Ziekenhuis Noord",
            "IFMS",
            "F. Leider",
        ):
            assert value in text, value
        assert SECRET not in text and "bestuurder" not in text
        found = re.search(r"Verificatiecode ([A-Z2-7]{4}-[A-Z2-7]{4}-[A-Z2-7]{4}-[A-Z2-7]{4})", text)
        assert found is not None, text
        code = found.group(1)
        assert f"https://noord.spiegel.test/verklaring/{code}" in text
        english_pdf = pdf_text(
            (await anna.get(f"{base}/declarations/anna.pdf", params={"lang": "en"})).content
        )
        assert "Declaration of participation in an evaluation of individual functioning" in english_pdf
        combined = pdf_text((await facilitator_en.get(f"{base}/declarations/bram.pdf")).content)
        assert "Signature of the board / employer" in combined and "12345678901" in combined
        # Bram reads his own, not Anna's; a coordinator none; not signed yet: 404.
        assert (await bram.get(f"{base}/declarations/anna.pdf")).status_code == 404
        assert (await coordinator.get(f"{base}/declarations/anna.pdf")).status_code == 404
        assert (await cor.get(f"{base}/declarations/cor.pdf")).status_code == 404
        mine = (await anna.get("/declarations/mine")).json()["declarations"]
        assert [d["session_id"] for d in mine] == [session_id] and "big_number" not in mine[0]

        # -- verification: anyone with the code (a visitor's token: no person, no role)
        async with client(deployment, "public", tenant=TENANT) as visitor:
            for typed in (code, code.replace("-", "").lower(), code.replace("-", " ")):
                verified = await visitor.get(f"/declarations/verify/{typed}")
                assert verified.status_code == 200, verified.text
                assert verified.json() == {
                    "genuine": True,
                    "name": "Dr. Anna de Vries",
                    "day": mine[0]["day"],
                    "facilitator": "F. Leider",
                }
            wrong = code[:-1] + ("A" if code[-1] != "A" else "B")
            for unknown in (wrong, "nonsense", "AAAA-AAAA-AAAA-AAAA"):
                assert (await visitor.get(f"/declarations/verify/{unknown}")).status_code == 404
        async with client(deployment, "public", tenant=OTHER) as other_hospital:
            assert (await other_hospital.get(f"/declarations/verify/{code}")).status_code == 404

    # -- the events: ids and the form only
    events = await declaration_events(deployment, 2)
    assert {(e.payload.person_id, e.payload.form) for e in events} == {
        ("anna", "verklaring_deelname"),
        ("bram", "gecombineerd"),
    }
    assert {e.key for e in events} == {session_id}
    assert {f.name for f in events[0].payload.DESCRIPTOR.fields} == {
        "session_id",
        "person_id",
        "facilitator_id",
        "signed_at",
        "form",
    }


async def test_a_group_monitor_discussion_gives_no_declaration(deployment: Deployment) -> None:
    # A Groepsmonitor session as stored (its planning is the sessions' tests'): the kind is what counts.
    session_id = await started_session(deployment, TENANT, ["solo"], "fac-1")
    await deployment.db["sessions"].update_one(
        {"_id": f"{TENANT}:{session_id}"}, {"$set": {"kind": "GROUP_MONITOR"}}
    )
    async with client(deployment, "solo", "specialist") as solo:
        assert (
            await solo.post(f"/sessions/{session_id}/checkin", json={"big_number": "123456789"})
        ).status_code == 200
    async with client(deployment, "fac-1", "facilitator", confirmation=fresh("fac-1")) as facilitator:
        rows = (await facilitator.get(f"/sessions/{session_id}/declarations")).json()["participants"]
        assert rows[0]["refusal"]["code"] == "declaration_group_monitor"
        refused = await facilitator.post(f"/sessions/{session_id}/declarations/solo/sign", json={})
        assert refused.status_code == 409 and refused.json()["field"] == "session"
