"""A hospital's people through the gateway's API (issue 18, point 2): search, filters and paging;
an e-mail address unique within the hospital; the profile fields; switching off ends every
session and API token; the activation mail again; and the spreadsheet import: checked row by row,
nothing saved until confirmed, then all or none. Real gateway, FerretDB, SMTP server."""

from __future__ import annotations

import asyncio
import csv
import io
import uuid
from typing import Any

import pytest
from gateway_helpers import Browser, Inbox, add_person, create_tenant
from openpyxl import Workbook

pytestmark = pytest.mark.integration


def _xlsx(
    rows: list[list[Any]],
    headers: tuple[str, ...] = (
        "Naam",
        "E-mailadres",
        "Rol",
        "Specialisme",
        "Groep",
        "Dienstverband",
        "BIG-nummer",
    ),
) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(list(headers))
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _csv(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow(["Name", "E-mail address", "Role", "Specialism", "Group", "Employment", "BIG number"])
    writer.writerows(rows)
    return out.getvalue().encode()


async def _hospital(deployment: Any, roles: str = "tenant_admin") -> tuple[dict[str, Any], Browser, str]:
    slug = f"ppl-{uuid.uuid4().hex[:6]}"
    tenant = await create_tenant(deployment, slug)
    email = f"adm-{uuid.uuid4().hex[:6]}@umc-test.nl"
    admin_id = await add_person(deployment, tenant["tenant_id"], email, roles, name="Beheerder Eén")
    browser = Browser(deployment.url, slug=slug)
    assert (await browser.login(email)).status_code == 200
    return tenant, browser, admin_id


async def test_search_filters_and_pages(deployment):  # type: ignore[no-untyped-def]
    tenant, admin, _ = await _hospital(deployment)
    try:
        for i in range(12):
            await add_person(
                deployment,
                tenant["tenant_id"],
                f"sp{i:02d}-x@umc-test.nl",
                "specialist",
                name=f"Dr. Zoek {i:02d}",
            )
        created = await admin.post(
            "/people",
            json={"display_name": "Mw. Nog Niet", "email": "nognit@umc-test.nl", "roles": ["facilitator"]},
        )
        assert created.status_code == 201, created.text
        assert created.json()["status"] == "not_activated"
        page = await admin.get("/people", params={"q": "zoek", "limit": 5, "offset": 10})
        assert page.status_code == 200
        assert page.headers["x-total-count"] == "12"
        assert [p["display_name"] for p in page.json()] == ["Dr. Zoek 10", "Dr. Zoek 11"]
        by_mail = await admin.get("/people", params={"q": "SP03-X@"})
        assert [p["display_name"] for p in by_mail.json()] == ["Dr. Zoek 03"]
        literal = await admin.get("/people", params={"q": ".*"})  # taken literally, not as a pattern
        assert literal.json() == [] and literal.headers["x-total-count"] == "0"
        facilitators = await admin.get("/people", params={"role": "facilitator"})
        assert [p["email"] for p in facilitators.json()] == ["nognit@umc-test.nl"]
        waiting = await admin.get("/people", params={"status": "not_activated"})
        assert [p["email"] for p in waiting.json()] == ["nognit@umc-test.nl"]
        assert (await admin.get("/people", params={"status": "active"})).headers["x-total-count"] == "13"
        bad = await admin.get("/people", params={"status": "weg"})
        assert bad.status_code == 422 and "status" in bad.json()["message"]
        assert "active, inactive, not_activated" in bad.json()["message"]
    finally:
        await admin.aclose()


async def test_email_unique_profile_fields_and_another_hospitals_person(deployment):  # type: ignore[no-untyped-def]
    tenant, admin, _ = await _hospital(deployment)
    other, other_admin, _ = await _hospital(deployment)
    try:
        a = await add_person(deployment, tenant["tenant_id"], "een@umc-test.nl", "specialist", name="Een")
        b = await add_person(deployment, tenant["tenant_id"], "twee@umc-test.nl", "specialist", name="Twee")
        foreign = await add_person(deployment, other["tenant_id"], "drie@umc-test.nl", "specialist")
        taken = await admin.request("PATCH", f"/people/{b}", json={"email": "EEN@umc-test.nl"})
        assert taken.status_code == 409 and taken.json()["code"] == "email_taken"
        assert "een@umc-test.nl" in taken.json()["message"]
        moved = await admin.request("PATCH", f"/people/{b}", json={"email": "Nieuw@UMC-test.nl"})
        assert moved.status_code == 200 and moved.json()["email"] == "nieuw@umc-test.nl"
        # The old address is free again, the new one is taken.
        again = await admin.request("PATCH", f"/people/{a}", json={"email": "twee@umc-test.nl"})
        assert again.status_code == 200, again.text
        # An address used in another hospital is simply free here.
        elsewhere = await admin.request("PATCH", f"/people/{a}", json={"email": "drie@umc-test.nl"})
        assert elsewhere.status_code == 200
        profile = await admin.request(
            "PATCH",
            f"/people/{a}",
            json={"specialism": "Cardiologie", "employment": "self_employed", "big_number": "1234.56789"},
        )
        assert profile.status_code == 200, profile.text
        assert (profile.json()["specialism"], profile.json()["employment"], profile.json()["big_number"]) == (
            "Cardiologie",
            "self_employed",
            "00123456789",
        )
        wrong = await admin.request("PATCH", f"/people/{a}", json={"big_number": "12-345"})
        assert wrong.status_code == 422
        assert "BIG-nummer" in wrong.json()["message"] and "big_number" in wrong.json()["message"]
        cleared = await admin.request("PATCH", f"/people/{a}", json={"big_number": ""})
        assert cleared.json()["big_number"] is None
        for method, path in (
            ("GET", f"/people/{foreign}"),
            ("PATCH", f"/people/{foreign}"),
            ("POST", f"/people/{foreign}/verification-mail"),
        ):
            answer = await admin.request(
                method, path, json={"display_name": "X"} if method == "PATCH" else None
            )
            assert answer.status_code == 404, (method, path, answer.text)
            assert "drie@" not in answer.text
    finally:
        await admin.aclose()
        await other_admin.aclose()


async def test_switching_off_ends_sessions_and_tokens_and_the_activation_mail_arrives(
    deployment, inbox: Inbox
):  # type: ignore[no-untyped-def]
    tenant, admin, _ = await _hospital(deployment)
    email = f"sp-{uuid.uuid4().hex[:6]}@umc-test.nl"
    person_id = await add_person(deployment, tenant["tenant_id"], email, "specialist")
    person, client = (
        Browser(deployment.url, slug=tenant["slug"]),
        Browser(deployment.url, slug=tenant["slug"]),
    )
    try:
        await person.login(email)
        token = await person.post("/auth/api-tokens", json={"name": "script", "days": 30})
        client.bearer = token.json()["token"]
        assert (await client.get("/auth/api-tokens")).status_code == 200
        off = await admin.request("PATCH", f"/people/{person_id}", json={"active": False})
        assert off.status_code == 200 and off.json()["status"] == "inactive"
        assert (await person.get("/auth/api-tokens")).status_code == 401
        assert (await client.get("/auth/api-tokens")).status_code == 401
        assert (await person.login(email)).status_code == 403
        inactive = await admin.get("/people", params={"status": "inactive"})
        assert [p["person_id"] for p in inactive.json()] == [person_id]
        on = await admin.request("PATCH", f"/people/{person_id}", json={"active": True})
        assert on.status_code == 200 and on.json()["status"] == "active"
        assert (await person.login(email)).status_code == 200
        new = await admin.post(
            "/people", json={"display_name": "Dr. Nieuw", "email": f"n-{email}", "roles": ["specialist"]}
        )
        inbox.wait_for(f"n-{email}")
        again = f"/people/{new.json()['person_id']}/verification-mail"
        sent = await admin.post(again)
        assert sent.status_code == 202
        assert "token=" in Inbox.text(inbox.wait_for(f"n-{email}"))
        # Pressed again at once (twice at the same moment too): the hospital's interval holds.
        presses = await asyncio.gather(*[admin.post(again) for _ in range(3)])
        assert [p.status_code for p in presses] == [409, 409, 409], [p.text for p in presses]
        assert presses[0].json()["code"] == "activation_mail_too_soon"
        assert "60 minuten" in presses[0].json()["message"]
        # The interval is the hospital's setting; without it, the maximum per address still holds.
        changed = await admin.request("PATCH", "/tenant", json={"activation_mail_interval_minutes": 0})
        assert changed.status_code == 200 and changed.json()["activation_mail_interval_minutes"] == 0
        more = [await admin.post(again) for _ in range(5)]
        assert [p.status_code for p in more] == [202, 202, 202, 202, 409], [p.text for p in more]
        assert more[-1].json()["code"] == "activation_mail_max_reached"
    finally:
        for browser in (admin, person, client):
            await browser.aclose()


async def test_import_checks_every_row_then_saves_all_or_none(deployment, inbox: Inbox):  # type: ignore[no-untyped-def]
    tenant, admin, _ = await _hospital(deployment)
    other, other_admin, _ = await _hospital(deployment)
    try:
        made = await admin.post("/groups", json={"name": "Maatschap Cardio", "kind": "maatschap"})
        assert made.status_code == 201, made.text
        await add_person(
            deployment, tenant["tenant_id"], "bestaat@umc-test.nl", "specialist", name="Dr. Bestaat"
        )
        # In another hospital only: here it is simply a new person.
        await add_person(
            deployment, other["tenant_id"], "elders@umc-test.nl", "specialist", name="Dr. Elders"
        )
        content = _xlsx(
            [
                [
                    "Dr. Anna de Vries",
                    "anna@umc-test.nl",
                    "specialist",
                    "Cardiologie",
                    "Maatschap Cardio",
                    "vrijgevestigd",
                    "19012345601",
                ],
                [
                    "Dr. Bob Jansen ",
                    "Bob@UMC-test.nl",
                    "specialsit",
                    "",
                    "Vakgroep Longziekten",
                    "loondienst",
                    "123456789",
                ],
                ["Dr. Elders", "elders@umc-test.nl", "gespreksleider", "", "maatschap cardio", "", ""],
                ["Dr. Dubbel", "anna@umc-test.nl", "specialist", "", "", "", ""],
                ["Dr. Bestaat Weer", "bestaat@umc-test.nl", "specialist", "", "", "", ""],
                ["Eve\u202eliS", "eve@bücher.de", "specialist", "", "", "", "12-34"],
            ]
        )
        checked = await admin.post(
            "/people/imports", files={"file": ("mensen.xlsx", content, "application/octet-stream")}
        )
        assert checked.status_code == 201, checked.text
        result = checked.json()
        rows = {r["row"]: r for r in result["rows"]}
        assert result["summary"] == {"rows": 6, "ok": 1, "warnings": 0, "errors": 5}
        assert rows[2]["status"] == "ok"
        # An address known only in another hospital is simply new here (nothing says otherwise).
        assert "email" not in {p["column"] for p in rows[4]["problems"]}
        # Only specialists are members of a group.
        assert "specialist" in {p["column"]: p for p in rows[4]["problems"]}["group"]["message_en"]
        problems = {(r["row"], p["column"]): p for r in result["rows"] for p in r["problems"]}
        assert problems[(3, "name")]["suggestion"] == "Dr. Bob Jansen"
        assert problems[(3, "email")]["suggestion"] == "bob@umc-test.nl"
        assert problems[(3, "role")]["suggestion"] == "specialist"
        assert problems[(3, "big_number")]["suggestion"] == "00123456789"
        assert (
            "rij 2" in problems[(5, "email")]["message"] and "row 2" in problems[(5, "email")]["message_en"]
        )
        assert "Dr. Bestaat" in problems[(6, "email")]["message"]
        assert problems[(7, "name")]["suggestion"] == "Eve liS"
        assert problems[(7, "email")]["suggestion"] == "bob@xn--bcher-kva.de".replace("bob", "eve")
        assert "BIG-nummer" in problems[(7, "big_number")]["message"]
        # Nothing is saved yet.
        assert (await admin.get("/people", params={"q": "anna@"})).json() == []
        import_id = result["import_id"]
        # Another hospital's administrator cannot reach the import.
        assert (await other_admin.get(f"/people/imports/{import_id}")).status_code == 404
        refused = await other_admin.post(f"/people/imports/{import_id}/confirm", json={"rows": [2]})
        assert refused.status_code == 404
        # Row 3 with only some of its fixes ticked: nothing is saved, and the reason is named.
        half = await admin.post(
            f"/people/imports/{import_id}/confirm",
            json={"rows": [2, 3, 4], "apply": [{"row": 3, "column": "name"}], "send_activation": False},
        )
        assert half.status_code == 422 and "3" in half.json()["message"], half.text
        assert (await admin.get("/people", params={"q": "umc-test.nl"})).headers["x-total-count"] == "2"
        # The check shows the group that will be made (the existing one, whatever its case, is not).
        shown = (await admin.get(f"/people/imports/{import_id}")).json()
        assert shown["new_groups"] == ["Vakgroep Longziekten"]
        # Checked again on confirmation: row 4's address taken meanwhile, its group needs a
        # specialist; the whole confirmation is refused.
        await add_person(
            deployment, tenant["tenant_id"], "elders@umc-test.nl", "specialist", name="Dr. Tussendoor"
        )
        fixes = [{"row": 3, "column": c} for c in ("name", "email", "role", "big_number")]
        raced = await admin.post(
            f"/people/imports/{import_id}/confirm", json={"rows": [2, 3, 4], "apply": fixes}
        )
        assert raced.status_code == 422 and "4" in raced.json()["message"], raced.text
        assert (await admin.get("/people", params={"q": "anna@"})).json() == []
        confirmed = await admin.post(
            f"/people/imports/{import_id}/confirm", json={"rows": [2, 3], "apply": fixes}
        )
        assert confirmed.status_code == 200, confirmed.text
        assert confirmed.json()["created"] == 2
        assert confirmed.json()["groups_created"] == ["Vakgroep Longziekten"]
        again = await admin.post(
            f"/people/imports/{import_id}/confirm", json={"rows": [2, 3], "apply": fixes}
        )
        assert again.json() == confirmed.json()
        bob = (await admin.get("/people", params={"q": "bob@umc"})).json()
        assert [
            (p["display_name"], p["roles"], p["employment"], p["big_number"], p["status"]) for p in bob
        ] == [("Dr. Bob Jansen", ["specialist"], "employed", "00123456789", "not_activated")]
        anna = (await admin.get("/people", params={"q": "anna@"})).json()[0]
        assert (anna["specialism"], anna["employment"]) == ("Cardiologie", "self_employed")
        # Anna joined the existing group, Bob the new one; the list filters by group.
        groups = {g["name"]: g for g in (await admin.get("/groups")).json()}
        assert set(groups) == {"Maatschap Cardio", "Vakgroep Longziekten"}
        cardio = await admin.get("/people", params={"group": groups["Maatschap Cardio"]["group_id"]})
        assert [p["email"] for p in cardio.json()] == ["anna@umc-test.nl"]
        lungs = await admin.get("/people", params={"group": groups["Vakgroep Longziekten"]["group_id"]})
        assert [p["email"] for p in lungs.json()] == ["bob@umc-test.nl"]
        assert (
            await other_admin.get("/people", params={"group": groups["Maatschap Cardio"]["group_id"]})
        ).status_code == 404
        assert "token=" in Inbox.text(inbox.wait_for("bob@umc-test.nl"))
    finally:
        await admin.aclose()
        await other_admin.aclose()


async def test_saving_many_is_all_or_none_and_can_be_repeated(deployment):  # type: ignore[no-untyped-def]
    from spiegel_gateway.people.store import PeopleStore, PersonConflict
    from spiegel_gateway.storage import Store

    tenant, admin, _ = await _hospital(deployment)
    store = PeopleStore(Store.on(deployment.db()))
    tenant_id = tenant["tenant_id"]
    try:
        await add_person(deployment, tenant_id, "bezet@umc-test.nl", "specialist")
        batch = [
            {
                "id": uuid.uuid4().hex,
                "display_name": f"Dr. {i}",
                "email": f"b{i}@umc-test.nl",
                "roles": ["specialist"],
            }
            for i in range(120)
        ]
        # An address taken meanwhile (after the check): nobody is saved, no address stays claimed.
        with pytest.raises(PersonConflict) as conflict:
            await store.create_many(
                tenant_id, [*batch, {**batch[0], "id": uuid.uuid4().hex, "email": "BEZET@umc-test.nl"}]
            )
        assert conflict.value.params["emails"] == "bezet@umc-test.nl"
        assert (await admin.get("/people", params={"q": "Dr. "})).headers["x-total-count"] == "0"
        assert await store.by_email(tenant_id, "b0@umc-test.nl") is None
        # An address claimed by a crash before its person was written: taken over.
        await store.stores.tenant(tenant_id).person_emails.insert(
            {"id": "b0@umc-test.nl", "person_id": "gone"}
        )
        # Interrupted after half the people were written: the repeat finishes the job.
        await store.create_many(tenant_id, batch[:60])
        saved = await store.create_many(tenant_id, batch)
        assert len(saved) == 120
        assert (await admin.get("/people", params={"q": "Dr. "})).headers["x-total-count"] == "120"
        assert (await store.by_email(tenant_id, "b0@umc-test.nl")).person_id == batch[0]["id"]  # type: ignore[union-attr]
    finally:
        await admin.aclose()


async def test_import_refuses_bad_files_in_plain_words(deployment):  # type: ignore[no-untyped-def]
    _tenant, coordinator, _ = await _hospital(deployment, roles="coordinator")
    try:
        pdf = await coordinator.post(
            "/people/imports", files={"file": ("mensen.xlsx", b"%PDF-1.7\n%binary", "application/pdf")}
        )
        assert pdf.status_code == 422
        assert "PDF" in pdf.json()["message"] and "Error" not in pdf.json()["message"]
        many = _csv([[f"P {i}", f"p{i}@umc-test.nl", "specialist", "", "", "", ""] for i in range(10_000)])
        too_many = await coordinator.post("/people/imports", files={"file": ("mensen.csv", many, "text/csv")})
        assert too_many.status_code == 422 and "10000" in too_many.json()["message"]
        assert "5000" in too_many.json()["message"]
        book = Workbook()
        sheet = book.active
        assert sheet is not None
        sheet.append(["Naam", "E-mailadres", "Rol"])
        sheet.append(["Dr. Formule", '=LOWER("F@UMC-TEST.NL")', "specialist"])
        sheet.append(["Dr. Samen", "samen@umc-test.nl", "specialist"])
        sheet.merge_cells("A3:A4")
        sheet.append(["", "onder@umc-test.nl", "specialist"])
        sheet.append(["Dr. Beheer", "beheer@umc-test.nl", "beheerder"])
        hidden = book.create_sheet("Oud")
        hidden.sheet_state = "hidden"
        out = io.BytesIO()
        book.save(out)
        checked = await coordinator.post(
            "/people/imports", files={"file": ("mensen.xlsx", out.getvalue(), "application/octet-stream")}
        )
        assert checked.status_code == 201, checked.text
        assert checked.json()["hidden_sheets"] == ["Oud"]
        kinds = {(r["row"], p["column"], p["kind"]) for r in checked.json()["rows"] for p in r["problems"]}
        assert {(2, "email", "formula"), (3, "name", "merged"), (4, "name", "merged")} <= kinds
        # A coordinator may not make an administrator.
        assert (5, "role", "role_not_grantable") in kinds
        template = await coordinator.get(
            "/people/imports/template", params={"language": "en", "format": "csv"}
        )
        assert template.status_code == 200 and template.text.lstrip("\ufeff").startswith(
            "Name;E-mail address;Role"
        )
        xlsx = await coordinator.get("/people/imports/template")
        assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    finally:
        await coordinator.aclose()


async def test_a_failure_during_confirmation_leaves_no_partial_import(deployment):  # type: ignore[no-untyped-def]
    """The confirmation's writes fail half-way (the database goes away after the people are written
    and one group got its members): everything this confirmation wrote is taken back, nobody
    is saved, the existing group is as it was; the confirmation repeated saves everyone."""
    from spiegel_gateway.groups.store import GroupStore
    from spiegel_gateway.people.import_api import save
    from spiegel_gateway.people.store import PeopleStore
    from spiegel_gateway.storage import Store

    class FailingGroups(GroupStore):
        """The second group's members never get written."""

        calls = 0

        async def add_members(self, *args: Any, **kwargs: Any) -> Any:
            self.calls += 1
            if self.calls == 2:
                raise ConnectionError("the database went away")
            return await super().add_members(*args, **kwargs)

    tenant, admin, _ = await _hospital(deployment)
    tenant_id = tenant["tenant_id"]
    stores = Store.on(deployment.db())
    people_store = PeopleStore(stores)
    try:
        member = await add_person(deployment, tenant_id, "lid@umc-test.nl", "specialist", name="Dr. Lid")
        made = await admin.post("/groups", json={"name": "Vakgroep Bestaand", "member_person_ids": [member]})
        assert made.status_code == 201, made.text
        group_id = made.json()["group_id"]
        people = [
            {
                "id": uuid.uuid4().hex,
                "display_name": f"Dr. Import {i}",
                "email": f"imp{i}@umc-test.nl",
                "roles": ["specialist"],
                "language": "nl",
                "group": "Vakgroep Bestaand" if i < 30 else "Vakgroep Nieuw",
            }
            for i in range(60)
        ]
        with pytest.raises(ConnectionError):
            await save(people_store, FailingGroups(stores), tenant_id, people, by="test")
        listed = await admin.get("/people", params={"q": "Dr. Import"})
        assert listed.headers["x-total-count"] == "0", listed.json()[:3]
        assert [await people_store.by_email(tenant_id, p["email"]) for p in people] == [None] * 60
        assert await stores.tenant(tenant_id).person_emails.get("imp0@umc-test.nl") is None
        group = (await admin.get(f"/groups/{group_id}")).json()
        assert [m["person_id"] for m in group["members"]] == [member]
        history = (await admin.get(f"/groups/{group_id}/history")).json()["entries"]
        assert {h["person_id"] for h in history} == {member}, history
        # The confirmation repeated: everyone saved, each in their group.
        saved, new_groups = await save(people_store, GroupStore(stores), tenant_id, people, by="test")
        assert len(saved) == 60
        assert (await admin.get("/people", params={"q": "Dr. Import"})).headers["x-total-count"] == "60"
        group = (await admin.get(f"/groups/{group_id}")).json()
        assert len(group["members"]) == 31
        assert new_groups in ([], ["Vakgroep Nieuw"])  # made by the failed attempt, or now
        assert any(g["name"] == "Vakgroep Nieuw" for g in (await admin.get("/groups")).json())
    finally:
        await admin.aclose()
