"""The POP's rules, pure: texts, dates, goals, prompts, the review of the previous POP."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from spiegel_action_plan.pops import model
from spiegel_action_plan.pops.model import Content, Goal, ReviewItem, RuleError, Why

TODAY = date(2027, 3, 1)


def goal(**kw: object) -> Goal:
    return Goal(**{"id": "", "what": "Elke week één slecht-nieuwsgesprek samen voeren met een collega", **kw})  # type: ignore[arg-type]


def test_html_stays_text_and_control_characters_are_refused_by_field() -> None:
    kept = model.check_goals([goal(what="<script>alert(1)</script> bespreken")], [], TODAY)
    assert kept[0].what == "<script>alert(1)</script> bespreken"
    for bad in ("\x00", "\x07", "\u202e", "\u2028"):
        with pytest.raises(RuleError) as caught:
            model.check_goals([goal(), goal(how=f"stap{bad}een")], [], TODAY)
        assert caught.value.field == "goals[1].how"
    assert model.check_text("keep_and_extend", "regel 1\r\nregel 2\tmet tab ") == "regel 1\nregel 2\tmet tab"
    with pytest.raises(RuleError):
        model.check_text("label", "a\nb", multiline=False)


def test_dates_from_today_to_five_years_and_an_old_date_kept_where_it_was() -> None:
    assert model.check_goals([goal(by_when=TODAY)], [], TODAY)[0].by_when == TODAY
    with pytest.raises(RuleError, match="by_when") as caught:
        model.check_goals([goal(by_when=TODAY - timedelta(days=1))], [], TODAY)
    assert caught.value.reason.key == "pop.date_in_past"
    with pytest.raises(RuleError) as caught:
        model.check_goals([goal(by_when=date(3000, 1, 1))], [], TODAY)
    assert caught.value.reason.key == "pop.date_too_far"
    saved = model.check_goals([goal(by_when=TODAY)], [], TODAY)
    later = TODAY + timedelta(days=400)
    assert model.check_goals(list(saved), saved, later)[0].by_when == TODAY  # unchanged: kept
    with pytest.raises(RuleError):
        model.check_goals([goal(id=saved[0].id, by_when=TODAY + timedelta(days=1))], saved, later)


def test_goal_ids_are_given_once_and_kept() -> None:
    first = model.check_goals([goal(), goal(what="Tweede doel met 3 stappen")], [], TODAY)
    assert len({g.id for g in first}) == 2 and all(g.id for g in first)
    again = model.check_goals(list(first), first, TODAY)
    assert [g.id for g in again] == [g.id for g in first]
    with pytest.raises(RuleError, match=r"goals\[1\]\.id"):
        model.check_goals([goal(id="a"), goal(id="a")], [], TODAY)
    with pytest.raises(RuleError, match="goals"):
        model.check_goals([goal() for _ in range(model.MAX_GOALS + 1)], [], TODAY)


def test_prompts_are_gentle_and_disappear_when_the_goal_is_specific_and_measurable() -> None:
    vague = Goal(id="g", what="Beter luisteren")
    assert set(model.prompts(vague)) == {
        "pop.prompt.specific",
        "pop.prompt.measurable",
        "pop.prompt.evidence",
        "pop.prompt.when",
        "pop.prompt.why",
        "pop.prompt.how",
    }
    specific = Goal(
        id="g",
        what="In elk polikliniekgesprek eerst twee minuten laten uitpraten",
        why=(Why("development_point", "item-7", "Luisteren"),),
        how="Kaartje op het bureau; collega observeert",
        by_when=TODAY,
        evidence="Bij de volgende IFMS scoort luisteren minstens 4",
    )
    assert model.prompts(specific) == []


def test_the_review_needs_every_previous_goal_once_and_a_reason_to_drop() -> None:
    previous = [Goal(id="a", what="A doel"), Goal(id="b", what="B doel"), Goal(id="c", what="C doel")]
    with pytest.raises(RuleError) as caught:
        model.check_review(previous, [ReviewItem("a", "achieved")])
    assert caught.value.reason.key == "pop.review_incomplete"
    with pytest.raises(RuleError, match=r"items\[1\]\.reason"):
        model.check_review(previous, [ReviewItem("a", "achieved"), ReviewItem("b", "dropped", "  ")])
    with pytest.raises(RuleError, match=r"items\[0\]\.goal_id"):
        model.check_review(previous, [ReviewItem("x", "achieved")])
    review = model.check_review(
        previous,
        [
            ReviewItem("c", "carried_forward"),
            ReviewItem("a", "achieved"),
            ReviewItem("b", "dropped", "Andere prioriteit"),
        ],
    )
    assert [r.goal_id for r in review] == ["a", "b", "c"]
    goals = model.carried_forward(previous, review, ())
    assert [(g.what, g.carried_from, g.by_when) for g in goals] == [("C doel", "c", None)]
    # Reviewing again carries nothing twice.
    assert model.carried_forward(previous, review, goals) == goals


def test_content_round_trips_through_its_stored_form() -> None:
    content = Content(
        keep_and_extend="Rust in de overdracht",
        goals=(Goal(id="g", what="x", why=(Why("blind_spot", "r1", "Feedback geven"),), by_when=TODAY),),
        review=(ReviewItem("old", "dropped", "reden"),),
    )
    assert Content.of(content.as_dict()) == content
