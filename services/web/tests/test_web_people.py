"""The people pages over HTTP through the gateway (issue 18, point 2): the list with search and
filters, adding and changing a person (a refusal keeps what was typed), switching an account off
(its sessions end) and on, the activation mail again (read from the real mail catcher), another
hospital's person (404), and the import: template, check per row and column, fixes ticked,
nothing saved until confirmed."""

from __future__ import annotations

import io
import re
import time
import uuid

import httpx
import pytest
from openpyxl import Workbook
from test_web_pages import is_page, signed_in
from web_browser import run_async
from web_helpers import WebDeployment, make_hospital

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def hospitals(web: WebDeployment) -> dict[str, dict[str, str]]:
    found = {}
    for label in ("a", "b"):
        slug = f"pp{label}-{uuid.uuid4().hex[:6]}"
        people = [
            (f"admin@{slug}.nl", "Beheerder", "tenant_admin"),
            (f"coordinator@{slug}.nl", "Coördinator", "coordinator"),
            (f"specialist@{slug}.nl", "Dr. Sanne Specialist", "specialist"),
        ]
        ids = run_async(make_hospital(web.env, slug, people))
        found[label] = {"slug": slug, **{email.split("@")[0]: pid for email, pid in ids.items()}}
    return found


def _csrf(page: httpx.Response) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]


def _mail_to(web: WebDeployment, address: str, count: int, timeout: float = 20) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = web.catcher.store.to(address)
        if len(found) >= count:
            return found[count - 1].part("plain")
        time.sleep(0.2)
    raise AssertionError(f"no mail {count} to {address}")


def test_the_list_add_change_switch_off_and_on(
    web: WebDeployment, hospitals: dict[str, dict[str, str]]
) -> None:
    a, b = hospitals["a"], hospitals["b"]
    slug = a["slug"]
    admin, csrf = signed_in(web, slug, "admin")
    specialist, _ = signed_in(web, slug, "specialist")
    listed = admin.get("/mensen")
    is_page(listed, 200, "Dr. Sanne Specialist")
    assert "3 personen gevonden" in listed.text
    found = admin.get("/mensen", params={"zoek": "sanne", "rol": "specialist", "status": "active"})
    assert "1 personen gevonden" in found.text and "Dr. Sanne Specialist" in found.text
    assert "Coördinator" not in found.text.split("<main", 1)[1].split("personen gevonden")[1]
    # Adding: a refusal keeps what was typed and says why, in the person's language.
    refused = admin.post(
        "/mensen/nieuw",
        data={
            "csrf_token": csrf,
            "display_name": "Dr. Nieuw",
            "email": f"SPECIALIST@{slug}.nl",
            "roles": "specialist",
            "big_number": "123-45",
        },
    )
    is_page(refused, 422)
    assert "Dr. Nieuw" in refused.text and "123-45" in refused.text
    assert "BIG-nummer" in refused.text
    refused = admin.post(
        "/mensen/nieuw",
        data={
            "csrf_token": csrf,
            "display_name": "Dr. Nieuw",
            "email": f"SPECIALIST@{slug}.nl",
            "roles": "specialist",
            "big_number": "123456789",
        },
    )
    is_page(refused, 409, "heeft hier al een account")
    assert "Dr. Nieuw" in refused.text and "123456789" in refused.text
    too_long = admin.post(
        "/mensen/nieuw",
        data={"csrf_token": csrf, "display_name": "x" * 3000, "email": "a@b.nl", "roles": "specialist"},
    )
    is_page(too_long, 422, "hoogstens 200 tekens")
    email = f"nieuw@{slug}.nl"
    added = admin.post(
        "/mensen/nieuw",
        data={
            "csrf_token": csrf,
            "display_name": "Dr. Nieuw",
            "email": email,
            "roles": "specialist",
            "employment": "self_employed",
            "big_number": "123456789",
            "specialism": "Longziekten",
        },
    )
    assert added.status_code == 303, added.text[:400]
    person_page = admin.get(added.headers["location"].split(f"/t/{slug}", 1)[1])
    is_page(person_page, 200, "00123456789")
    assert "Nog niet geactiveerd" in person_page.text and "Longziekten" in person_page.text
    person_path = added.headers["location"].split(f"/t/{slug}", 1)[1].split("?")[0]
    assert "token=" in _mail_to(web, email, 1)
    resent = admin.post(f"{person_path}/activatiemail", data={"csrf_token": csrf})
    assert resent.status_code == 303
    assert "token=" in _mail_to(web, email, 2)
    # Changing the e-mail address to one in use: 409 on the form, the input kept.
    taken = admin.post(
        person_path,
        data={
            "csrf_token": csrf,
            "display_name": "Dr. Nieuw-Naam",
            "email": f"Coordinator@{slug}.nl",
            "roles": "specialist",
            "employment": "self_employed",
            "big_number": "00123456789",
            "specialism": "Longziekten",
        },
    )
    is_page(taken, 409, "heeft hier al een account")
    assert "Dr. Nieuw-Naam" in taken.text
    # Switching the specialist off ends their session at once; on again, they sign in.
    specialist_path = f"/mensen/{a['specialist']}"
    assert specialist.get("/start").status_code == 200
    off = admin.post(f"{specialist_path}/deactiveren", data={"csrf_token": csrf})
    assert off.status_code == 303
    assert specialist.get("/start").status_code == 303  # to the sign-in form
    is_page(admin.get("/mensen", params={"status": "inactive"}), 200, "Dr. Sanne Specialist")
    on = admin.post(f"{specialist_path}/activeren", data={"csrf_token": csrf})
    assert on.status_code == 303
    signed_in(web, slug, "specialist")
    # Another hospital's person: 404, nothing of them shown.
    is_page(admin.get(f"/mensen/{b['specialist']}"), 404)
    other = admin.post(f"/mensen/{b['specialist']}/deactiveren", data={"csrf_token": csrf})
    assert other.status_code == 404
    # A specialist has no people pages.
    specialist_again, _ = signed_in(web, slug, "specialist")
    is_page(specialist_again.get("/mensen"), 403)


def _xlsx(rows: list[list[str]]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Naam", "E-mailadres", "Rol", "Specialisme", "Groep", "Dienstverband", "BIG-nummer"])
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_import_preview_fixes_and_confirm(web: WebDeployment, hospitals: dict[str, dict[str, str]]) -> None:
    slug = hospitals["b"]["slug"]
    coordinator, csrf = signed_in(web, slug, "coordinator")
    template = coordinator.get("/mensen/sjabloon.xlsx", params={"taal": "en"})
    assert template.status_code == 200 and template.content[:2] == b"PK"
    is_page(coordinator.get("/mensen/importeren"), 200, "Sjabloon met Engelse kopjes")
    pdf = coordinator.post(
        "/mensen/importeren",
        data={"csrf_token": csrf},
        files={"file": ("mensen.xlsx", b"%PDF-1.5 not a sheet", "application/pdf")},
    )
    is_page(pdf, 422, "geen spreadsheet")
    assert "Error" not in pdf.text
    content = _xlsx(
        [
            [
                "Dr. Ans Klaar",
                f"ans@{slug}.nl",
                "specialist",
                "Cardiologie",
                "Maatschap Longen",
                "loondienst",
                "",
            ],
            ["Dr. Bert Spatie ", f"Bert@{slug}.nl", "Specialist", "", "", "", "123456789"],
            ["Dr. Cor Beheer", f"cor@{slug}.nl", "beheerder", "", "", "", ""],
        ]
    )
    preview = coordinator.post(
        "/mensen/importeren",
        data={"csrf_token": csrf},
        files={"file": ("lijst.xlsx", content, "application/octet-stream")},
    )
    is_page(preview, 200, "3 rijen; 1 in orde, 0 met een waarschuwing, 2 met een fout")
    assert "er staan spaties voor, achter of dubbel in" in preview.text
    assert 'value="3:email"' in preview.text and f"bert@{slug}.nl (kleine letters" in preview.text
    assert "u mag de rol" in preview.text
    assert (
        "Deze groepen bestaan nog niet en worden bij het opslaan gemaakt: Maatschap Longen." in preview.text
    )
    confirm_path = re.search(
        r'action="/t/[^/]+(/mensen/importeren/[0-9a-f]+/bevestigen)"', preview.text
    ).group(1)  # type: ignore[union-attr]
    listed = coordinator.get("/mensen", params={"zoek": "ans@"})
    assert "0 personen gevonden" in listed.text  # nothing saved yet
    # Only one of row 3's fixes ticked: nothing is saved, the ticks are kept.
    half = coordinator.post(
        confirm_path, data={"csrf_token": _csrf(preview), "apply": "3:name", "send_activation": "1"}
    )
    is_page(half, 422, "Er is niets opgeslagen")
    assert 'value="3:name" checked' in half.text
    assert "0 personen gevonden" in coordinator.get("/mensen", params={"zoek": "ans@"}).text
    done = coordinator.post(
        confirm_path,
        data={"csrf_token": csrf, "apply": ["3:name", "3:email", "3:big_number"], "send_activation": "1"},
    )
    is_page(done, 200, "2 personen zijn toegevoegd")
    bert = coordinator.get("/mensen", params={"zoek": "bert@"})
    assert "Dr. Bert Spatie<" in bert.text and "Nog niet geactiveerd" in bert.text
    assert "token=" in _mail_to(web, f"bert@{slug}.nl", 1)
    assert "0 personen gevonden" in coordinator.get("/mensen", params={"zoek": "cor@"}).text
    assert "Nieuwe groepen: Maatschap Longen." in done.text
    listed = coordinator.get("/mensen")
    group_id = re.search(r'<option value="([0-9a-f]+)">Maatschap Longen</option>', listed.text).group(1)  # type: ignore[union-attr]
    members = coordinator.get("/mensen", params={"groep": group_id})
    assert "1 personen gevonden" in members.text and "Dr. Ans Klaar" in members.text
    # Another hospital's administrator does not reach this import.
    admin_a, _ = signed_in(web, hospitals["a"]["slug"], "admin")
    is_page(admin_a.get(confirm_path.rsplit("/", 1)[0]), 404)
