"""Norms (N1-N3), discussion group composition, the instrument adapter."""

from __future__ import annotations

from types import SimpleNamespace as M

import pytest
from spiegel_aggregation.discussions.model import DiscussionError, check_composition
from spiegel_aggregation.instruments.adapter import instrument_from_event
from spiegel_aggregation.instruments.model import InstrumentModel
from spiegel_aggregation.norms.model import combine_snapshots, comparison, due, percentile, snapshot_of
from spiegel_platform.events import PermanentError


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


def _event() -> M:
    return M(
        instrument_id="ifms",
        version=3,
        title_nl="IFMS",
        title_en="IFMS",
        scale=M(min=1, max=5, labels=[M(value=v, label_nl=f"nl{v}", label_en=f"en{v}") for v in range(1, 6)]),
        themes=[
            M(
                theme_id="t1",
                title_nl="Thema",
                title_en="Theme",
                statements=[M(item_id="s1", text_nl="Stelling", text_en="Statement")],
            )
        ],
        open_questions=[
            M(item_id="q1", text_nl="Wat gaat goed?", text_en="What goes well?", purpose="strength")
        ],
        global_items=[M(item_id="g1", text_nl="Cijfer", text_en="Mark", scale_min=1, scale_max=10)],
    )


def test_the_adapter_reads_the_survey_instrument_event() -> None:
    model = instrument_from_event(_event())
    assert model.key == "ifms@3" and model.statements[0].text_en == "Statement"
    assert model.open_questions[0].role == "strengths" and model.item("g1").scale_max == 10
    assert model.scale_labels_nl[0] == "nl1"
    assert InstrumentModel.from_document(model.to_document()) == model


def test_the_adapter_refuses_an_instrument_without_scale() -> None:
    broken = _event()
    broken.scale = M(min=1, max=1, labels=[])
    with pytest.raises(PermanentError, match="scale"):
        instrument_from_event(broken)
