"""The layout in a real browser (Debian's Chromium through Playwright), on the real templates and the
real stylesheet and script, served as the web service serves them: a page full of 5,000-character
titles and 3,000-character names is no wider than the window, and on a phone a jumped-to item's
heading is not hidden under the sticky progress box (issue 18, the findings of the walk).

No servers: the pages are rendered here as the routes render them, and the browser loads them (and
/static/) from a route of Playwright's, so the test runs in seconds."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
import spiegel_pages
from spiegel_web import core
from spiegel_web.rounds import Specialist
from test_web_walk import COORDINATOR, HOSPITAL, QUESTIONNAIRE, RESPONDENT, request

pytestmark = pytest.mark.browser

STATIC = spiegel_pages.__file__.rsplit("/", 1)[0] + "/static"
ORIGIN = "http://spiegel.test"
TITLE = "Groepsmonitor" + "x" * 5000
NAME = "Dr. " + "Ä" * 3000
LONG_HOSPITAL = replace(HOSPITAL, name="Ziekenhuis" + "z" * 3000)


def rendered(template: str, caller: Any = COORDINATOR, **values: Any) -> str:
    page = core.Page(request("/x"), LONG_HOSPITAL, caller, "nl")
    return bytes(page.render(template, **values).body).decode()


def pages() -> dict[str, str]:
    round_row = {
        "id": "r1",
        "title": TITLE,
        "kind": "GROUP_MONITOR",
        "status": "open",
        "closes_at": "2027-01-01T17:00",
    }
    many_items = {
        **QUESTIONNAIRE,
        "title": TITLE,
        "intro": TITLE,
        "themes": [
            {
                "id": f"t{n}",
                "label": f"Thema {n} " + "t" * 400,
                "statements": [
                    {"id": f"s{n}_{m}", "text": f"Stelling {n}.{m} " + "s" * 300} for m in range(4)
                ],
            }
            for n in range(4)
        ],
    }
    return {
        "people-check": people_check(NAME),
        "rounds": rendered("rounds/list.html", rounds=[round_row], total=1, filter_status=None),
        "new-round": rendered(
            "rounds/new.html",
            specialists=[Specialist("p1", NAME, "a@x.nl")],
            default_close="2027-01-01",
            gm_errors=["Titel: te lang"],
            gm_form={"title": TITLE, "group_name": NAME, "members": ["p1"]},
        ),
        "nominations": rendered(
            "nominations.html",
            round_id="r1",
            view={
                "title": TITLE,
                "subject": {"display_name": NAME},
                "groups": [{"code": "staff", "label_nl": NAME}],
            },
            groups=[{"code": "staff", "label_nl": NAME}],
            counts={"staff": 1},
            completed={},
            progress=None,
            nominations=[
                {"assignment_id": "a1", "group": "staff", "name": NAME, "email": "b@" + "y" * 200 + ".nl"}
            ],
            warnings=[NAME],
            counts_json="{}",
            advised=6,
            reported=4,
        ),
        "questionnaire": rendered(
            "respondent/questionnaire.html",
            caller=RESPONDENT,
            q=many_items,
            round={"title": TITLE, "kind": "IFMS", "subject": NAME, "closes_at": "2027-01-01T17:00:00+01:00"},
            group={"code": "colleagues", "label": NAME, "is_self": False},
            answers={"ratings": {}, "comments": {}},
            answered=0,
            required=16,
            nvt=0,
            missing=[{"id": "s3_2", "theme": "Thema 3", "text": "Stelling 3.2"}],
        ),
    }


PEOPLE_COLUMNS = ("name", "email", "role", "specialism", "group", "employment", "big_number")
SHORT_WORDS = ("Cardiologie", "Longziekten", "vrijgevestigd", "loondienst", "specialist", "19012345601")


def people_check(long_value: str = "") -> str:
    """The people import's check page: 30 ordinary rows, one with an error and a suggested fix, and
    (when given) one with a value of thousands of letters."""
    rows = []
    for n in range(2, 32):
        values = dict(
            zip(
                PEOPLE_COLUMNS,
                (f"Dr. Persoon {n}", f"persoon.{n}@ziekenhuis-rivierenland.nl", "specialist",
                 "Cardiologie" if n % 2 else "Longziekten", "Vakgroep Cardiologie",
                 "vrijgevestigd" if n % 2 else "loondienst", "19012345601"),
                strict=True,
            )
        )  # fmt: skip
        rows.append({"row": n, "values": values, "status": "ok", "shown_problems": []})
    rows[3]["status"] = "error"
    rows[3]["shown_problems"] = [
        {"column": "email", "text": "het adres wordt opgeslagen in kleine letters", "suggestion": "a@b.nl"}
    ]
    if long_value:
        rows[4]["values"]["name"] = long_value
    return rendered(
        "people/import_preview.html",
        result={"filename": "mensen.xlsx", "import_id": "i1", "new_groups": [], "hidden_sheets": [],
                "summary": {"rows": 30, "ok": 29, "warnings": 0, "errors": 1}},
        rows=rows, columns=PEOPLE_COLUMNS, problems=[], ticked_rows=set(), ticked_fixes=set(),
        apply_all=False, send_activation=True,
    )  # fmt: skip


def serve(page: Any, html: str) -> None:
    def answer(route: Any) -> None:
        url = route.request.url
        if url.startswith(f"{ORIGIN}/static/"):
            name = url.rsplit("/", 1)[1]
            kind = "text/css" if name.endswith(".css") else "text/javascript"
            with open(f"{STATIC}/{name}", "rb") as file:
                route.fulfill(status=200, body=file.read(), content_type=kind)
        else:
            route.fulfill(status=200, body=html, content_type="text/html; charset=utf-8")

    page.route(f"{ORIGIN}/**", answer)


def test_long_titles_and_names_wrap_on_every_page(browser: Any) -> None:
    for width, height in ((1280, 800), (390, 844)):
        context = browser.new_context(viewport={"width": width, "height": height})
        for name, html in pages().items():
            page = context.new_page()
            serve(page, html)
            page.goto(f"{ORIGIN}/{name}")
            page.wait_for_load_state("load")
            wide = page.evaluate("() => document.documentElement.scrollWidth")
            assert wide <= width, f"{name} at {width}px is {wide}px wide"
            page.close()
        context.close()


def test_on_a_phone_a_jumped_to_item_is_below_the_sticky_progress_box(browser: Any) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page = context.new_page()
    serve(page, pages()["questionnaire"])
    page.goto(f"{ORIGIN}/vragenlijst")
    page.wait_for_load_state("load")
    page.locator("#missing-summary a").first.click()  # the link to the missing item
    page.wait_for_function("() => location.hash === '#item-s3_2'")
    page.wait_for_timeout(300)
    box = page.locator(".progress.sticky").bounding_box()
    legend = page.locator("#item-s3_2 legend").bounding_box()
    assert box is not None and legend is not None
    assert box["y"] <= 1, box  # the box is stuck at the top: the item was scrolled to
    assert legend["y"] >= box["y"] + box["height"], (box, legend)
    context.close()


def test_the_import_check_keeps_ordinary_words_whole(browser: Any) -> None:
    """Found in the hospital's start in the browser: on the people import's check page at 1280 px
    every column was one or two letters wide ("Cardiolo|gie", "R|ij", row "1|6")."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    serve(page, people_check())
    page.goto(f"{ORIGIN}/mensen/importeren/i1")
    page.wait_for_load_state("load")
    broken = page.evaluate(
        """(words) => {
            const found = [];
            for (const cell of document.querySelectorAll('table.import th, table.import td .value')) {
              const text = cell.textContent.trim();
              if (!text || text.includes(' ') || text.length > 18) continue;
              const range = document.createRange();
              range.selectNodeContents(cell);
              const lines = new Set([...range.getClientRects()].map(r => Math.round(r.top)));
              if (lines.size > 1) found.push(text);
            }
            return found;
        }""",
        list(SHORT_WORDS),
    )
    assert not broken, f"words broken in two: {sorted(set(broken))}"
    context.close()
