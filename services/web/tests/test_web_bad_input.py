"""Every form of the hospital's pages under bad input (issue 18, "Bad input"), over HTTP through the
gateway: empty, too long, the wrong type, a stale CSRF token, another hospital's id in a field.
Each gets a page (never a 500, never JSON) that says what is wrong, with what was typed still in
it; a stale token from this site offers the same input again with the session's current token
(nothing done until it is sent again), a post from elsewhere is refused plainly."""

from __future__ import annotations

import html as html_lib
import re
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from web_browser import run_async
from web_helpers import PASSWORD, WebDeployment, make_hospital

pytestmark = pytest.mark.integration

HTML = {"accept": "text/html"}
KEPT = "Bewaard-Invoer-7Q"  # a text each case types into the form, looked for in the answer


@dataclass(frozen=True)
class Form:
    name: str
    path: str  # "{group}", "{person}": this hospital's objects
    fields: dict[str, Any]  # a good filling, with KEPT in one text field
    text: str  # the text field that holds KEPT
    wrong_type: dict[str, Any]
    foreign: dict[str, Any] | None = None  # another hospital's id ("{b_person}", "{b_group}")
    kept_in_empty: bool = True
    extra: dict[str, Any] = field(default_factory=dict)


FORMS = [
    Form(
        "person_new",
        "/mensen/nieuw",
        {"display_name": KEPT, "email": "nieuw-{n}@bad.nl", "roles": "specialist", "language": "nl"},
        "display_name",
        {"big_number": "twaalf", "employment": "soms"},
    ),
    Form(
        "person_edit",
        "/mensen/{person}",
        {"display_name": KEPT, "email": "s1@{a}.nl", "roles": "specialist", "language": "nl"},
        "display_name",
        {"language": "kl", "big_number": "1.5e3"},
    ),
    Form(
        "group_new",
        "/groepen",
        {"name": KEPT + "{n}", "kind": "vakgroep", "specialism": "Long", "members": "{person}"},
        "name",
        {"kind": "afdeling"},
        foreign={"members": "{b_person}"},
    ),
    Form(
        "group_edit",
        "/groepen/{group}",
        {"name": KEPT + "{n}", "kind": "vakgroep", "specialism": "Long"},
        "name",
        {"kind": "7"},
        foreign={"contact_person_id": "{b_person}"},
    ),
    Form(
        "group_member",
        "/groepen/{group}/leden",
        {"person_id": "{person}"},
        "person_id",
        {"person_id": ["a", "b"]},
        foreign={"person_id": "{b_person}"},
        kept_in_empty=False,
    ),
    Form(
        "settings_hospital",
        "/instellingen/ziekenhuis",
        {"name": KEPT, "lang_nl": "1", "min_group_size": "5"},
        "name",
        {"min_group_size": "vier"},
    ),
    Form(
        "settings_reminders",
        "/instellingen/herinneringen",
        {
            "max_reminders": "3",
            "interval_days": "7",
            "quiet_days": "1",
            "fatigue_limit": "8",
            "min_interval_hours": "24",
        },
        "max_reminders",
        {"interval_days": "een week"},
        kept_in_empty=False,
    ),
    Form(
        "round_ifms",
        "/rondes/nieuw/ifms",
        {"title": KEPT, "closes_on": "2099-01-01", "specialists": "{person}"},
        "title",
        {"closes_on": "morgen"},
        foreign={"specialists": "{b_person}"},
    ),
    Form(
        "round_group_monitor",
        "/rondes/nieuw/groepsmonitor",
        {"title": KEPT, "closes_on": "2099-01-01", "group_id": "{group}", "members": "{person}"},
        "title",
        {"closes_on": "31-02-2099"},
        foreign={"group_id": "{b_group}"},
    ),
]


def _sign_in(web: WebDeployment, slug: str, email: str) -> tuple[httpx.Client, str]:
    client = httpx.Client(base_url=f"{web.url}/t/{slug}", headers=HTML, timeout=60)
    form = client.get("/inloggen")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text).group(1)  # type: ignore[union-attr]
    done = client.post("/inloggen", data={"csrf_token": token, "email": email, "password": PASSWORD})
    assert done.status_code == 303, done.text[:300]
    start = client.get("/start")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', start.text).group(1)  # type: ignore[union-attr]
    return client, csrf


@pytest.fixture(scope="module")
def world(web: WebDeployment) -> dict[str, Any]:
    a, b = f"bi-{uuid.uuid4().hex[:6]}", f"bj-{uuid.uuid4().hex[:6]}"
    ids_a = run_async(
        make_hospital(
            web.env,
            a,
            [(f"admin@{a}.nl", "Anne Beheer", "tenant_admin")]
            + [(f"s{n}@{a}.nl", f"Dr. Specialist {n}", "specialist") for n in (1, 2)],
        )
    )
    ids_b = run_async(
        make_hospital(
            web.env, b, [(f"admin@{b}.nl", "Beheer B", "tenant_admin"), (f"s1@{b}.nl", "Dr. B", "specialist")]
        )
    )
    client, csrf = _sign_in(web, a, f"admin@{a}.nl")
    other, other_csrf = _sign_in(web, b, f"admin@{b}.nl")

    def group(browser: httpx.Client, token: str, name: str, member: str) -> str:
        made = browser.post(
            "/groepen", data={"csrf_token": token, "name": name, "kind": "vakgroep", "members": member}
        )
        assert made.status_code == 303, made.text[:500]
        return made.headers["location"].split("?", 1)[0].rsplit("/", 1)[1]

    values = {
        "a": a,
        "person": ids_a[f"s1@{a}.nl"],
        "group": group(client, csrf, "Vakgroep Eigen", ids_a[f"s2@{a}.nl"]),
        "b_person": ids_b[f"s1@{b}.nl"],
        "b_group": group(other, other_csrf, "Vakgroep Elders", ids_b[f"s1@{b}.nl"]),
    }
    other.close()
    return {"client": client, "csrf": csrf, "values": values}


def _fill(value: Any, values: dict[str, str]) -> Any:
    if isinstance(value, list):
        return [_fill(v, values) for v in value]
    return str(value).format(n=uuid.uuid4().hex[:6], **values)


def _post(world: dict[str, Any], form: Form, fields: dict[str, Any], **headers: str) -> httpx.Response:
    """Post the form (`fields` already filled in, or templates to fill)."""
    values = world["values"]
    data = {k: _fill(v, values) for k, v in fields.items()}
    if "csrf_token" not in data:
        data["csrf_token"] = world["csrf"]
    response: httpx.Response = world["client"].post(_fill(form.path, values), data=data, headers=headers)
    return response


def _a_page_saying_why(response: httpx.Response, *statuses: int) -> str:
    assert response.status_code in statuses, (response.status_code, response.text[:800])
    assert response.headers["content-type"].startswith("text/html"), response.headers
    text = response.text
    assert "<h1" in text and "Traceback" not in text
    assert re.search(r'class="(error-summary|field-error|error)"|role="alert"', text), text[:3000]
    return text


def _kept(text: str, value: str) -> bool:
    return f'value="{html_lib.escape(value)}"' in text or f">{html_lib.escape(value)}<" in text


@pytest.mark.parametrize("form", FORMS, ids=[f.name for f in FORMS])
def test_every_form_refuses_bad_input_keeping_it(world: dict[str, Any], form: Form) -> None:
    # Empty: every field blank.
    empty = _post(world, form, {k: "" for k in form.fields})
    _a_page_saying_why(empty, 400, 404, 409, 422)

    # Too long: 5,000 characters in a text field, named and kept in full (never cut short unseen).
    long_text = KEPT + "x" * 5000
    too_long = _post(world, form, {**form.fields, form.text: long_text})
    text = _a_page_saying_why(too_long, 422)
    if form.kept_in_empty:
        assert _kept(text, long_text), text[:2000]

    # The wrong type in another field: refused, the text typed elsewhere kept.
    wrong = _post(world, form, {**form.fields, **form.wrong_type})
    text = _a_page_saying_why(wrong, 400, 422)
    if form.kept_in_empty:
        assert KEPT in text, text[:3000]

    # Another hospital's id: refused as unknown here, the rest kept, no 500.
    if form.foreign is not None:
        foreign = _post(world, form, {**form.fields, **form.foreign})
        text = _a_page_saying_why(foreign, 404, 422)
        if foreign.status_code == 422 and form.kept_in_empty:
            assert KEPT in text, text[:3000]

    # A stale token from a page of this site: nothing done, the input offered again with the
    # session's current token; sending that is the normal path again (no 403).
    origin = str(world["client"].base_url).split("/t/")[0]
    sent = {k: _fill(v, world["values"]) for k, v in {**form.fields, **form.wrong_type}.items()}
    stale_fields = {**sent, "csrf_token": "stale-" + uuid.uuid4().hex}
    stale = _post(world, form, stale_fields, origin=origin)
    text = _a_page_saying_why(stale, 403)
    assert f'name="csrf_token" value="{world["csrf"]}"' in text
    again = {
        html_lib.unescape(k): html_lib.unescape(v)
        for k, v in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', text)
    }
    for name, value in sent.items():
        if isinstance(value, str):
            assert again.get(name) == value, (name, value, again)
    action = re.search(r'<form method="post" action="([^"]+)"', text.split("<main", 1)[1])
    assert action is not None
    resend: dict[str, list[str]] = {}
    for k, v in re.findall(
        r'<input type="hidden" name="([^"]+)" value="([^"]*)">', text.split("<main", 1)[1]
    ):
        resend.setdefault(html_lib.unescape(k), []).append(html_lib.unescape(v))
    resent = world["client"].post(
        html_lib.unescape(action.group(1)).removeprefix(f"/t/{world['values']['a']}"), data=resend
    )
    assert resent.status_code in (303, 400, 422), (resent.status_code, resent.text[:800])

    # A post from another site with a wrong token: refused plainly, its values not offered.
    foreign_site = _post(world, form, stale_fields, origin="https://elders.example")
    assert foreign_site.status_code == 403 and "<h1" in foreign_site.text, foreign_site.text[:800]
    assert "Opnieuw versturen" not in foreign_site.text and KEPT not in foreign_site.text


def test_the_activation_mail_pressed_again_at_once_says_why_it_is_not_sent(world: dict[str, Any]) -> None:
    """Issue 18, bad input: "Activatiemail opnieuw sturen" keeps a minimum interval per person
    (the hospital's setting): the second press at once is refused on the person's page."""
    client, csrf = world["client"], world["csrf"]
    email = f"activeer-{uuid.uuid4().hex[:6]}@bad.nl"
    made = client.post(
        "/mensen/nieuw",
        data={"csrf_token": csrf, "display_name": "Dr. Nog Niet", "email": email, "roles": "specialist"},
    )
    assert made.status_code == 303, made.text[:800]
    person_path = made.headers["location"].split("?", 1)[0].removeprefix(f"/t/{world['values']['a']}")
    first = client.post(f"{person_path}/activatiemail", data={"csrf_token": csrf})
    assert first.status_code == 303 and "bericht=mail_sent" in first.headers["location"], first.text[:500]
    second = client.post(f"{person_path}/activatiemail", data={"csrf_token": csrf})
    text = _a_page_saying_why(second, 409)
    assert "minder dan 60 minuten geleden" in text and "Dr. Nog Niet" in text
