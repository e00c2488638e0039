"""Importing nominations from real spreadsheets: the template, every problem kind, preview, then confirm."""

from __future__ import annotations

import io
import shutil
import subprocess
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
from openpyxl import load_workbook
from spiegel_dev.waiting import eventually

pytestmark = pytest.mark.integration

ROWS = [  # (group, name, e-mail, language) from row 2 on
    ("Collega medisch specialisten", "Dr. B. Bakker", "b.bakker@umc.example", "nl"),  # 2 clean
    ("Medewerkers", "C. Claes", "c.claes@@umc.example", "nl"),  # 3 invalid e-mail
    ("Medewerkers", "D. Dekker", "d.dekker@gmial.com", "en"),  # 4 domain typo
    ("Collega medisch specialisten", "Dr. B. Bakker", "b.bakker@umc.example", "nl"),  # 5 duplicate in group
    ("Medewerkers", "", "e.eerens@umc.example", "nl"),  # 6 missing name
    ("Medewerkers", "jan van der berg", "j.berg@umc.example", "nl"),  # 7 all lower case
    ("Vrije groep", "Dr. A. de Vries", "a.devries@umc.example", "nl"),  # 8 the subject
    ("Chirurgen", "F. Fransen", "f.fransen@umc.example", "nl"),  # 9 unknown group
    ("Vrije groep", "G. Gerrits", "g.gerrits@umc.example", "nl"),  # 10 clean
    ("Vrije groep", "H. Hendriks", "h.hendriks@umcg.nll", "nl"),  # 11 domain typo (TLD)
    ("Vrije groep", "K. Kok", "k.kok@umc.example", "nl"),  # 12 across groups (with 13)
    ("Medewerkers", "K. Kok", "k.kok@umc.example", "nl"),  # 13 across groups
]


def fill(template: bytes, rows: list[tuple[str, ...]], round_cell: dict[int, str] | None = None) -> bytes:
    book = load_workbook(io.BytesIO(template))
    sheet = book["Respondenten"]
    for offset, (group, name, email, lang) in enumerate(rows):
        number = offset + 2
        sheet.cell(number, 1, (round_cell or {}).get(number, ""))
        sheet.cell(number, 2, group)
        sheet.cell(number, 3, name)
        sheet.cell(number, 4, email)
        sheet.cell(number, 5, lang)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def problems(preview: dict, row: int) -> set[tuple[str, str]]:  # type: ignore[type-arg]
    found = next(r for r in preview["rows"] if r["row"] == row)
    return {(p["kind"], p["column"]) for p in found["problems"]}


def resave_with_libreoffice(content: bytes, folder: Path) -> bytes | None:
    office = shutil.which("soffice") or shutil.which("libreoffice")
    if office is None:
        return None
    source = folder / "in" / "nominaties.xlsx"
    source.parent.mkdir(parents=True)
    source.write_bytes(content)
    out = folder / "out"
    subprocess.run(
        [
            office,
            "--headless",
            "--norestore",
            f"-env:UserInstallation=file://{folder / 'profile'}",
            "--convert-to",
            "xlsx:Calc MS Excel 2007 XML",
            "--outdir",
            str(out),
            str(source),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    return (out / "nominaties.xlsx").read_bytes()


async def test_import_reports_every_problem_before_saving_and_saves_what_is_confirmed(invitation, tmp_path):  # type: ignore[no-untyped-def]
    invitation.start(consumer=False, relay=False)
    async with invitation.client() as coordinator:
        await coordinator.put(
            "/people/spec-1", json={"display_name": "Dr. A. de Vries", "email": "a.devries@umc.example"}
        )
        for round_id in ("r1", "r2"):
            await coordinator.put(
                f"/rounds/{round_id}",
                json={"title": f"IFMS {round_id}", "subject_id": "spec-1", "subject_name": "Dr. A. de Vries"},
            )
        response = await coordinator.get("/rounds/r1/nominations/template.xlsx")
        assert response.status_code == 200
        template = response.content
        book = load_workbook(io.BytesIO(template))
        assert book.sheetnames == ["Instructies", "Respondenten", "Lijsten"]
        assert book["Lijsten"].sheet_state == "hidden"
        assert [c.value for c in book["Respondenten"][1]] == [
            "Ronde",
            "Respondentgroep",
            "Naam",
            "E-mailadres",
            "Taal",
        ]
        rules = {str(dv.sqref): dv.formula1 for dv in book["Respondenten"].data_validations.dataValidation}
        assert rules["B2:B501"] == "=Lijsten!$A$1:$A$3" and rules["E2:E501"] == "=Lijsten!$B$1:$B$2"
        assert [book["Lijsten"].cell(i, 1).value for i in (1, 2, 3)] == [
            "Collega medisch specialisten",
            "Medewerkers",
            "Vrije groep",
        ]
        assert book["Instructies"]["B3"].value == "r1"

        filled = fill(template, ROWS, round_cell={10: "IFMS r2"})
        upload = await coordinator.post("/rounds/r1/imports", files={"file": ("lijst.xlsx", filled)})
        assert upload.status_code == 201, upload.text
        preview = upload.json()
        assert problems(preview, 2) == set()
        assert problems(preview, 3) == {("invalid_email", "email")}
        assert problems(preview, 4) == {("domain_typo", "email")}
        typo = next(r for r in preview["rows"] if r["row"] == 4)["problems"][0]
        assert typo["suggestion"] == "d.dekker@gmail.com" and "bedoelt u" in typo["message"]
        assert problems(preview, 5) == {("duplicate_in_group", "email")}
        assert problems(preview, 6) == {("missing_name", "name")}
        assert problems(preview, 7) == {("lowercase_name", "name")}
        assert ("self_nomination", "email") in problems(preview, 8)
        assert problems(preview, 9) == {("unknown_group", "group")}
        assert problems(preview, 10) == {("wrong_round", "round")}
        assert problems(preview, 11) == {("domain_typo", "email")}
        assert problems(preview, 12) == problems(preview, 13) == {("duplicate_across_groups", "email")}
        assert preview["summary"] == {"rows": 12, "ok": 1, "warnings": 3, "errors": 8}
        assert {w["group"] for w in preview["group_warnings"]} == {"colleagues", "staff", "flex"}
        assert "minder dan 4 ingevulde evaluaties" in preview["group_warnings"][0]["message"]
        # Nothing is saved by the upload.
        assert (await coordinator.get("/rounds/r1/nominations")).json()["nominations"] == []

        confirm = await coordinator.post(
            f"/rounds/r1/imports/{preview['import_id']}/confirm",
            json={
                "include_rows": [2, 3, 4, 7, 11],
                "apply_suggestions": [{"row": 4, "column": "email"}, {"row": 7, "column": "name"}],
            },
        )
        assert confirm.status_code == 200, confirm.text
        outcome = confirm.json()
        assert outcome["saved_rows"] == [2, 4, 7, 11] and [r["row"] for r in outcome["refused"]] == [3]
        again = await coordinator.post(f"/rounds/r1/imports/{preview['import_id']}/confirm", json={})
        assert again.json() == outcome  # a second confirm saves nothing more
        saved = {
            n["email"]: n for n in (await coordinator.get("/rounds/r1/nominations")).json()["nominations"]
        }
        assert set(saved) == {
            "b.bakker@umc.example",
            "d.dekker@gmail.com",
            "j.berg@umc.example",
            "h.hendriks@umcg.nll",
        }  # the TLD fix was not chosen: kept as typed
        assert saved["j.berg@umc.example"]["name"] == "Jan van der Berg"
        assert saved["d.dekker@gmail.com"]["language"] == "en"

        # The same list again: now everything is "already nominated".
        second = (await coordinator.post("/rounds/r1/imports", files={"file": ("lijst.xlsx", filled)})).json()
        assert ("already_nominated", "email") in problems(second, 2)

        # A template made for round r1, imported into round r2: every row is flagged.
        wrong = (await coordinator.post("/rounds/r2/imports", files={"file": ("lijst.xlsx", filled)})).json()
        # (row 10 names round r2 itself, so that row alone is taken as meant for r2)
        assert all(
            ("wrong_round", "round") in problems(wrong, r["row"]) for r in wrong["rows"] if r["row"] != 10
        )
        assert ("wrong_round", "round") not in problems(wrong, 10)

        # The same file after LibreOffice saved it reads the same.
        resaved = resave_with_libreoffice(filled, tmp_path)
        if resaved is None:
            pytest.skip("LibreOffice is not installed (tools/office/install.sh installs it where it can)")
        with zipfile.ZipFile(io.BytesIO(resaved)) as package:
            assert b"LibreOffice" in package.read("docProps/app.xml")  # really written by LibreOffice
        office = (await coordinator.post("/rounds/r2/imports", files={"file": ("lo.xlsx", resaved)})).json()
        assert [(r["row"], r["status"]) for r in office["rows"]] == [
            (r["row"], r["status"]) for r in wrong["rows"]
        ]
        assert [r["email"] for r in office["rows"]] == [r["email"] for r in wrong["rows"]]


async def test_csv_with_semicolons_in_windows_encoding(invitation):  # type: ignore[no-untyped-def]
    invitation.start(consumer=False, relay=False)
    content = (
        "Respondentgroep;Naam;E-mailadres;Taal\r\n"
        "Medewerkers;Ren\xe9e M\xfcller;r.muller@umc.example;nl\r\n"
        ";;;\r\n"
        "staff;Zo\xeb Smit;z.smit@umc.example;engels\r\n"
    ).encode("cp1252")
    async with invitation.client() as coordinator:
        await coordinator.put(
            "/rounds/r1", json={"title": "IFMS", "subject_id": "s", "subject_name": "Dr. S"}
        )
        preview = (await coordinator.post("/rounds/r1/imports", files={"file": ("l.csv", content)})).json()
        assert [(r["row"], r["name"], r["group"], r["language"], r["status"]) for r in preview["rows"]] == [
            (2, "Renée Müller", "staff", "nl", "ok"),
            (4, "Zoë Smit", "staff", "en", "ok"),
        ]
        bad = await coordinator.post("/rounds/r1/imports", files={"file": ("l.csv", b"a;b\n1;2\n")})
        assert bad.status_code == 422 and "E-mailadres" in bad.json()["message"]


async def test_an_unreadable_csv_is_refused_naming_the_line(invitation):  # type: ignore[no-untyped-def]
    invitation.start(consumer=False, relay=False)
    header = b"Respondentgroep;Naam;E-mailadres;Taal\r\n"
    clean = b"staff;B. Bakker;b.bakker@umc.example;nl\r\n"
    async with invitation.client() as coordinator:
        await coordinator.put(
            "/rounds/r1", json={"title": "IFMS", "subject_id": "s", "subject_name": "Dr. S"}
        )
        huge = header + clean + b"staff;" + b"x" * (128 * 1024 + 1) + b";c@umc.example;nl\r\n"
        bare_cr = header + clean + clean + b"staff;C.\rClaes;c@umc.example;nl\r\n"
        for content, line, problem in ((huge, 3, "langer dan"), (bare_cr, 4, "regeleinde")):
            refused = await coordinator.post("/rounds/r1/imports", files={"file": ("l.csv", content)})
            assert refused.status_code == 422, refused.text
            assert refused.json()["field"] == "file"
            assert f"regel {line}" in refused.json()["message"] and problem in refused.json()["message"]


async def test_a_template_for_any_title_and_round_id(invitation):  # type: ignore[no-untyped-def]
    invitation.start()
    hostile = {"title": "Bell\x07round", "subject_id": "s\x01", "subject_name": "Dr.\x1b S"}
    async with invitation.client() as coordinator:
        setup = await coordinator.put("/rounds/r1", json=hostile)
        assert setup.status_code == 200, setup.text
        response = await coordinator.get("/rounds/r1/nominations/template.xlsx")
        assert response.status_code == 200, response.text
        info = load_workbook(io.BytesIO(response.content))["Instructies"]
        assert (info["B3"].value, info["B4"].value, info["B5"].value) == (
            "r1",
            "Bell\ufffdround",
            "Dr.\ufffd S",
        )
        assert response.headers["content-disposition"] == (
            "attachment; filename=\"nominaties-r1.xlsx\"; filename*=UTF-8''nominaties-r1.xlsx"
        )

        # Set up here, a round id is what the survey service makes of it ...
        odd = await coordinator.put("/rounds/caf\xe9", json=hostile)
        assert odd.status_code == 422 and "round_id" in odd.json()["message"]
        # ... but the survey's RoundOpened is taken as it comes.
        await invitation.open_round("caf\xe9-\x07", title="Bell\x07round")
        await eventually(lambda: invitation.doc("rounds", "caf\xe9-\x07"), what="the round")
        odd_round = "/rounds/" + quote("caf\xe9-\x07", safe="")  # (httpx sends no raw control character)
        response = await coordinator.get(f"{odd_round}/nominations/template.xlsx")
        assert response.status_code == 200, response.text
        assert response.headers["content-disposition"] == (
            "attachment; filename=\"nominaties-caf_-_.xlsx\"; filename*=UTF-8''nominaties-caf%C3%A9-%07.xlsx"
        )
        assert load_workbook(io.BytesIO(response.content))["Instructies"]["B3"].value == "caf\xe9-\ufffd"
        filled = fill(response.content, [ROWS[0]])
        upload = await coordinator.post(f"{odd_round}/imports", files={"file": ("l.xlsx", filled)})
        assert upload.status_code == 201 and problems(upload.json(), 2) == set(), upload.text


async def one_row_import(coordinator) -> str:  # type: ignore[no-untyped-def]
    """Round r1 with an import of one clean row (row 2), not yet confirmed: its id."""
    content = b"Respondentgroep;Naam;E-mailadres\r\nstaff;B. Bakker;b.bakker@umc.example\r\n"
    await coordinator.put("/rounds/r1", json={"title": "IFMS", "subject_id": "s", "subject_name": "Dr. S"})
    upload = await coordinator.post("/rounds/r1/imports", files={"file": ("l.csv", content)})
    assert upload.status_code == 201, upload.text
    return str(upload.json()["import_id"])


async def test_a_refused_confirm_leaves_the_import_to_a_corrected_one(invitation):  # type: ignore[no-untyped-def]
    invitation.start(consumer=False, relay=False)
    async with invitation.client() as coordinator:
        import_id = await one_row_import(coordinator)
        typo = await coordinator.post(f"/rounds/r1/imports/{import_id}/confirm", json={"include_rows": [22]})
        assert typo.status_code == 422 and "22" in typo.json()["message"]
        confirm = await coordinator.post(
            f"/rounds/r1/imports/{import_id}/confirm", json={"include_rows": [2]}
        )
        assert confirm.status_code == 200, confirm.text
        assert confirm.json()["saved_rows"] == [2]


async def test_a_confirm_cut_off_halfway_locks_the_import_only_for_a_while(invitation):  # type: ignore[no-untyped-def]
    """A confirm claims its import; a process that crashes after the claim cannot release it.
    A claim a moment old is a confirm under way (409); a lapsed one is taken over."""
    invitation.start(consumer=False, relay=False)
    async with invitation.client() as coordinator:
        import_id = await one_row_import(coordinator)
        claim = f"{import_id}:confirming"

        await invitation.insert("imports", claim, {"at": datetime.now(UTC) - timedelta(seconds=5)})
        busy = await coordinator.post(
            f"/rounds/r1/imports/{import_id}/confirm", json={}, headers={"accept-language": "en"}
        )
        assert busy.status_code == 409 and "being confirmed" in busy.json()["message"], busy.text
        assert busy.json()["code"] == "import_being_confirmed"
        # The claim is no import of its own (it was a 500: found in review).
        assert (await coordinator.get(f"/rounds/r1/imports/{claim}")).status_code == 404
        assert (await coordinator.post(f"/rounds/r1/imports/{claim}/confirm", json={})).status_code == 404
        assert await invitation.count("nominees") == 0

        # What a confirm that crashed three minutes ago leaves behind.
        await invitation.update("imports", claim, {"at": datetime.now(UTC) - timedelta(minutes=3)})
        confirm = await coordinator.post(f"/rounds/r1/imports/{import_id}/confirm", json={})
        assert confirm.status_code == 200, confirm.text
        assert confirm.json()["saved_rows"] == [2]
        assert await invitation.count("nominees") == 1
