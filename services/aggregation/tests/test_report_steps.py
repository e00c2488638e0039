"""The report builder's steps, each alone (`reports.builder`): small hand-made inputs, no servers.

`test_report_numbers.py`, `test_anonymity_rules.py` and `test_outputs.py` test the whole
report; these pin down what each named step contributes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from spiegel_aggregation.instruments.model import InstrumentModel, Item, OpenQuestion, Theme
from spiegel_aggregation.reports import anonymity as rules
from spiegel_aggregation.reports import builder
from spiegel_aggregation.reports.builder import (
    Cell,
    GroupInfo,
    OwnAnswers,
    PreviousVersion,
    RoundFacts,
    Shown,
    Versions,
)
from spiegel_aggregation.reports.stats import CellStats
from spiegel_aggregation.responses.model import Response

A1, A2, B1, B2 = (Item(i, i, i, 1, 5) for i in ("a1", "a2", "b1", "b2"))
MARK = Item("mark", "Cijfer", "Mark", 1, 10)
INSTRUMENT = InstrumentModel(
    id="i",
    version=1,
    title_nl="T",
    title_en="T",
    scale_min=1,
    scale_max=5,
    themes=(Theme("a", "A", "A", (A1, A2)), Theme("b", "B", "B", (B1, B2))),
    open_questions=(OpenQuestion("goed", "Goed?", "Good?", "strengths"),),
    global_items=(MARK,),
)
IFMS_GROUPS = (
    GroupInfo("self", "Zelf", "Self", is_self=True),
    GroupInfo("colleagues", "Collega's", "Colleagues"),
    GroupInfo("staff", "Medewerkers", "Staff"),
)
GM_GROUPS = (
    GroupInfo("members", "Leden", "Members", is_self=True),
    GroupInfo("staff", "Medewerkers", "Staff"),
)
IFMS = RoundFacts("r", "IFMS", "t", "spec", groups=IFMS_GROUPS)
GM = RoundFacts("g", "GROUP_MONITOR", "t", "grp", member_ids=("m1", "m2"), groups=GM_GROUPS)


def answers(
    group: str,
    count: int,
    score: int = 4,
    start: int = 0,
    not_applicable: frozenset[str] = frozenset(),
    **extra: Any,
) -> list[Response]:
    scores = {i: score for i in ("a1", "a2", "b1", "b2") if i not in not_applicable}
    return [Response(f"{group}-{start + n}", group, scores, not_applicable, **extra) for n in range(count)]


def groups_of(facts: RoundFacts, responses: Sequence[Response], k: int = 4) -> builder.Groups:
    return builder.respondent_groups(facts, responses, k)


def shown(
    facts: RoundFacts, responses: Sequence[Response], *, version: int = 1, k: int = 4
) -> tuple[builder.Groups, Shown, list[Cell]]:
    groups = groups_of(facts, responses, k)
    versions = Versions(())
    group_cells = builder.group_cells(groups, versions, version)
    visible = [c.group for c in group_cells]
    items = builder.item_cells(groups, visible, INSTRUMENT, versions, version)
    comments = builder.comment_cells(groups, visible, INSTRUMENT, versions, version, "r.v1")
    result = Shown(
        version=version,
        kind=facts.kind,
        visible=visible,
        members_group=groups.members_group,
        items={(c.group, c.question): c for c in items},
        comments={(c.group, c.question): c for c in comments},
        own=builder.own_answers(INSTRUMENT, groups.self_responses),
        self_responses=groups.self_responses,
    )
    return groups, result, group_cells


# -- step 1: the groups -------------------------------------------------------------------------
def test_groups_only_the_responses_name_are_added_after_the_declared_ones() -> None:
    groups = groups_of(IFMS, answers("flex", 1) + answers("staff", 1) + answers("self", 1))
    assert groups.order == ["self", "colleagues", "staff", "flex"]
    assert [r.id for r in groups.responses["flex"]] == ["flex-0"]
    assert groups.responses["colleagues"] == []
    assert groups.declared["flex"] == GroupInfo("flex", "flex", "flex", is_self=False)


def test_an_undeclared_self_group_is_the_subject_s_own() -> None:
    groups = groups_of(RoundFacts("r", "IFMS", "t", "spec"), answers("self", 1))
    assert groups.subject_self == ["self"] and groups.rated == []


def test_ifms_self_answers_are_the_subject_s_a_group_monitor_s_members_are_rated() -> None:
    ifms = groups_of(IFMS, answers("self", 1))
    assert (ifms.subject_self, ifms.members_group, ifms.rated) == (["self"], None, ["colleagues", "staff"])
    gm = groups_of(GM, [])
    assert (gm.subject_self, gm.members_group, gm.rated) == ([], "members", ["members", "staff"])
    # A2: the members read a report that includes their own answers.
    assert (gm.threshold("members"), gm.threshold("staff")) == (5, 4)
    assert groups_of(GM, [], k=6).threshold("members") == 7


# -- step 2: anonymity of the groups ----------------------------------------------------------
def test_a_group_below_its_threshold_has_no_cell() -> None:
    groups = groups_of(IFMS, answers("colleagues", 3) + answers("staff", 4))
    cells = builder.group_cells(groups, Versions(()), 1)
    assert [(c.group, c.count, c.kind) for c in cells] == [("staff", 4, "g")]


def test_the_members_group_needs_one_more() -> None:
    groups = groups_of(GM, answers("members", 4) + answers("staff", 4))
    assert [c.group for c in builder.group_cells(groups, Versions(()), 1)] == ["staff"]
    groups = groups_of(GM, answers("members", 5) + answers("staff", 4))
    assert [c.group for c in builder.group_cells(groups, Versions(()), 1)] == ["members", "staff"]


def test_a_small_change_keeps_the_earlier_version_s_group_cell() -> None:
    first = builder.group_cells(groups_of(IFMS, answers("staff", 6)), Versions(()), 1)
    previous = PreviousVersion(1, {c.key: c for c in first})
    # One late answer more: fewer than k answers of difference, so version 1's cell stays (A5).
    later = builder.group_cells(groups_of(IFMS, answers("staff", 7)), Versions([previous]), 2)
    assert [(c.count, c.origin) for c in later] == [(6, 1)]
    # Four more: a new cell of version 2.
    later = builder.group_cells(groups_of(IFMS, answers("staff", 10)), Versions([previous]), 2)
    assert [(c.count, c.origin) for c in later] == [(10, 2)]


# -- diagnostics --------------------------------------------------------------------------------
def test_answers_the_instrument_cannot_place_are_counted() -> None:
    odd = Response(
        "x", "staff", {"a1": 9, "zz": 3, "mark": 10}, texts={"goed": "ja", "a1": "uitleg", "qq": "?"}
    )
    assert builder.diagnose(INSTRUMENT, [odd]) == {
        "answers_to_unknown_items": 1,
        "scores_out_of_scale": 1,
        "texts_to_unknown_items": 1,
    }


# -- step 3: item cells -------------------------------------------------------------------------
def test_an_item_with_too_few_answers_is_suppressed_for_that_group() -> None:
    responses = answers("staff", 3) + answers("staff", 2, start=3, not_applicable=frozenset({"a1"}))
    responses[0] = Response("staff-0", "staff", {**responses[0].scores, "a2": 7})  # off the scale
    groups = groups_of(IFMS, responses)
    cells = {c.question: c for c in builder.item_cells(groups, ["staff"], INSTRUMENT, Versions(()), 1)}
    assert "a1" not in cells  # A3: three answers, two n.v.t.
    assert cells["a2"].stats is not None and cells["a2"].stats.n == 4  # the score 7 is not an answer
    assert set(cells) == {"a2", "b1", "b2"}  # nobody gave a mark


def test_item_cells_only_for_visible_groups() -> None:
    groups = groups_of(IFMS, answers("staff", 5) + answers("colleagues", 5))
    cells = builder.item_cells(groups, ["colleagues"], INSTRUMENT, Versions(()), 1)
    assert {c.group for c in cells} == {"colleagues"} and len(cells) == 4


# -- step 4: comment cells ------------------------------------------------------------------------
def test_comments_come_in_an_order_set_by_the_report_not_by_who_wrote_first() -> None:
    written = [
        Response(f"s{n}", "staff", {}, texts={"goed": f"tekst {n}", "a1": f"uitleg {n}"}) for n in range(6)
    ]

    def texts(responses: list[Response], report_id: str = "r.v1") -> dict[str, tuple[str, ...]]:
        groups = groups_of(IFMS, responses)
        cells = builder.comment_cells(groups, ["staff"], INSTRUMENT, Versions(()), 1, report_id)
        return {c.question: c.texts for c in cells}

    first = texts(written)
    assert set(first) == {"goed", "a1"}  # open questions and explanations of statements
    assert sorted(first["goed"]) == [f"tekst {n}" for n in range(6)]
    assert texts(list(reversed(written))) == first
    assert any(texts(written, f"r.v{n}")["goed"] != first["goed"] for n in range(2, 6))


def test_no_comment_cell_without_comments_or_for_a_hidden_group() -> None:
    groups = groups_of(IFMS, answers("staff", 5) + [Response("c", "colleagues", {}, texts={"goed": "x"})])
    assert builder.comment_cells(groups, ["staff"], INSTRUMENT, Versions(()), 1, "r.v1") == []


# -- step 5: the subject's own answers ---------------------------------------------------------
def test_own_answers_mean_per_item_and_texts_per_question() -> None:
    own = builder.own_answers(
        INSTRUMENT,
        [
            Response("me", "self", {"a1": 2, "a2": 9}, texts={"goed": "b", "a1": "a"}),
            Response("me2", "self", {"a1": 5}, texts={"goed": "c"}),
        ],
    )
    assert own.scores == {"a1": 3.5}  # 9 is off the scale
    assert own.comments == {"a1": ["a"], "goed": ["b", "c"]}


# -- step 6: for the versions ----------------------------------------------------------------------
def test_version_cells_change_with_what_a_version_shows_besides_the_groups() -> None:
    own = OwnAnswers({"a1": 3.0}, {"goed": ["x"]})
    s, m = builder.version_cells(own, INSTRUMENT, {"staff": 6}, 2)
    assert (s.kind, m.kind, s.origin) == ("s", "m", 2)
    assert m.members == frozenset({f"instrument:{INSTRUMENT.key}:True", "invited:staff:6"})
    assert s.members == frozenset({"a1:3.0", f"t:goed:{rules.text_token('x')}"})
    same = builder.version_cells(OwnAnswers({"a1": 3.0}, {"goed": ["x"]}), INSTRUMENT, {"staff": 6}, 3)
    assert [c.members for c in same] == [s.members, m.members]
    assert builder.version_cells(own, INSTRUMENT, {"staff": 7}, 2)[1].members != m.members
    assert builder.version_cells(OwnAnswers({"a1": 4.0}, {}), INSTRUMENT, {}, 2)[0].members != s.members


# -- steps 7 and 8: items, themes, highlights ------------------------------------------------------
def test_an_item_block_shows_suppressed_groups_all_others_and_the_gap() -> None:
    responses = answers("self", 1, score=5) + answers("colleagues", 4, score=4) + answers("staff", 4, score=2)
    responses += answers("staff", 1, start=4, score=2, not_applicable=frozenset({"a1"}))
    responses[-2] = Response("staff-3", "staff", {"a2": 2}, not_applicable=frozenset({"a1"}))
    _, view, _ = shown(IFMS, responses)
    block = builder.item_block(view, A1)
    assert block["groups"]["staff"] == {"suppressed": True}  # three answers left
    assert block["others"]["mean"] == 4.0 and block["others"]["n"] == 4  # from shown cells only (A4)
    assert (block["self"], block["gap"]) == (5.0, 1.0)
    assert builder.item_block(view, A2)["others"]["n"] == 9  # both groups shown for a2


def test_all_others_leaves_out_the_members_own_group() -> None:
    _, view, _ = shown(GM, answers("members", 5, score=5) + answers("staff", 4, score=3))
    assert view.others_groups == ["staff"]
    block = builder.item_block(view, A1)
    assert (block["self"], block["others"]["mean"], block["gap"]) == (5.0, 3.0, 2.0)


def test_themes_pool_each_group_s_shown_statements() -> None:
    responses = answers("colleagues", 4, score=4) + answers("staff", 4, score=2) + answers("self", 1, score=3)
    _, view, _ = shown(IFMS, responses)
    theme = builder.theme_blocks(view, INSTRUMENT)[0]
    assert theme["groups"] == {
        "colleagues": {"mean": 4.0, "answers": 8},
        "staff": {"mean": 2.0, "answers": 8},
    }
    assert theme["others"] == {"mean": 3.0, "answers": 16}
    assert (theme["self"], theme["gap"]) == (3.0, 0.0)
    assert [s["id"] for s in theme["statements"]] == ["a1", "a2"]


def statement(item_id: str, others: float | None, gap: float | None = None) -> dict[str, Any]:
    return {
        "id": item_id,
        "text": {"nl": item_id, "en": item_id},
        "self": None,
        "others": None if others is None else {"mean": others},
        "gap": gap,
    }


def test_highlights_split_the_ranked_statements_and_never_repeat_one() -> None:
    themes = [{"statements": [statement(f"s{n}", float(n)) for n in range(5)] + [statement("x", None)]}]
    found = builder.highlights(themes, 0.5)
    assert [s["id"] for s in found["strengths"]] == ["s4", "s3", "s2"]  # half, rounded up
    assert [s["id"] for s in found["development"]] == ["s0", "s1"]
    many = [{"statements": [statement(f"s{n:02}", float(n)) for n in range(30)]}]
    assert len(builder.highlights(many, 0.5)["strengths"]) == builder.HIGHLIGHTS


def test_blind_spots_and_hidden_strengths_by_the_gap() -> None:
    themes = [
        {"statements": [statement("a", 3.0, 0.5), statement("b", 3.0, 0.49), statement("c", 3.0, -0.75)]}
    ]
    found = builder.highlights(themes, 0.5)
    assert [s["id"] for s in found["blind_spots"]] == ["a"]
    assert [s["id"] for s in found["hidden_strengths"]] == ["c"]
    assert found["blind_spots"][0] == {
        "id": "a",
        "text": {"nl": "a", "en": "a"},
        "self": None,
        "others": 3.0,
        "gap": 0.5,
    }


# -- step 9: comments on open questions ------------------------------------------------------------
def test_open_comments_per_visible_group_and_the_subject_s_own_in_ifms_only() -> None:
    responses = answers("staff", 4, texts={"goed": "fijn"}) + answers("self", 1, texts={"goed": "zelf"})
    _, view, _ = shown(IFMS, responses)
    [question] = builder.open_comments(view, INSTRUMENT)
    assert question["groups"] == {"staff": ["fijn"] * 4} and question["self"] == ["zelf"]
    assert question["role"] == "strengths"
    _, view, _ = shown(GM, answers("members", 5, texts={"goed": "wij"}))
    [question] = builder.open_comments(view, INSTRUMENT)
    assert question["self"] == [] and question["groups"] == {"members": ["wij"] * 5}


def test_the_group_monitor_view_only_for_a_group_monitor() -> None:
    _, view, _ = shown(IFMS, answers("staff", 4))
    assert builder.group_monitor_view(view, builder.theme_blocks(view, INSTRUMENT)) is None
    _, view, _ = shown(GM, answers("members", 4, score=5) + answers("staff", 4, score=3))
    gm = builder.group_monitor_view(view, builder.theme_blocks(view, INSTRUMENT))
    assert gm is not None and gm["self_group"] == "members" and gm["self_visible"] is False
    assert gm["themes"][0]["self"] is None and gm["themes"][0]["groups"] == {"staff": 3.0}


# -- step 10: the groups and their counts -----------------------------------------------------------
def test_a_hidden_group_shows_what_was_invited_never_how_many_completed() -> None:
    groups, _, cells = shown(IFMS, answers("self", 1) + answers("colleagues", 3) + answers("staff", 5))
    overview = {g["code"]: g for g in builder.group_overview(groups, cells, {"colleagues": 8}, 1)}
    assert overview["colleagues"] | {"label": None} == {
        "code": "colleagues",
        "label": None,
        "is_self": False,
        "visible": False,
        "invited": 8,
        "threshold": 4,
        "completed": None,
    }
    assert (overview["staff"]["visible"], overview["staff"]["completed"]) == (True, 5)
    assert (overview["self"]["visible"], overview["self"]["completed"], overview["self"]["threshold"]) == (
        True,
        1,
        None,
    )


def test_a_carried_group_count_says_from_which_version() -> None:
    groups = groups_of(IFMS, answers("staff", 7))
    carried = [Cell("g", "staff", "", frozenset({"x"}), 1, count=6)]
    [staff] = [g for g in builder.group_overview(groups, carried, {}, 2) if g["code"] == "staff"]
    assert (staff["completed"], staff["carried_from_version"]) == (6, 1)


def test_the_steps_make_the_report() -> None:
    responses = answers("self", 1, score=5) + answers("colleagues", 4) + answers("staff", 2)
    built = builder.build_report(
        IFMS, INSTRUMENT, responses, threshold=3, report_id="r.v1", version=1, published_at="2026-01-01"
    )
    assert built.body["rules"]["threshold"] == rules.MIN_THRESHOLD  # never below the floor
    assert built.body["visible_groups"] == ["colleagues"]
    assert [c.kind for c in built.cells] == ["g"] + ["i"] * 4 + ["s", "m"]
    assert isinstance(built.cells[1].stats, CellStats)


def test_an_item_cell_counts_n_v_t_apart_from_its_answers() -> None:
    groups = groups_of(
        IFMS, answers("staff", 4) + answers("staff", 1, start=4, not_applicable=frozenset({"b1"}))
    )
    cells = {c.question: c for c in builder.item_cells(groups, ["staff"], INSTRUMENT, Versions(()), 1)}
    b1 = cells["b1"].stats
    assert b1 is not None and (b1.n, b1.not_applicable) == (4, 1)
    a1 = cells["a1"].stats
    assert a1 is not None and (a1.n, a1.not_applicable) == (5, 0)


def test_an_item_block_carries_the_explanations_of_shown_groups_and_the_subject() -> None:
    responses = answers("self", 1, texts={"a1": "mijn uitleg"}) + answers(
        "staff", 4, texts={"a1": "hun uitleg"}
    )
    _, view, _ = shown(IFMS, responses)
    block = builder.item_block(view, A1)
    assert block["explanations"] == {"staff": ["hun uitleg"] * 4}
    assert block["self_explanation"] == ["mijn uitleg"]
    assert builder.item_block(view, A2)["self_explanation"] == []
