"""'Mijn groepsbesprekingen' without servers: which sessions one sees, in which section and order,
with which actions (`discussions.arrange`), the rendered page and the start page's one link, and
(marker `browser`) the page on a 390x844 phone: no wider than the window, axe-core clean."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from spiegel_dev.browser import artifacts_dir, axe_violations
from spiegel_web import core
from spiegel_web.caller import Caller
from spiegel_web.dashboard import led_ahead
from spiegel_web.discussions import arrange
from test_web_layout import ORIGIN, serve
from test_web_walk import HOSPITAL, request

NOW = datetime(2027, 3, 10, 12, 0, tzinfo=UTC)
ME, OTHER = "p-me", "p-other"


def person(subject: str, *roles: str) -> Caller:
    return Caller(
        id=subject,
        kind="person",
        subject=subject,
        roles=roles,
        email=f"{subject}@x.nl",
        name=subject,
        language="nl",
        csrf="c",
        via="cookie",
        token="t",
    )


def session(
    session_id: str,
    starts: timedelta,
    *,
    participants: tuple[str, ...] = (ME,),
    facilitators: tuple[str, ...] = ("f-1",),
    kind: str = "IFMS",
    state: str = "planned",
    location: str = "Zaal 1",
    online_url: str = "",
    checkin_window: timedelta = timedelta(days=14),
) -> dict[str, Any]:
    start = NOW + starts
    return {
        "id": session_id,
        "kind": kind,
        "state": state,
        "participants": [{"person_id": p, "round_id": f"r-{p}"} for p in participants],
        "facilitator_ids": list(facilitators),
        "starts_at": start.isoformat(),
        "ends_at": (start + timedelta(hours=2)).isoformat(),
        "checkin_opens_at": start.isoformat(),
        "checkin_closes_at": (start + timedelta(hours=2) + checkin_window).isoformat(),
        "location": location,
        "online_url": online_url,
    }


def invited(*session_ids: str) -> list[dict[str, Any]]:
    return [{"session_id": s, "facilitator_names": ["Drs. F. Leider"]} for s in session_ids]


def test_only_ones_own_sessions_upcoming_first_then_the_last_twelve_months() -> None:
    sessions = [
        session("later", timedelta(days=9)),
        session("soon", timedelta(days=2)),
        session("someone-elses", timedelta(days=1), participants=(OTHER,)),
        session("cancelled", timedelta(days=3), state="cancelled"),
        session("last-month", -timedelta(days=30)),
        session("last-week", -timedelta(days=7)),
        session("under-way", -timedelta(hours=1)),
        session("over-a-year", -timedelta(days=370)),
        session("led", timedelta(days=5), participants=(OTHER,), facilitators=(ME,)),
    ]
    upcoming, past = arrange(sessions, ME, now=NOW, invited=[], released=set())
    assert [s.id for s in upcoming] == ["under-way", "soon", "led", "later"]
    assert [s.id for s in past] == ["last-week", "last-month"]
    assert upcoming[0].under_way and not upcoming[1].under_way
    led = upcoming[2]
    assert led.leading and not led.taking_part and led.roles == ["facilitator"]
    assert upcoming[1].roles == ["participant"]


def test_the_actions_follow_the_role_and_the_moment() -> None:
    sessions = [
        session("soon", timedelta(days=2)),
        session("under-way", -timedelta(hours=1)),
        session("last-week", -timedelta(days=7)),
        session("last-month", -timedelta(days=30)),
        session("led", timedelta(days=5), participants=(OTHER,), facilitators=(ME,)),
    ]
    upcoming, past = arrange(
        sessions, ME, now=NOW, invited=invited("soon", "led", "last-week"), released={"last-month", "led"}
    )
    rows = {s.id: s for s in upcoming + past}
    # Calendar: upcoming ones the invitation service has (not "under-way": not heard of yet).
    assert [s.id for s in upcoming if s.calendar] == ["soon", "led"]
    assert not any(s.calendar for s in past)
    assert rows["soon"].facilitator_names == ["Drs. F. Leider"] and rows["under-way"].facilitator_names == []
    # Themes while it is ahead; check-in from just before the start until 14 days after the end.
    assert rows["soon"].themes and rows["under-way"].themes and not rows["last-week"].themes
    assert not rows["soon"].checkin and rows["under-way"].checkin and rows["last-week"].checkin
    assert not rows["last-month"].checkin
    # The notes of a participant, once released; a facilitator's own session has none to read.
    assert rows["last-month"].notes and not rows["last-week"].notes and not rows["led"].notes
    assert not rows["led"].themes and not rows["led"].checkin


def test_the_check_in_link_follows_the_hospitals_window_as_the_accreditation_service_gives_it() -> None:
    week = timedelta(days=7)
    upcoming, past = arrange(
        [
            session("three-days", -week, checkin_window=timedelta(days=3)),
            session("thirty-days", -3 * week, checkin_window=timedelta(days=30)),
        ],
        ME,
        now=NOW,
        invited=[],
        released=set(),
    )
    rows = {s.id: s for s in upcoming + past}
    assert not rows["three-days"].checkin and rows["thirty-days"].checkin


def test_without_the_invitation_service_every_upcoming_session_offers_the_calendar_file() -> None:
    upcoming, past = arrange(
        [session("soon", timedelta(days=2)), session("last-week", -timedelta(days=7))],
        ME,
        now=NOW,
        invited=None,
        released=set(),
    )
    assert [s.calendar for s in upcoming] == [True] and [s.calendar for s in past] == [False]


def rendered(caller: Caller, template: str = "discussions/mine.html", **values: Any) -> str:
    page = core.Page(request("/mijn-besprekingen"), HOSPITAL, caller, "nl")
    return bytes(page.render(template, **values).body).decode()


def my_page(caller: Caller, sessions: list[dict[str, Any]]) -> str:
    upcoming, past = arrange(sessions, caller.subject, now=NOW, invited=invited("soon"), released={"past"})
    return rendered(caller, upcoming=upcoming, past=past, participant="specialist" in caller.roles)


def text_of_html(shown: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", shown)).split())


def hrefs(shown: str) -> list[str]:
    return re.findall(r'href="([^"]+)"', shown)


def test_the_page_shows_each_session_with_its_actions() -> None:
    shown = my_page(
        person(ME, "specialist", "facilitator"),
        [
            session("soon", timedelta(days=2), kind="GROUP_MONITOR", online_url="https://meet.example.nl/x"),
            session("led", timedelta(days=5), participants=(OTHER,), facilitators=(ME,), location="Zaal 9"),
            session("past", -timedelta(days=20), location="Zaal Verleden"),
        ],
    )
    text = text_of_html(shown)
    assert "Komende groepsbesprekingen" in text and "Afgelopen groepsbesprekingen" in text
    assert text.index("Zaal 9") < text.index("Afgelopen") < text.index("Zaal Verleden")
    assert "Groepsmonitor · deelnemer" in text and "IFMS · gespreksleider" in text
    assert "https://meet.example.nl/x" in text and "Gespreksleider: Drs. F. Leider" in text
    links = hrefs(shown)
    for wanted in (
        "/groepsbesprekingen/soon/agenda.ics",
        "/bespreking/soon/themas",
        "/bespreking/led",
        "/bespreking/led/voorbereiding",
        "/bespreking/led/qr",
        "/gespreksverslag/past",
        "/gespreksverslag",
        "/mijn-verklaringen",
    ):
        assert links.count(wanted) == 1, (wanted, links)
    assert "/groepsbesprekingen/led/agenda.ics" not in links  # not heard of by the invitation service
    assert not any(link.startswith("/aanmelden/") for link in links)


def test_a_coordinator_in_no_session_is_told_so() -> None:
    shown = my_page(person("c-1", "coordinator"), [session("someone-elses", timedelta(days=1))])
    assert "nog niet ingedeeld" in shown and "Zaal 1" not in shown
    assert "/mijn-verklaringen" not in shown  # a participant's page: no role for it


def test_the_start_page_offers_the_preparation_of_the_sessions_one_leads_that_are_still_ahead() -> None:
    sessions = [
        session("last-week", -timedelta(days=7), participants=(OTHER,), facilitators=(ME,)),
        session("under-way", -timedelta(hours=1), participants=(OTHER,), facilitators=(ME,)),
        session("soon", timedelta(days=2), participants=(OTHER,), facilitators=(ME,)),
        session("someone-elses", timedelta(days=3), participants=(OTHER,), facilitators=("f-9",)),
        session("taking-part", timedelta(days=4)),
    ]
    assert [s["id"] for s in led_ahead(sessions, ME, NOW)] == ["under-way", "soon"]


@pytest.mark.parametrize("roles", [("specialist",), ("facilitator",), ("specialist", "facilitator")])
def test_the_start_page_has_one_link_to_my_discussions(roles: tuple[str, ...]) -> None:
    shown = rendered(
        person(ME, *roles),
        "dashboard.html",
        is_board=False,
        todo=[],
        evaluations=[],
        reports=[],
        rounds=[],
        leading_sessions=[],
        my_groups=None,
    )
    assert hrefs(shown).count("/mijn-besprekingen") == 1
    assert "/groepsbesprekingen/mijn" not in shown


@pytest.mark.browser
def test_on_a_phone_the_page_fits_and_passes_axe(browser: Any) -> None:
    long_place = "Vergaderzaal " + "Cardiologie" * 40
    shown = my_page(
        person(ME, "specialist", "facilitator"),
        [
            session("soon", timedelta(days=2), online_url="https://meet.example.nl/" + "x" * 300),
            session("under-way", -timedelta(hours=1), location=long_place),
            session("led", timedelta(days=5), participants=(OTHER,), facilitators=(ME,)),
            session("past", -timedelta(days=20)),
        ],
    )
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page = context.new_page()
    serve(page, shown)
    page.goto(f"{ORIGIN}/mijn-besprekingen")
    page.wait_for_load_state("load")
    page.screenshot(path=str(artifacts_dir() / "web-my-discussions-phone.png"), full_page=True)
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
    assert axe_violations(page) == []
    context.close()
