"""The report and the facilitator's preparation in a real browser (Chromium through Playwright): a
5,000-character title and a 3,000-character name are no wider than the window (issue 18's walk)."""

from __future__ import annotations

import random
from typing import Any

import pytest
from spiegel_aggregation.discussions.model import preparation
from spiegel_aggregation.discussions.page import render_preparation
from spiegel_aggregation.reports.builder import GroupInfo, RoundFacts, build_report
from spiegel_aggregation.reports.page import render_page
from spiegel_demo.instruments import ifms_instrument
from spiegel_demo.simulation import IFMS_GROUPS, random_responses

pytestmark = pytest.mark.browser

TITLE = "IFMS" + "x" * 5000
NAME = "Dr. " + "Ä" * 3000


def pages() -> dict[str, str]:
    instrument = ifms_instrument()
    facts = RoundFacts(
        "r1",
        "IFMS",
        TITLE,
        "spec-1",
        NAME,
        groups=tuple(GroupInfo(c, nl, en, s) for c, nl, en, s in IFMS_GROUPS),
    )
    responses = random_responses(random.Random(7), instrument, {"self": 1, "colleagues": 6, "staff": 5})
    body = build_report(
        facts,
        instrument,
        responses,
        threshold=4,
        report_id="r1.v1",
        version=1,
        published_at="2026-03-01T10:00:00+00:00",
    ).body
    group = {
        "id": "d",
        "kind": "IFMS",
        "facilitator_ids": ["f"],
        "round_ids": ["r1"],
        "starts_at": None,
    }
    return {
        "report": render_page(body, "nl"),
        "preparation": render_preparation(preparation(group, [body], []), "nl"),
    }


def test_long_titles_and_names_wrap_in_the_report_and_the_preparation(browser: Any) -> None:
    for width in (1280, 390):
        context = browser.new_context(viewport={"width": width, "height": 800})
        for name, html in pages().items():
            page = context.new_page()
            page.set_content(html)
            wide = page.evaluate("() => document.documentElement.scrollWidth")
            assert wide <= width, f"{name} at {width}px is {wide}px wide"
            page.close()
        context.close()
