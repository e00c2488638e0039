"""The planning pages' pure parts: the proposal as posted (people moved, a new group, saved groups
kept as they were, bad values), moments from the form in the hospital's zone, and a service's
refusal put in words (its field as the form's label, ids as names)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from spiegel_pages.look import PageError
from spiegel_pages.texts import text
from spiegel_web.planning import (
    GROUP_MONITOR,
    IFMS,
    in_words,
    local_moment,
    local_parts,
    proposal_from_form,
    suggested_minutes,
)
from spiegel_web.upstream import Upstream


@dataclass
class FakePage:
    lang: str

    def t(self, key: str, **values: object) -> str:
        return text(key, self.lang, **values)


def posted(**fields: object) -> dict[str, object]:
    return {"step": "proposal", "kind": IFMS, "mode": "separate_dates", "series_id": "series-1", **fields}


def test_a_person_moved_to_another_group_and_to_a_new_one() -> None:
    form = posted(
        groups="2",
        person=["a/ra", "b/rb", "c/rc", "d/rd"],
        to_a="1",
        to_b="2",  # moved from group 1
        to_c="2",
        to_d="9",  # not a group on the form: a new group after the last
        g1_date="2027-01-05",
        g1_starts="13:00",
        g1_ends="15:00",
        g1_location="Zaal 1",
        g1_facilitator=["f1", ""],
        g2_date="2027-01-12",
        g2_starts="13:00",
        g2_ends="15:00",
        g2_facilitator=["f2", "f3"],
    )
    proposal = proposal_from_form(form)
    assert [[p for p, _ in g.participants] for g in proposal.groups] == [["a"], ["b", "c"], ["d"]]
    assert [g.number for g in proposal.groups] == [1, 2, 3]
    assert proposal.groups[0].facilitators == ["f1"]
    assert proposal.groups[1].facilitators == ["f2", "f3"]
    # the new group starts from the last group's values, to be changed
    assert (proposal.groups[2].day, proposal.groups[2].facilitators) == ("2027-01-12", ["f2", "f3"])
    assert proposal.series_id == "series-1" and proposal.kind == IFMS


def test_saved_groups_stay_as_they_were_and_empty_groups_go() -> None:
    form = posted(
        groups="3",
        g1_saved="session-1",
        g1_people=["a/ra", "b/rb"],
        person=["c/rc", "e/re"],
        to_c="3",
        to_e="1",  # a saved group takes nobody new: a new group instead
        g3_date="2027-01-05",
    )
    proposal = proposal_from_form(form)
    assert [(g.number, g.saved, [p for p, _ in g.participants]) for g in proposal.groups] == [
        (1, "session-1", ["a", "b"]),
        (2, "", ["c"]),
        (3, "", ["e"]),
    ]
    assert proposal.numbers() == [2, 3]


def test_bad_values_are_dropped_or_refused() -> None:
    proposal = proposal_from_form(
        posted(
            groups="1", kind="<b>", mode="x", person=["a/ra", "no-round", "a b/r"], to_a="1", series_id="a/b"
        )
    )
    assert proposal.kind == IFMS and proposal.mode == "separate_dates" and proposal.series_id == ""
    assert [[p for p, _ in g.participants] for g in proposal.groups] == [["a"]]
    assert proposal_from_form(posted(groups="1", kind=GROUP_MONITOR)).kind == GROUP_MONITOR
    with pytest.raises(PageError):
        proposal_from_form(posted(groups="many"))


def test_moments_from_the_form_in_the_hospital_zone() -> None:
    moment = local_moment("2027-01-05", "13:30", "Europe/Amsterdam")
    assert moment is not None and moment.astimezone(UTC) == datetime(2027, 1, 5, 12, 30, tzinfo=UTC)
    assert local_moment("05-01-2027", "13:30", "Europe/Amsterdam") is None
    assert local_moment("2027-01-05", "25:00", "Europe/Amsterdam") is None
    assert local_parts("2027-07-05T11:00:00+00:00", "Europe/Amsterdam") == ("2027-07-05", "13:00")
    assert local_parts("not a moment", "Europe/Amsterdam") == ("", "")
    assert [suggested_minutes(n) for n in (1, 4, 6, 8, 30)] == [120, 120, 150, 180, 180]


def refusal(message: str, status: int = 422) -> Upstream:
    return Upstream(status, {}, json.dumps({"code": "session_invalid", "message": message}).encode())


def test_a_refusal_in_words() -> None:
    names = {"8d0c9a1e-person": "Dr. A. Arts", "r-1234567890": "IFMS 2026 – Dr. A. Arts"}
    nl, en = FakePage("nl"), FakePage("en")
    assert in_words(nl, refusal("starts_at: ligt in het verleden"), names) == "Begin: ligt in het verleden"
    assert in_words(en, refusal("location: give a place"), names) == "Place (room, address): give a place"
    worded = in_words(
        nl, refusal("participants[2].round_id: ronde r-1234567890 is niet van 8d0c9a1e-person"), names
    )
    assert worded == "Deelnemers: ronde IFMS 2026 – Dr. A. Arts is niet van Dr. A. Arts"
    assert in_words(nl, refusal("unknown_field: x"), {}) == "unknown_field: x"
    assert "500" in in_words(nl, Upstream(500, {}, b"oops"), {})
