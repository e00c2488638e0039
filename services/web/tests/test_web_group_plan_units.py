"""The group plan pages' pure parts: the forms read back, the run chart drawn (no servers)."""

from __future__ import annotations

import re

from spiegel_web.group_plans import actions_from_form, cycles_from_form, points_from_form, run_chart


def test_the_forms_are_read_in_order_without_the_empty_rows() -> None:
    form = {
        "action-1-description": "Tweede",
        "action-1-owner_person_id": "p2",
        "action-1-embedding_kind": "hope",
        "action-0-description": "Eerste",
        "action-0-item_kind": "suggestion",
        "action-0-item_label": "Rooster",
        "action-2-description": "  ",
    }
    actions = actions_from_form(form)
    assert [a["description"] for a in actions] == ["Eerste", "Tweede"]
    assert actions[0]["report_items"] == [{"kind": "suggestion", "ref": "own-words", "label": "Rooster"}]
    assert actions[1]["embedding"]["kind"] == "other" and actions[1]["status"] == "open"
    cycles = cycles_from_form(
        {"cycle-0-change": "Checklist", "cycle-0-decision": "maybe", "cycle-1-change": ""}
    )
    assert cycles == [
        {"change": "Checklist", "prediction": "", "done": "", "observed": "", "result": "", "decision": ""}
    ]
    points, bad = points_from_form(
        {"point-0-on": "2027-01-01", "point-0-value": "3,5", "point-1-on": "", "point-1-value": ""}
    )
    assert points == [{"on": "2027-01-01", "value": 3.5, "note": ""}] and bad == ""
    _, bad = points_from_form({"point-0-on": "2027-01-01", "point-0-value": "veel"})
    assert bad == "measurements[0].value"


def test_the_run_chart_is_inline_svg_with_its_median_and_escaped_texts() -> None:
    points = [
        {"on": "2027-01-01", "value": 8.0},
        {"on": "2027-01-15", "value": 5.0},
        {"on": "2027-02-01", "value": 3.0},
    ]
    svg = str(run_chart(points, 'Runchart <script>"x"', "mediaan"))
    assert svg.startswith("<svg") and svg.count("<circle") == 3
    assert "mediaan 5" in svg and 'class="median"' in svg
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    xs = [float(x) for x in re.findall(r'<circle cx="([\d.]+)"', svg)]
    assert xs == sorted(xs) and xs[0] < xs[-1]
    assert str(run_chart([], "x", "m")) == ""
    single = str(run_chart([{"on": "2027-01-01", "value": 2.0}], "x", "m"))
    assert single.count("<circle") == 1 and "nan" not in single
