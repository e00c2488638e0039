"""Findings of a new user's walk through the pages (issue 18, point 6), checked on the rendered
templates (no servers): each test failed before its fix."""

from __future__ import annotations

import html
import re
from typing import Any

from spiegel_web import core
from spiegel_web.caller import Caller, Hospital
from starlette.requests import Request

HOSPITAL = Hospital(
    tenant_id="t1",
    slug="demo",
    name="Demo",
    languages=("nl", "en"),
    time_zone="Europe/Amsterdam",
    min_group_size=4,
    identity_provider=False,
)
RESPONDENT = Caller(
    id="link",
    kind="respondent",
    subject="link:x",
    roles=(),
    email="",
    name="",
    language="nl",
    csrf="c",
    via="cookie",
    token="t",
    link_token="tok",
)


def request(path: str = "/vragenlijst", query: bytes = b"") -> Request:
    scope = {"type": "http", "method": "GET", "path": path, "headers": [], "query_string": query, "state": {}}
    return Request(scope)


def page(
    lang: str = "nl", caller: Caller | None = RESPONDENT, path: str = "/vragenlijst", query: bytes = b""
) -> core.Page:
    return core.Page(request(path, query), HOSPITAL, caller, lang)


def text_of(response: Any) -> str:
    body = re.sub(r"<[^>]+>", " ", bytes(response.body).decode())
    return " ".join(html.unescape(body).split())


QUESTIONNAIRE = {
    "title": "Groepsmonitor",
    "intro": "",
    "scale": {"min": 1, "max": 5, "anchors": [], "not_applicable": {"label": "n.v.t."}},
    "themes": [{"id": "t", "label": "Samenwerking", "statements": [{"id": "c1", "text": "Wij overleggen."}]}],
    "global_items": [],
    "open_questions": [],
}


def questionnaire(kind: str, is_self: bool, lang: str = "nl", group: str = "Collega-specialisten") -> str:
    shown = page(lang).render(
        "respondent/questionnaire.html",
        q=QUESTIONNAIRE,
        round={
            "title": "Ronde",
            "kind": kind,
            "subject": "Vakgroep Cardiologie",
            "closes_at": "2027-01-01T17:00:00+01:00",
        },
        group={"code": "self" if is_self else "colleagues", "label": group, "is_self": is_self},
        answers={"ratings": {}, "comments": {}},
        answered=0,
        required=1,
        nvt=0,
    )
    return text_of(shown)


def test_the_questionnaire_introduction_fits_the_round_and_the_group() -> None:
    members = questionnaire("GROUP_MONITOR", is_self=True)
    assert "eigen functioneren" not in members and not re.search(r"\bspecialist\b", members), members
    assert "functioneren van de groep" in members
    specialist = questionnaire("IFMS", is_self=True)
    assert "uw eigen functioneren" in specialist
    other = questionnaire("IFMS", is_self=False)
    assert ", als Collega-specialisten" not in other and "respondentgroep ‘Collega-specialisten’" in other, (
        other
    )
    english = questionnaire("IFMS", is_self=False, lang="en")
    assert "as Colleague" not in english and "respondent group ‘Colleague specialists’" in questionnaire(
        "IFMS", is_self=False, lang="en", group="Colleague specialists"
    )
    group_other = questionnaire("GROUP_MONITOR", is_self=False)
    assert not re.search(r"\bspecialist\b", group_other), group_other
    for shown in (members, specialist, other, group_other):
        assert len(re.findall(r"\bminuten\b", shown)) == 1, shown


def test_the_thank_you_page_of_a_self_evaluation_says_what_happens_to_it() -> None:
    self_thanks = text_of(
        page(path="/bedankt", query=b"zelf=1").render("respondent/thanks.html", is_self=True)
    )
    assert "anoniem verwerkt" not in self_thanks and "naast het oordeel van anderen" in self_thanks, (
        self_thanks
    )
    others = text_of(page(path="/bedankt").render("respondent/thanks.html", is_self=False))
    assert "anoniem verwerkt" in others and "Dank u wel" in others


def test_the_live_warning_for_a_group_of_one_is_in_the_singular() -> None:
    from spiegel_web import nominations

    specialist = Caller(
        id="p1",
        kind="person",
        subject="p1",
        roles=("specialist",),
        email="a@x.nl",
        name="A",
        language="nl",
        csrf="c",
        via="cookie",
        token="t",
    )
    loaded = {
        "view": {"title": "IFMS", "groups": [{"code": "colleagues", "label_nl": "Collega-specialisten"}]},
        "listed": {
            "nominations": [{"group": "colleagues", "name": "B", "email": "b@x.nl", "status": "active"}]
        },
    }
    shown = bytes(
        nominations.render(page(caller=specialist, path="/rondes/r1/nominaties"), "r1", loaded).body
    ).decode()
    one = html.unescape(re.search(r'data-warning-one-text="([^"]*)"', shown).group(1))  # type: ignore[union-attr]
    many = html.unescape(re.search(r'data-warning-text="([^"]*)"', shown).group(1))  # type: ignore[union-attr]
    assert "{count} genomineerde." in one and "{count} genomineerden." in many, (one, many)


COORDINATOR = Caller(
    id="c1",
    kind="person",
    subject="c1",
    roles=("coordinator", "tenant_admin"),
    email="c@x.nl",
    name="C",
    language="nl",
    csrf="c",
    via="cookie",
    token="t",
)


def field_value(shown: str, element_id: str) -> str | None:
    tag = re.search(rf'<input[^>]*\bid="{element_id}"[^>]*>', shown)
    assert tag, element_id
    value = re.search(r'\bvalue="([^"]*)"', tag.group(0))
    return html.unescape(value.group(1)) if value else None


def is_checked(shown: str, element_id: str) -> bool:
    tag = re.search(rf'<input[^>]*\bid="{element_id}"[^>]*>', shown)
    assert tag, element_id
    return " checked" in tag.group(0)


def test_the_new_round_forms_keep_what_was_typed_on_a_refusal() -> None:
    from spiegel_web.rounds import Specialist

    people = [Specialist("p1", "Dr. A", "a@x.nl"), Specialist("p2", "Dr. B", "b@x.nl")]
    typed = {
        "title": "Groepsmonitor <Cardio>",
        "group_name": "Vakgroep Cardiologie",
        "closes_on": "2027-03-04",
        "members": ["p2"],
        "include_patients": "1",
    }
    shown = bytes(
        page(caller=COORDINATOR, path="/rondes/nieuw/groepsmonitor")
        .render(
            "rounds/new.html",
            status=422,
            specialists=people,
            default_close="2027-01-01",
            gm_errors=["Kies minstens twee leden."],
            gm_form=typed,
        )
        .body
    ).decode()
    assert field_value(shown, "gm-title-input") == "Groepsmonitor <Cardio>"
    assert field_value(shown, "gm-group") == "Vakgroep Cardiologie"
    assert field_value(shown, "gm-closes") == "2027-03-04"
    assert is_checked(shown, "gm-p2") and not is_checked(shown, "gm-p1")
    assert is_checked(shown, "include_patients")
    assert field_value(shown, "ifms-title-input") == "IFMS 2027"  # the other form as it was
    ifms = bytes(
        page(caller=COORDINATOR, path="/rondes/nieuw/ifms")
        .render(
            "rounds/new.html",
            status=422,
            specialists=people,
            default_close="2027-01-01",
            ifms_errors=["x"],
            ifms_form={
                "title": "Mijn ronde",
                "closes_on": "2027-02-02",
                "flex_label": "AIOS",
                "specialists": ["p1"],
            },
        )
        .body
    ).decode()
    assert field_value(ifms, "ifms-title-input") == "Mijn ronde" and field_value(ifms, "ifms-flex") == "AIOS"
    assert field_value(ifms, "ifms-closes") == "2027-02-02"
    assert is_checked(ifms, "sp-p1") and not is_checked(ifms, "sp-p2")
    assert not is_checked(ifms, "include_patients") and field_value(ifms, "gm-group") in (None, "")


def test_the_settings_forms_keep_what_was_typed_on_a_refusal() -> None:
    shown = bytes(
        page(caller=COORDINATOR, path="/instellingen/ziekenhuis")
        .render(
            "settings.html",
            status=422,
            min_size=4,
            reminders={
                "reminders": {"max_reminders": 3, "interval_days": 7, "quiet_days": 1},
                "fatigue_limit": 8,
            },
            hospital_errors=["x"],
            hospital_form={"name": "Nieuw Ziekenhuis", "min_group_size": "3", "lang_en": "1"},
            reminder_form={
                "max_reminders": "12",
                "interval_days": "2",
                "quiet_days": "0",
                "fatigue_limit": "9",
            },
        )
        .body
    ).decode()
    assert field_value(shown, "hname") == "Nieuw Ziekenhuis" and field_value(shown, "min_group_size") == "3"
    assert not is_checked(shown, "lang_nl") and is_checked(shown, "lang_en")
    assert [
        field_value(shown, i) for i in ("max_reminders", "interval_days", "quiet_days", "fatigue_limit")
    ] == ["12", "2", "0", "9"]


def test_text_fields_have_a_maximum_length_on_the_page_and_on_the_server() -> None:
    from spiegel_web import core as web_core
    from spiegel_web.rounds import Specialist

    shown = bytes(
        page(caller=COORDINATOR, path="/rondes/nieuw")
        .render(
            "rounds/new.html", specialists=[Specialist("p1", "Dr. A", "a@x.nl")], default_close="2027-01-01"
        )
        .body
    ).decode()
    for element_id in ("ifms-title-input", "ifms-flex", "gm-title-input", "gm-group"):
        tag = re.search(rf'<input[^>]*\bid="{element_id}"[^>]*>', shown)
        assert tag and re.search(r'maxlength="\d+"', tag.group(0)), element_id
    refused = web_core.too_long(
        page(caller=COORDINATOR), {"title": "x" * 5000, "group_name": "ok"}, web_core.ROUND_FIELDS
    )
    assert refused == ["Titel: te lang, hoogstens 150 tekens (nu 5000)."], refused


def test_a_round_closed_early_shows_when_it_was_closed() -> None:
    closed = {
        "id": "r1",
        "title": "IFMS",
        "kind": "IFMS",
        "status": "closed",
        "subject": {"display_name": "Dr. A"},
        "closes_at": "2027-03-04T17:00:00+01:00",
        "closed_at": "2027-02-20T10:15:00+01:00",
        "respondent_groups": [],
    }
    detail = text_of(
        page(caller=COORDINATOR, path="/rondes/r1").render(
            "rounds/detail.html",
            round=closed,
            progress=None,
            preparing=False,
            versions=[],
            message=None,
            groups=[],
            next_week="2027-03-11",
        )
    )
    assert "Gesloten op 2027-02-20 10:15" in detail and "gepland: 2027-03-04 17:00" in detail, detail
    listed = text_of(
        page(caller=COORDINATOR, path="/rondes").render(
            "rounds/list.html", rounds=[closed], total=1, filter_status=None
        )
    )
    assert "2027-02-20" in listed and "2027-03-04" not in listed, listed
    on_time = {**closed, "closed_at": "2027-03-04T17:00:00+01:00"}
    detail = text_of(
        page(caller=COORDINATOR, path="/rondes/r1").render(
            "rounds/detail.html",
            round=on_time,
            progress=None,
            preparing=False,
            versions=[],
            message=None,
            groups=[],
            next_week="2027-03-11",
        )
    )
    assert "Gesloten op 2027-03-04 17:00" in detail and "gepland" not in detail, detail


def test_the_open_step_warns_about_groups_with_fewer_than_six_nominees() -> None:
    from spiegel_web.rounds import open_warnings

    draft = {
        "id": "r1",
        "title": "IFMS",
        "kind": "IFMS",
        "status": "draft",
        "subject": {"display_name": "Dr. A"},
        "closes_at": "2027-03-04T17:00:00+01:00",
        "respondent_groups": [],
    }
    listed = {
        "group_warnings": [
            {
                "group": "staff",
                "nominees": 3,
                "message": "Groep 'Medewerkers' heeft 3 genomineerden; nomineer er minstens 6.",
                "message_en": "x",
            },
            {
                "group": "flex",
                "nominees": 0,
                "message": "Groep 'Vrije groep' heeft 0 genomineerden",
                "message_en": "y",
            },
        ]
    }
    warnings = open_warnings(page(caller=COORDINATOR), listed)
    assert warnings == [
        "Groep 'Medewerkers' heeft 3 genomineerden; nomineer er minstens 6."
    ]  # an unused group: no
    shown = bytes(
        page(caller=COORDINATOR, path="/rondes/r1")
        .render(
            "rounds/detail.html",
            round=draft,
            progress=None,
            preparing=False,
            versions=[],
            message=None,
            groups=[],
            next_week="2027-03-11",
            open_warnings=warnings,
        )
        .body
    ).decode()
    open_form = shown[shown.index('/rondes/r1/openen"') :]
    open_form = open_form[: open_form.index("</form>")]
    assert "heeft 3 genomineerden" in open_form
    assert re.search(
        r'<input type="checkbox" id="accept-few" name="accept_few" value="1" required>', open_form
    )
    plain = bytes(
        page(caller=COORDINATOR, path="/rondes/r1")
        .render(
            "rounds/detail.html",
            round=draft,
            progress=None,
            preparing=False,
            versions=[],
            message=None,
            groups=[],
            next_week="2027-03-11",
            open_warnings=[],
        )
        .body
    ).decode()
    assert "accept_few" not in plain


def test_the_extend_form_keeps_the_date_typed_and_says_why_it_was_refused() -> None:
    opened = {
        "id": "r1",
        "title": "IFMS",
        "kind": "IFMS",
        "status": "open",
        "subject": {"display_name": "Dr. A"},
        "closes_at": "2027-03-04T17:00:00+01:00",
        "respondent_groups": [],
    }
    shown = bytes(
        page(caller=COORDINATOR, path="/rondes/r1/verlengen")
        .render(
            "rounds/detail.html",
            status=422,
            round=opened,
            progress=None,
            preparing=False,
            versions=[],
            message=None,
            groups=[],
            next_week="2027-03-11",
            extend_value="2030-01-01",
            extend_problem="Kies een sluitingsdatum in de toekomst.",
            close_problem="Vink aan.",
        )
        .body
    ).decode()
    assert field_value(shown, "extend-date") == "2030-01-01"
    extend_form = shown[shown.index("/verlengen") : shown.index("/sluiten")]
    assert (
        "Kies een sluitingsdatum in de toekomst." in extend_form
        and "Vink aan." in shown[shown.index("/sluiten") :]
    )
