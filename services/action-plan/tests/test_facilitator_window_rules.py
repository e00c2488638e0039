"""The facilitator's window on a group's plan (sessions/model.py): pure."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from spiegel_action_plan.sessions.model import CANCELLED, EDIT_MARGIN, PLANNED, facilitating, session_of

START = datetime(2026, 12, 7, 13, 0, tzinfo=UTC)
END = START + timedelta(hours=2)


def a_session(state: str = PLANNED) -> dict:
    return session_of(
        session_id="s-1",
        version=1,
        group_id="g-1",
        facilitator_ids=["fac", "fac", "co"],
        starts_at=START,
        ends_at=END,
        state=state,
    )


def test_the_window_is_the_start_until_the_end_plus_the_margin() -> None:
    session = a_session()
    assert session["facilitator_ids"] == ["fac", "co"]
    assert timedelta(hours=2) == EDIT_MARGIN
    assert not facilitating(session, "fac", "g-1", START - timedelta(seconds=1))
    assert facilitating(session, "fac", "g-1", START)
    assert facilitating(session, "co", "g-1", END)
    assert facilitating(session, "fac", "g-1", END + EDIT_MARGIN)
    assert not facilitating(session, "fac", "g-1", END + EDIT_MARGIN + timedelta(seconds=1))


def test_only_its_facilitators_on_its_group_of_a_planned_session() -> None:
    during = START + timedelta(minutes=30)
    assert not facilitating(a_session(), "member", "g-1", during)
    assert not facilitating(a_session(), "", "g-1", during)
    assert not facilitating(a_session(), "fac", "g-2", during)
    assert not facilitating(a_session(CANCELLED), "fac", "g-1", during)
    assert not facilitating(None, "fac", "g-1", during)
    naive = {**a_session(), "starts_at": START.replace(tzinfo=None), "ends_at": END.replace(tzinfo=None)}
    assert facilitating(naive, "fac", "g-1", during)  # as the database gives it back
