"""The report's numbers against an independent pandas computation on the raw responses, many data sets."""

from __future__ import annotations

import random

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st
from spiegel_aggregation.reports.builder import GroupInfo, RoundFacts, build_report
from spiegel_demo.instruments import ifms_instrument
from spiegel_demo.simulation import IFMS_GROUPS, random_responses

INSTRUMENT = ifms_instrument(statements_per_theme=3, themes=3)
GROUPS = tuple(GroupInfo(c, nl, en, s) for c, nl, en, s in IFMS_GROUPS)
FACTS = RoundFacts("r", "IFMS", "t", "spec", groups=GROUPS)


def _frame(responses) -> pd.DataFrame:  # type: ignore[no-untyped-def]
    rows = [
        {"rid": r.id, "group": r.group, "item": item, "score": score}
        for r in responses
        for item, score in r.scores.items()
    ]
    return pd.DataFrame(rows, columns=["rid", "group", "item", "score"])


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 10**6),
    sizes=st.tuples(st.integers(0, 12), st.integers(0, 12), st.integers(0, 12)),
    k=st.integers(4, 6),
    nvt=st.floats(0, 0.6),
)
def test_numbers_match_pandas_and_only_visible_groups_count(seed, sizes, k, nvt):  # type: ignore[no-untyped-def]
    rng = random.Random(seed)
    counts = {"self": 1, "colleagues": sizes[0], "staff": sizes[1], "flex": sizes[2]}
    responses = random_responses(rng, INSTRUMENT, counts, not_applicable=nvt)
    body = build_report(
        FACTS,
        INSTRUMENT,
        responses,
        threshold=k,
        report_id="r.v1",
        version=1,
        published_at="2026-01-01T00:00:00+00:00",
    ).body
    df = _frame(responses)
    visible = [g for g in ("colleagues", "staff", "flex") if counts[g] >= k]
    assert body["visible_groups"] == visible

    per_cell = df.groupby(["group", "item"])["score"].agg(["count", "mean", "std"])
    for theme in body["themes"]:
        theme_items = [s["id"] for s in theme["statements"]]
        for statement in theme["statements"]:
            item = statement["id"]
            # Hidden groups are absent, not even a key.
            assert set(statement["groups"]) == set(visible)
            shown_frames = []
            for group in visible:
                cell = statement["groups"][group]
                n = int(per_cell.loc[(group, item), "count"]) if (group, item) in per_cell.index else 0
                if n < k:
                    assert cell == {"suppressed": True}
                    continue
                assert cell["n"] == n
                assert abs(cell["mean"] - per_cell.loc[(group, item), "mean"]) < 0.006
                assert abs(cell["sd"] - per_cell.loc[(group, item), "std"]) < 0.006
                scores = df[(df.group == group) & (df["item"] == item)].score
                assert cell["distribution"] == [int((scores == v).sum()) for v in range(1, 6)]
                shown_frames.append(scores)
            if shown_frames:
                pooled = pd.concat(shown_frames)
                assert statement["others"]["n"] == len(pooled)
                assert abs(statement["others"]["mean"] - pooled.mean()) < 0.006
                if len(pooled) > 1:
                    assert abs(statement["others"]["sd"] - pooled.std(ddof=1)) < 0.006
            else:
                assert statement["others"] is None
            own = df[(df.group == "self") & (df["item"] == item)].score
            assert statement["self"] == (float(own.iloc[0]) if len(own) else None)
            if statement["self"] is not None and statement["others"]:
                assert abs(statement["gap"] - (statement["self"] - statement["others"]["mean"])) < 0.011
        # Theme figures pool shown cells only.
        for group in visible:
            shown = [
                df[(df.group == group) & (df["item"] == s["id"])].score
                for s in theme["statements"]
                if "mean" in s["groups"][group]
            ]
            expected = pd.concat(shown).mean() if shown else None
            got = (theme["groups"][group] or {}).get("mean")
            assert (got is None and expected is None) or abs(got - expected) < 0.006
        own_theme = df[(df.group == "self") & (df["item"].isin(theme_items))].score
        if len(own_theme):
            assert abs(theme["self"] - own_theme.mean()) < 0.006


def test_highlights_follow_others_means_and_the_gap_rule() -> None:
    rng = random.Random(3)
    responses = random_responses(rng, INSTRUMENT, {"self": 1, "colleagues": 8, "staff": 6}, not_applicable=0)
    body = build_report(
        FACTS, INSTRUMENT, responses, threshold=4, report_id="r.v1", version=1, published_at="x"
    ).body
    statements = [s for t in body["themes"] for s in t["statements"]]
    means = np.array([s["others"]["mean"] for s in statements])
    strengths = [s["others"] for s in body["highlights"]["strengths"]]
    assert strengths == sorted(strengths, reverse=True)
    assert strengths[0] == means.max()
    assert body["highlights"]["development"][0]["others"] == means.min()
    delta = body["rules"]["gap"]
    assert delta == 0.5
    assert {s["id"] for s in body["highlights"]["blind_spots"]} == {
        s["id"] for s in statements if s["gap"] is not None and s["gap"] >= delta
    }
    assert {s["id"] for s in body["highlights"]["hidden_strengths"]} == {
        s["id"] for s in statements if s["gap"] is not None and s["gap"] <= -delta
    }
