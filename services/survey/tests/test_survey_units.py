"""Unit tests of the pure parts: instruments, answer validation, round lifecycle and groups."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError
from spiegel_survey.instruments.catalogue import built_ins, published_event
from spiegel_survey.instruments.model import Instrument, Kind, Perspective
from spiegel_survey.responses.questionnaire import render
from spiegel_survey.responses.validation import AnswersIn, validate
from spiegel_survey.rounds.model import (
    LifecycleError,
    RoundStatus,
    check_close,
    check_extend,
    check_open,
    is_due,
    respondent_groups,
)

IFMS = built_ins()[("ifms", 1)]
GROUP = built_ins()[("groepsmonitor", 1)]
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def complete(instrument: Instrument) -> dict[str, object]:
    spec = instrument.answer_spec
    return {
        "ratings": {item: spec.ratings[item][1] for item in spec.order},
        "comments": {"goes_well": "Goed"},
    }


# -- instruments ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("instrument", "kind", "self_words", "other_words"),
    [
        (IFMS, Kind.IFMS, r"^Ik ", r"^De specialist "),
        (GROUP, Kind.GROUP_MONITOR, r"\b(wij|we|ons|onze)\b", r"\bgroep"),
    ],
)
def test_built_in_instruments(instrument, kind, self_words, other_words) -> None:  # type: ignore[no-untyped-def]
    assert instrument.kind is kind
    assert 25 <= instrument.statement_count <= 35
    assert len(instrument.themes) >= 5
    assert [q.id for q in instrument.open_questions] == [
        "explanation",
        "goes_well",
        "could_improve",
        "suggestions",
    ]
    grade = next(g for g in instrument.global_items if g.id == "overall_grade")
    assert (grade.min, grade.max) == (1, 10)
    assert instrument.scale.not_applicable.nl.startswith("Kan ik niet beoordelen")
    for theme in instrument.themes:
        for statement in theme.statements:
            assert re.search(self_words, statement.self.nl, re.IGNORECASE), statement.self.nl
            assert re.search(other_words, statement.other.nl, re.IGNORECASE), statement.other.nl
            assert statement.self.en != statement.self.nl and statement.other.en != statement.other.nl
    texts = [s.other.nl for t in instrument.themes for s in t.statements]
    assert len(set(texts)) == len(texts)


def test_instruments_are_checked_when_loaded() -> None:
    raw = IFMS.model_dump(mode="json")
    duplicate = {**raw, "themes": [raw["themes"][0], raw["themes"][0]]}
    with pytest.raises(ValidationError, match=r"used twice|unique"):
        Instrument.model_validate(duplicate)
    with pytest.raises(ValidationError, match="anchors"):
        Instrument.model_validate({**raw, "scale": {**raw["scale"], "max": 7}})
    without_english = dict(raw)
    without_english["title"] = {"nl": "Titel"}
    with pytest.raises(ValidationError, match=r"title\.en"):
        Instrument.model_validate(without_english)


def test_published_event_carries_the_whole_version() -> None:
    event = published_event(IFMS)
    assert event.instrument_id == "ifms" and event.version == 1 and event.built_in
    assert len(event.statements) == IFMS.statement_count
    assert sum(len(t.item_ids) for t in event.themes) == IFMS.statement_count
    assert {s.theme_id for s in event.statements} == {t.id for t in IFMS.themes}
    assert [a.value for a in event.scale.anchors] == [1, 2, 3, 4, 5]
    assert event.global_items[0].allows_not_applicable


def test_questionnaire_per_perspective_and_language() -> None:
    own = render(GROUP, Perspective.SELF, "nl")
    theirs = render(GROUP, Perspective.OTHER, "en")
    assert own["themes"][0]["statements"][0]["text"].startswith("Wij")
    assert theirs["themes"][0]["statements"][0]["text"].startswith("The group")
    assert theirs["scale"]["not_applicable"] == {"value": "nvt", "label": "Cannot judge / not applicable"}


# -- answers --------------------------------------------------------------------------------------


def test_complete_answers_pass_and_missing_ones_are_named() -> None:
    answers = AnswersIn.model_validate(complete(IFMS))
    assert validate(IFMS.answer_spec, answers, complete=True) == []
    del answers.ratings["le2"]
    problems = validate(IFMS.answer_spec, answers, complete=True)
    assert [p.field for p in problems] == ["ratings.le2"]
    assert validate(IFMS.answer_spec, answers, complete=False) == []


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"ratings": {"me1": 0}}, "ratings.me1"),
        ({"ratings": {"me1": 6}}, "ratings.me1"),
        ({"ratings": {"overall_grade": 11}}, "ratings.overall_grade"),
        ({"ratings": {"nope": 3}}, "ratings.nope"),
        ({"comments": {"goes_well": "x" * 2001}}, "comments.goes_well"),
        ({"comments": {"nope": "x"}}, "comments.nope"),
        ({"comments": {"explanation": "a\x00b"}}, "comments.explanation"),
    ],
)
def test_bad_answers_are_named(change, field) -> None:  # type: ignore[no-untyped-def]
    body = complete(IFMS)
    for key, values in change.items():
        body[key] = {**body[key], **values}  # type: ignore[dict-item]
    problems = validate(IFMS.answer_spec, AnswersIn.model_validate(body), complete=True)
    assert [p.field for p in problems] == [field]


def test_shape_is_strict() -> None:
    for bad in ({"ratings": {"me1": "4"}}, {"ratings": {"me1": True}}, {"ratings": {"me1": 4.0}}, {"x": 1}):
        with pytest.raises(ValidationError):
            AnswersIn.model_validate(bad)
    assert AnswersIn.model_validate({"ratings": {"me1": "nvt"}}).ratings == {"me1": "nvt"}


@given(
    ratings=st.dictionaries(
        st.sampled_from([*IFMS.answer_spec.order, "x", "me99"]),
        st.integers(-5, 20) | st.just("nvt"),
        max_size=45,
    ),
    comments=st.dictionaries(
        st.sampled_from(["goes_well", "suggestions", "zz"]), st.text(max_size=2100), max_size=3
    ),
    full=st.booleans(),
)
def test_validation_names_fields_and_accepts_exactly_the_valid(ratings, comments, full) -> None:  # type: ignore[no-untyped-def]
    spec = IFMS.answer_spec
    answers = AnswersIn.model_validate({"ratings": ratings, "comments": comments})
    problems = validate(spec, answers, complete=full)
    fields = {p.field for p in problems}
    assert all(f.startswith(("ratings.", "comments.")) for f in fields)
    valid_ratings = all(
        item in spec.ratings and (value == "nvt" or spec.ratings[item][0] <= value <= spec.ratings[item][1])
        for item, value in ratings.items()
    )
    valid_comments = all(
        key in spec.comments and len(text) <= spec.comments[key] and "\x00" not in text
        for key, text in comments.items()
    )
    covered = not full or set(spec.order) <= set(ratings)
    assert (not problems) == (valid_ratings and valid_comments and covered)


# -- rounds ---------------------------------------------------------------------------------------


def test_lifecycle() -> None:
    later = NOW + timedelta(days=7)
    check_open(RoundStatus.DRAFT, NOW, later)
    with pytest.raises(LifecycleError):
        check_open(RoundStatus.OPEN, NOW, later)
    with pytest.raises(LifecycleError, match="closing time has passed"):
        check_open(RoundStatus.DRAFT, later, NOW)
    check_close(RoundStatus.OPEN)
    for status in (RoundStatus.DRAFT, RoundStatus.CLOSED):
        with pytest.raises(LifecycleError):
            check_close(status)
    check_extend(RoundStatus.OPEN, NOW, later, later + timedelta(days=1))
    with pytest.raises(LifecycleError, match="later"):
        check_extend(RoundStatus.OPEN, NOW, later, later)
    with pytest.raises(LifecycleError, match="passed"):
        check_extend(RoundStatus.OPEN, later + timedelta(seconds=1), later, later + timedelta(days=1))
    assert is_due(RoundStatus.OPEN, later, later)
    assert not is_due(RoundStatus.OPEN, NOW, later)
    assert not is_due(RoundStatus.CLOSED, later, later)


def test_respondent_groups() -> None:
    ifms = respondent_groups(Kind.IFMS, flex_label_nl="OK-team")
    assert [(g.code, g.is_self) for g in ifms] == [
        ("self", True),
        ("colleagues", False),
        ("staff", False),
        ("flex", False),
    ]
    assert (ifms[3].label_nl, ifms[3].label_en) == ("OK-team", "OK-team")
    group = respondent_groups(Kind.GROUP_MONITOR)
    assert [g.code for g in group] == ["members", "colleagues", "staff", "managers", "referrers", "partners"]
    assert group[0].is_self
    assert respondent_groups(Kind.GROUP_MONITOR, include_patients=True)[-1].label_nl == "Patiënten"


def test_a_new_round_is_announced_with_what_is_stored() -> None:
    from spiegel_survey.rounds.service import created_event, new_round_document

    closes = datetime(2026, 4, 1, 15, 0, 0, 123456, tzinfo=UTC)
    doc = new_round_document(
        kind=Kind.GROUP_MONITOR,
        title="Groepsmonitor 2026",
        subject={"subject_id": "group-1", "display_name": "Vakgroep Cardiologie", "member_ids": ["a", "b"]},
        instrument=GROUP,
        groups=respondent_groups(Kind.GROUP_MONITOR),
        opens_at=None,
        closes_at=closes,
        created_by="coordinator-1",
    )
    event = created_event(doc)
    assert event.round_id == doc["id"] and event.title == "Groepsmonitor 2026"
    assert (
        list(event.subject.member_ids) == ["a", "b"] and event.subject.display_name == "Vakgroep Cardiologie"
    )
    assert [g.code for g in event.respondent_groups] == [g["code"] for g in doc["respondent_groups"]]
    assert (event.instrument_id, event.instrument_version) == ("groepsmonitor", 1)
    assert not event.HasField("opens_at")  # no planned opening
    # Whole milliseconds, as the database keeps it (and RoundOpened, made from the stored round, says).
    assert event.closes_at.ToDatetime(tzinfo=UTC) == closes.replace(microsecond=123000)
    # Only who the round is about (specialists), never a respondent; the threshold comes at opening.
    assert {f.name for f, _ in event.ListFields()} <= {
        "round_id",
        "kind",
        "subject",
        "instrument_id",
        "instrument_version",
        "opens_at",
        "closes_at",
        "respondent_groups",
        "title",
    }


def test_an_introduction_neither_repeats_the_page_nor_borrows_the_other_instruments_words() -> None:
    # Walk finding: the page says how long filling in takes and that answers are anonymous (with
    # the threshold that applies); the instrument's own introduction said it again, with other
    # figures, and the Groepsmonitor's spoke of "the specialist".
    for instrument in built_ins().values():
        for perspective in Perspective:
            for language in ("nl", "en"):
                intro = render(instrument, perspective, language)["intro"]
                assert not re.search(r"minut|anonie|anonym|\bvier\b|\bfour\b", intro, re.IGNORECASE), intro
                if instrument.kind == Kind.GROUP_MONITOR:
                    assert "specialist" not in intro, intro
