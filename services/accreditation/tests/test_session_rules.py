"""The rules of discussion sessions, without servers (sessions/model.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from spiegel_accreditation.sessions import model
from spiegel_accreditation.sessions.model import (
    GROUP_MONITOR,
    IFMS,
    ONE_MOMENT,
    SEPARATE_DATES,
    Participant,
    RoundFacts,
    RuleError,
)

NOW = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
HORIZON = timedelta(days=730)


def people(n: int) -> list[Participant]:
    return [Participant(f"spec-{i}", f"round-{i}") for i in range(n)]


def closed_rounds(participants: list[Participant]) -> dict[str, RoundFacts]:
    return {p.round_id: RoundFacts(p.round_id, IFMS, p.person_id, closed=True) for p in participants}


@pytest.mark.parametrize(
    ("count", "sizes"),
    [(1, [1]), (8, [8]), (9, [5, 4]), (11, [6, 5]), (16, [8, 8]), (17, [6, 6, 5]), (200, [8] * 25)],
)
def test_split_sizes_are_the_fewest_balanced_groups_of_at_most_8(count: int, sizes: list[int]) -> None:
    assert model.split_sizes(count) == sizes


@given(st.integers(min_value=1, max_value=1000))
def test_every_split_keeps_everyone_once_in_groups_differing_by_one_at_most(count: int) -> None:
    items = list(range(count))
    groups = model.split(items)
    assert [i for g in groups for i in g] == items
    sizes = [len(g) for g in groups]
    assert max(sizes) <= 8 and max(sizes) - min(sizes) <= 1
    assert len(groups) == -(-count // 8)


def test_suggested_duration_is_two_to_three_hours_by_size() -> None:
    assert [model.suggested_minutes(n) for n in (1, 4, 5, 6, 7, 8, 30)] == [120, 120, 135, 150, 165, 180, 180]
    with pytest.raises(ValueError):
        model.suggested_minutes(0)


def test_times_past_far_ahead_and_backwards_are_refused_with_their_field() -> None:
    start = NOW + timedelta(days=10)
    model.check_times(start, start + timedelta(hours=2), now=NOW, horizon=HORIZON)
    cases = [
        (NOW - timedelta(minutes=1), NOW + timedelta(hours=2), "starts_at", "verleden"),
        (datetime(3000, 1, 1, tzinfo=UTC), datetime(3000, 1, 1, 3, tzinfo=UTC), "starts_at", "dagen vooruit"),
        (NOW + timedelta(days=731), NOW + timedelta(days=731, hours=2), "starts_at", "730 dagen"),
        (start, start - timedelta(hours=1), "ends_at", "na het begin"),
        (start, start, "ends_at", "na het begin"),
        (start, start + timedelta(hours=13), "ends_at", "12 uur"),
        (start.replace(tzinfo=None), start + timedelta(hours=2), "starts_at", "tijdzone"),
    ]
    for begin, end, field, words in cases:
        with pytest.raises(RuleError) as refused:
            model.check_times(begin, end, now=NOW, horizon=HORIZON)
        assert refused.value.field == field and words in str(refused.value.reason), (begin, end)
    with pytest.raises(RuleError) as english:
        model.check_times(NOW - timedelta(days=1), NOW, now=NOW, horizon=HORIZON)
    assert english.value.reason.in_language("en") == "lies in the past"


def test_an_ifms_session_has_one_to_eight_participants_with_their_own_closed_rounds() -> None:
    eight = people(8)
    model.check_participants(IFMS, eight, closed_rounds(eight))
    nine = people(9)
    with pytest.raises(RuleError) as refused:
        model.check_participants(IFMS, nine, closed_rounds(nine))
    assert refused.value.field == "participants" and "9" in str(refused.value.reason)
    with pytest.raises(RuleError) as empty:
        model.check_participants(IFMS, [], {})
    assert empty.value.field == "participants"

    two = people(2)
    rounds = closed_rounds(two)
    with pytest.raises(RuleError) as unknown:
        model.check_participants(IFMS, two, {two[0].round_id: rounds[two[0].round_id]})
    assert unknown.value.field == "participants[1].round_id"
    open_round = {
        **rounds,
        two[1].round_id: RoundFacts(two[1].round_id, IFMS, two[1].person_id, closed=False),
    }
    with pytest.raises(RuleError) as still_open:
        model.check_participants(IFMS, two, open_round)
    assert still_open.value.field == "participants[1].round_id" and "niet gesloten" in str(still_open.value)
    someone_elses = [two[0], Participant("spec-x", two[1].round_id)]
    with pytest.raises(RuleError) as not_theirs:
        model.check_participants(IFMS, someone_elses, rounds)
    assert not_theirs.value.field == "participants[1].round_id"
    with pytest.raises(RuleError) as twice:
        model.check_participants(IFMS, [two[0], two[0]], rounds)
    assert twice.value.field == "participants[1].person_id"
    gm_round = {
        two[0].round_id: RoundFacts(two[0].round_id, GROUP_MONITOR, "group", (two[0].person_id,), True)
    }
    with pytest.raises(RuleError) as other_kind:
        model.check_participants(IFMS, [two[0]], gm_round)
    assert other_kind.value.field == "participants[0].round_id"
    with pytest.raises(RuleError) as group:
        model.check_participants(IFMS, [two[0]], rounds, group_id="g")
    assert group.value.field == "group_id"


def test_a_group_monitor_session_is_the_whole_group_of_one_closed_round() -> None:
    members = ("m1", "m2", "m3")
    rounds = {"gm": RoundFacts("gm", GROUP_MONITOR, "vakgroep-kno", members, closed=True)}
    whole = [Participant(m, "gm") for m in members]
    model.check_participants(GROUP_MONITOR, whole, rounds, "vakgroep-kno")
    with pytest.raises(RuleError) as partial:
        model.check_participants(GROUP_MONITOR, whole[:2], rounds, "vakgroep-kno")
    assert partial.value.field == "participants" and "m3" in str(partial.value.reason)
    with pytest.raises(RuleError) as stranger:
        model.check_participants(GROUP_MONITOR, [*whole, Participant("x", "gm")], rounds, "vakgroep-kno")
    assert stranger.value.field == "participants[3].person_id"
    with pytest.raises(RuleError) as no_group:
        model.check_participants(GROUP_MONITOR, whole, rounds)
    assert no_group.value.field == "group_id"
    with pytest.raises(RuleError) as wrong_group:
        model.check_participants(GROUP_MONITOR, whole, rounds, "vakgroep-ok")
    assert wrong_group.value.field == "group_id"
    # More than 8 is fine for a group: the whole group is one discussion.
    big = tuple(f"m{i}" for i in range(12))
    big_round = {"gm": RoundFacts("gm", GROUP_MONITOR, "g", big, closed=True)}
    model.check_participants(GROUP_MONITOR, [Participant(m, "gm") for m in big], big_round, "g")


def test_facilitators_one_or_two_never_a_participant() -> None:
    two = people(2)
    model.check_facilitators(["f1"], two)
    model.check_facilitators(["f1", "f2"], two)
    for wrong, field in (
        ([], "facilitator_ids"),
        (["f1", "f2", "f3"], "facilitator_ids"),
        (["f1", "f1"], "facilitator_ids"),
        (["f1", "spec-1"], "facilitator_ids[1]"),
    ):
        with pytest.raises(RuleError) as refused:
            model.check_facilitators(wrong, two)
        assert refused.value.field == field


def test_place_or_link_is_needed_and_checked() -> None:
    model.check_place("Vergaderzaal 3, Ziekenhuis Oost", "")
    model.check_place("", "https://meet.example.nl/ifms-3")
    for location, link, field in (
        ("", "", "location"),
        ("  ", "", "location"),
        ("Zaal\u202e3", "", "location"),
        ("", "javascript:alert(1)", "online_url"),
        ("", "https://", "online_url"),
        ("", "https://meet.example.nl/a b", "online_url"),
    ):
        with pytest.raises(RuleError) as refused:
            model.check_place(location, link)
        assert refused.value.field == field, (location, link)


def test_proposal_separate_dates_one_group_after_the_other() -> None:
    chosen = people(11)
    start = NOW + timedelta(days=14)
    drafts = model.propose(
        chosen, mode=SEPARATE_DATES, starts_at=start, interval=timedelta(days=7), facilitator_ids=["f1", "f2"]
    )
    assert [len(d.participants) for d in drafts] == [6, 5]
    assert [d.starts_at for d in drafts] == [start, start + timedelta(days=7)]
    assert [d.ends_at - d.starts_at for d in drafts] == [timedelta(minutes=150), timedelta(minutes=135)]
    assert [d.facilitator_ids for d in drafts] == [["f1"], ["f2"]]
    assert [p for d in drafts for p in d.participants] == chosen


def test_proposal_one_moment_same_time_own_rooms() -> None:
    drafts = model.propose(
        people(17),
        mode=ONE_MOMENT,
        starts_at=NOW,
        rooms=["Zaal A", "Zaal B"],
        facilitator_ids=["f1", "f2", "f3"],
    )
    assert [len(d.participants) for d in drafts] == [6, 6, 5]
    assert {d.starts_at for d in drafts} == {NOW} and {d.ends_at for d in drafts} == {
        NOW + timedelta(minutes=150)
    }
    assert [d.location for d in drafts] == ["Zaal A", "Zaal B", ""]
    assert [d.facilitator_ids for d in drafts] == [["f1"], ["f2"], ["f3"]]
    with pytest.raises(RuleError) as refused:
        model.propose(people(3), mode="sometime", starts_at=NOW)
    assert refused.value.field == "mode"


def test_two_hundred_specialists_are_split_quickly() -> None:
    import time

    began = time.perf_counter()
    drafts = model.propose(people(200), mode=SEPARATE_DATES, starts_at=NOW)
    assert len(drafts) == 25 and all(len(d.participants) == 8 for d in drafts)
    assert time.perf_counter() - began < 0.1
