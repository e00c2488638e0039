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
