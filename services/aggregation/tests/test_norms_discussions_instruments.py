"""Norms (N1-N3), the discussion sessions kept for the preparation, the instrument adapter."""

from __future__ import annotations

import pytest
from spiegel.survey.v1 import events_pb2
from spiegel_aggregation.discussions.model import CANCELLED, PLANNED, may_prepare, session_of
from spiegel_aggregation.instruments.adapter import instrument_from_event
from spiegel_aggregation.instruments.model import InstrumentModel
from spiegel_aggregation.norms.model import combine_snapshots, comparison, due, percentile, snapshot_of
from spiegel_platform.events import PermanentError
from spiegel_survey.instruments import catalogue


def test_n1_n2_norms_need_ten_reports_and_step_by_ten() -> None:
    assert not due(9, 0, 10)
    assert due(10, 0, 10)
    assert not due(19, 10, 10)  # one new report never moves the norm: no differencing of a colleague
    assert due(20, 10, 10)


def test_snapshot_mean_and_percentiles() -> None:
    snapshot = snapshot_of([{"a": float(v)} for v in range(1, 11)])
    assert snapshot["count"] == 10 and snapshot["items"]["a"]["mean"] == 5.5
    assert percentile(snapshot["items"]["a"]["values"], 10.0) == 95
    assert percentile(snapshot["items"]["a"]["values"], 0.5) == 0
    body = {"themes": [{"statements": [{"id": "a", "others": {"mean": 7.0}}]}]}
    assert comparison(body, snapshot) == {"reports": 10, "items": {"a": {"mean": 5.5, "percentile": 65}}}


def test_n3_cross_tenant_combination_keeps_no_tenant_apart() -> None:
    snapshots = [snapshot_of([{"a": float(t * 10 + i)} for i in range(10)]) for t in range(3)]
    combined = combine_snapshots(snapshots)
    assert combined["count"] == 30
    assert set(combined) == {"count", "items"} and set(combined["items"]["a"]) == {"mean", "values"}


def _session(state: str = PLANNED, kind: int = 1) -> dict[str, object]:
    return session_of(
        session_id="s1",
        version=3,
        kind=kind,
        participants=[("p1", "g"), ("p2", "g"), ("p3", "")],
        facilitator_ids=["f1", "f2", "f1"],
        starts_at=None,
        ends_at=None,
        state=state,
    )


def test_a_session_keeps_ids_only_and_each_round_once() -> None:
    kept = _session(kind=2)
    assert kept["round_ids"] == ["g"]  # a Groepsmonitor's members share the group's round
    assert kept["facilitator_ids"] == ["f1", "f2"] and kept["kind"] == "GROUP_MONITOR"
    assert set(kept) == {
        "id",
        "version",
        "kind",
        "participants",
        "round_ids",
        "facilitator_ids",
        "starts_at",
        "ends_at",
        "state",
    }


def test_only_a_planned_sessions_facilitators_and_coordinators_prepare() -> None:
    assert may_prepare(_session(), "f2", coordinating=False)
    assert not may_prepare(_session(), "p1", coordinating=False)  # a participant: no
    assert may_prepare(_session(), "c", coordinating=True)
    assert not may_prepare(_session(CANCELLED), "f1", coordinating=False)  # cancelled: gone
    assert not may_prepare(_session(CANCELLED), "c", coordinating=True)
    assert not may_prepare(None, "f1", coordinating=True)


def _event(instrument_id: str = "ifms") -> events_pb2.InstrumentPublished:
    # The survey service's own built-in instrument, as it publishes it: the two
    # services agree on the contract, not on a fixture.
    instrument = catalogue.latest_built_in(instrument_id)
    assert instrument is not None
    return catalogue.published_event(instrument)


@pytest.mark.parametrize("instrument_id", ["ifms", "groepsmonitor"])
def test_the_adapter_reads_the_survey_instrument_event(instrument_id: str) -> None:
    event = _event(instrument_id)
    model = instrument_from_event(event)
    assert model.key == f"{instrument_id}@{event.version}"
    assert len(model.statements) == len(event.statements) >= 25
    assert [t.id for t in model.themes] == [t.theme_id for t in event.themes]
    first = event.statements[0]
    assert model.statements[0].text_nl == first.text_other.nl  # others' wording, not "Ik ..."
    assert not model.statements[0].text_nl.startswith(("Ik ", "Wij "))
    roles = {q.id: q.role for q in model.open_questions}
    assert roles["goes_well"] == "strengths" and roles["could_improve"] == "improvements"
    assert model.item("overall_grade").scale_max == 10
    assert model.scale_labels_nl[0] and len(model.scale_labels_nl) == model.scale_max - model.scale_min + 1
    assert InstrumentModel.from_document(model.to_document()) == model


def test_the_adapter_refuses_an_instrument_without_scale() -> None:
    broken = _event()
    broken.scale.max = broken.scale.min
    with pytest.raises(PermanentError, match="scale"):
        instrument_from_event(broken)
