"""Norms (N1-N3), discussion group composition, the instrument adapter."""

from __future__ import annotations

import pytest
from spiegel.survey.v1 import events_pb2
from spiegel_aggregation.discussions.model import DiscussionError, check_composition
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


def test_at_most_eight_specialists_per_ifms_discussion_group() -> None:
    check_composition("IFMS", {f"r{i}": "IFMS" for i in range(8)})
    with pytest.raises(DiscussionError, match="hoogstens 8"):
        check_composition("IFMS", {f"r{i}": "IFMS" for i in range(9)})
    with pytest.raises(DiscussionError, match="precies één"):
        check_composition("GROUP_MONITOR", {"a": "GROUP_MONITOR", "b": "GROUP_MONITOR"})
    with pytest.raises(DiscussionError, match="geen IFMS"):
        check_composition("IFMS", {"a": "GROUP_MONITOR"})


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
