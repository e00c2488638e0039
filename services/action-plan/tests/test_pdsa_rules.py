"""The rules of improvement cycles (PDSA) and a measure over time, without servers."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from spiegel_action_plan.group_plans.cycles import Cycle, Point, check_cycles, check_points
from spiegel_action_plan.pops.model import RuleError

TODAY = date(2027, 3, 10)


def refused(cycles: list[Cycle]) -> RuleError:
    with pytest.raises(RuleError) as caught:
        check_cycles(cycles)
    return caught.value


def test_a_cycle_moves_from_plan_to_act_and_the_decision_opens_the_next() -> None:
    first = Cycle("", "Overdracht met checklist", "Minder gemiste punten")
    assert check_cycles([first])[0].stage == "plan"
    done = Cycle("c1", "Overdracht met checklist", "Minder", done="2 weken", observed="3 gemist")
    assert check_cycles([done])[0].stage == "do"
    studied = Cycle("c1", "Checklist", result="Van 8 naar 3 gemist", done="2 weken")
    assert check_cycles([studied])[0].stage == "study"
    decided = Cycle("c1", "Checklist", done="2 weken", result="Van 8 naar 3", decision="adapt")
    kept = check_cycles([decided, Cycle("", "Checklist ook in het weekend")])
    assert [c.stage for c in kept] == ["act", "plan"] and kept[1].cycle_id


@pytest.mark.parametrize(
    ("cycles", "field", "key"),
    [
        ([Cycle("", "  ")], "cycles[0].change", "pdsa.without_change"),
        ([Cycle("", "x", result="beter")], "cycles[0].result", "pdsa.study_before_do"),
        ([Cycle("", "x", done="ja", decision="adopt")], "cycles[0].decision", "pdsa.act_before_study"),
        (
            [Cycle("", "x", done="ja", result="r", decision="maybe")],
            "cycles[0].decision",
            "pdsa.unknown_decision",
        ),
        ([Cycle("", "x"), Cycle("", "y")], "cycles[1].change", "pdsa.previous_undecided"),
        (
            [Cycle("a", "x", done="d", result="r", decision="adapt"), Cycle("a", "y")],
            "cycles[1].cycle_id",
            "pdsa.cycle_twice",
        ),
        ([Cycle("", "x\x00")], "cycles[0].change", "pop.hidden_character"),
    ],
)
def test_a_cycle_out_of_order_or_with_bad_text_is_refused(cycles: list[Cycle], field: str, key: str) -> None:
    error = refused(cycles)
    assert (error.field, error.reason.key) == (field, key)


def test_the_measure_is_kept_in_date_order_and_bad_points_are_refused() -> None:
    points = [Point(TODAY, 3.0), Point(TODAY - timedelta(days=14), 8.0, "nulmeting")]
    assert [p.value for p in check_points(points, TODAY)] == [8.0, 3.0]
    for point, field in (
        (Point(TODAY + timedelta(days=1), 1.0), "measurements[0].on"),
        (Point(TODAY - timedelta(days=11 * 366), 1.0), "measurements[0].on"),
        (Point(TODAY, float("nan")), "measurements[0].value"),
        (Point(TODAY, float("inf")), "measurements[0].value"),
        (Point(TODAY, 1.0, "a\u202eb"), "measurements[0].note"),
    ):
        with pytest.raises(RuleError) as caught:
            check_points([point], TODAY)
        assert caught.value.field == field
