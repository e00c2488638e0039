"""Building one report version from a round's responses. Pure: no I/O.

The result has two parts: `body` (what readers get: JSON, page, PDF) and
`cells` (kept with the version, never served: the shown cells with the sets of
answers they are made of, so that a later version can apply rule A5).
"""

from __future__ import annotations

import hashlib
import math
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from spiegel_aggregation.instruments.model import InstrumentModel, Item
from spiegel_aggregation.reports import anonymity as rules
from spiegel_aggregation.reports.stats import CellStats, combined, rounded
from spiegel_aggregation.responses.model import Response

HIGHLIGHTS = 5


@dataclass(frozen=True)
class GroupInfo:
    code: str
    label_nl: str
    label_en: str
    is_self: bool = False


@dataclass(frozen=True)
class RoundFacts:
    round_id: str
    kind: str
    title: str
    subject_id: str
    subject_name: str = ""
    member_ids: tuple[str, ...] = ()
    groups: tuple[GroupInfo, ...] = ()
    instrument_id: str = ""
    instrument_version: int = 0
    closed_on: str = ""


@dataclass(frozen=True)
class Cell:
    """A shown cell of a version: its kind ("g", "i", "c"), group, question, answer set and values."""

    kind: str
    group: str
    question: str
    members: frozenset[str]
    origin: int  # the version whose data it shows
    stats: CellStats | None = None
    texts: tuple[str, ...] = ()
    count: int = 0

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.kind, self.group, self.question)

    def to_document(self) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "k": self.kind,
            "g": self.group,
            "q": self.question,
            "set": sorted(self.members),
            "from": self.origin,
        }
        if self.stats is not None:
            doc["stats"] = self.stats.to_document()
        if self.kind == "c":
            doc["texts"] = list(self.texts)
        if self.kind == "g":
            doc["n"] = self.count
        return doc

    @classmethod
    def from_document(cls, doc: Mapping[str, Any]) -> Cell:
        return cls(
            kind=doc["k"],
            group=doc["g"],
            question=doc["q"],
            members=frozenset(doc["set"]),
            origin=int(doc["from"]),
            stats=CellStats.from_document(doc["stats"]) if doc.get("stats") else None,
            texts=tuple(doc.get("texts", ())),
            count=int(doc.get("n", 0)),
        )


@dataclass(frozen=True)
class PreviousVersion:
    version: int
    cells: Mapping[tuple[str, str, str], Cell]

    @classmethod
    def from_documents(cls, version: int, docs: Sequence[Mapping[str, Any]]) -> PreviousVersion:
        cells = [Cell.from_document(d) for d in docs]
        return cls(version, {c.key: c for c in cells})


@dataclass
class BuiltReport:
    body: dict[str, Any]
    cells: list[Cell]
    diagnostics: dict[str, int] = field(default_factory=dict)

    def shown_signature(self) -> list[tuple[Any, ...]]:
        """What the version shows, as data: two versions with equal signatures show the same."""
        return sorted(
            (c.kind, c.group, c.question, tuple(sorted(c.members)), c.texts if c.kind == "c" else ())
            for c in self.cells
        )


def _label(nl: str, en: str) -> dict[str, str]:
    return {"nl": nl, "en": en or nl}


class Versions:
    """Rule A5 against every earlier published version."""

    def __init__(self, previous: Sequence[PreviousVersion]) -> None:
        self.previous = sorted(previous, key=lambda p: p.version)
        self.latest = self.previous[-1] if self.previous else None

    def decide(self, candidate: Cell, threshold: int) -> Cell | None:
        earlier = [p.cells[candidate.key].members for p in self.previous if candidate.key in p.cells]
        if candidate.kind == "c":
            # A visible group without comments on a question showed "none": an empty set.
            earlier += [
                frozenset()
                for p in self.previous
                if candidate.key not in p.cells and ("g", candidate.group, "") in p.cells
            ]
        if rules.may_change(candidate.members, earlier, threshold):
            # The same answers as the latest version that showed the cell: show exactly that cell
            # (its values, its comment order, the version it was computed in).
            for p in reversed(self.previous):
                old = p.cells.get(candidate.key)
                if old is not None:
                    return old if old.members == candidate.members else candidate
            return candidate
        if self.latest is not None and candidate.key in self.latest.cells:
            return self.latest.cells[candidate.key]
        return None


# -- the steps ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Groups:
    """The round's respondent groups, in order: the declared ones, then any only the
    responses name; and who is reported how."""

    kind: str
    k: int  # the round's threshold
    declared: Mapping[str, GroupInfo]
    order: list[str]
    responses: Mapping[str, list[Response]]
    subject_self: list[str]  # IFMS: the subject's own answers, shown to the subject, no threshold
    members_group: str | None  # Groepsmonitor: the members' own group (A2)
    rated: list[str]  # every group but the subject's own: reported under the threshold

    def threshold(self, code: str) -> int:
        """A1/A2: the group's threshold."""
        return rules.group_threshold(self.k, self.kind, self.declared[code].is_self)

    @property
    def self_responses(self) -> list[Response]:
        return [r for code in self.subject_self for r in self.responses[code]]


def respondent_groups(facts: RoundFacts, responses: Sequence[Response], k: int) -> Groups:
    """Step 1, the groups: every response lands in its group (an undeclared group is
    reported under its code, as a self group when its code is "self")."""
    kind = facts.kind
    declared = {g.code: g for g in facts.groups}
    order = [g.code for g in facts.groups]
    for response in responses:
        if response.group not in declared:
            declared[response.group] = GroupInfo(
                response.group, response.group, response.group, is_self=response.group == "self"
            )
            order.append(response.group)
    by_group: dict[str, list[Response]] = {code: [] for code in order}
    for response in responses:
        by_group[response.group].append(response)
    subject_self = [c for c in order if declared[c].is_self and kind != rules.KIND_GROUP_MONITOR]
    members_group = next((c for c in order if declared[c].is_self and kind == rules.KIND_GROUP_MONITOR), None)
    return Groups(
        kind=kind,
        k=k,
        declared=declared,
        order=order,
        responses=by_group,
        subject_self=subject_self,
        members_group=members_group,
        rated=[c for c in order if c not in subject_self],
    )


def group_cells(groups: Groups, versions: Versions, version: int) -> list[Cell]:
    """Step 2, anonymity of the groups (A1, A2, A5): the group cells shown, in group order.
    A group without one is not shown at all."""
    cells = []
    for code in groups.rated:
        members = frozenset(rules.member(r.id) for r in groups.responses[code])
        if not rules.shown(len(members), groups.threshold(code)):
            continue  # A1/A2
        cell = versions.decide(
            Cell("g", code, "", members, version, count=len(members)), groups.threshold(code)
        )
        if cell is not None:
            cells.append(cell)
    return cells


def diagnose(instrument: InstrumentModel, responses: Sequence[Response]) -> dict[str, int]:
    """Answers the instrument cannot place (counted, never shown)."""
    diagnostics = {"answers_to_unknown_items": 0, "scores_out_of_scale": 0, "texts_to_unknown_items": 0}
    known_items = {i.id: i for i in instrument.scored_items}
    for response in responses:
        for item_id, score in response.scores.items():
            item = known_items.get(item_id)
            if item is None:
                diagnostics["answers_to_unknown_items"] += 1
            elif not item.scale_min <= score <= item.scale_max:
                diagnostics["scores_out_of_scale"] += 1
        for item_id in response.texts:
            if item_id not in known_items and item_id not in instrument.open_question_ids:
                diagnostics["texts_to_unknown_items"] += 1
    return diagnostics


def item_cells(
    groups: Groups, visible: Sequence[str], instrument: InstrumentModel, versions: Versions, version: int
) -> list[Cell]:
    """Step 3, the cells of the scored items (A3, A5): per visible group, per item, the
    answers on the scale; suppressed below the group's threshold (n.v.t. not counted)."""
    cells = []
    for code in visible:
        for item in instrument.scored_items:
            stats = CellStats(item.scale_min, item.scale_max)
            answers: set[str] = set()
            for response in groups.responses[code]:
                score = response.scores.get(item.id)
                if score is not None and item.scale_min <= score <= item.scale_max:
                    stats.add(score)
                    answers.add(rules.member(response.id, str(score)))
                elif item.id in response.not_applicable:
                    stats.not_applicable += 1
            if not rules.shown(stats.n, groups.threshold(code)):
                continue
            decided = versions.decide(
                Cell("i", code, item.id, frozenset(answers), version, stats=stats), groups.threshold(code)
            )
            if decided is not None:
                cells.append(decided)
    return cells


def comment_cells(
    groups: Groups,
    visible: Sequence[str],
    instrument: InstrumentModel,
    versions: Versions,
    version: int,
    report_id: str,
) -> list[Cell]:
    """Step 4, the comments (A5): per visible group, per open question and per scored item
    (explanations), the texts in an order that carries no information (seeded by the report)."""
    commentable = [q.id for q in instrument.open_questions] + [i.id for i in instrument.scored_items]
    cells = []
    for code in visible:
        for question in commentable:
            written = sorted((r.id, r.texts[question]) for r in groups.responses[code] if question in r.texts)
            if not written:
                continue
            texts = [text for _, text in written]
            seed = hashlib.sha256(f"{report_id}|{code}|{question}".encode()).digest()
            random.Random(seed).shuffle(texts)  # noqa: S311 - an order that carries no information
            members = frozenset(rules.member(rid, rules.text_token(text)) for rid, text in written)
            decided = versions.decide(
                Cell("c", code, question, members, version, texts=tuple(texts)), groups.threshold(code)
            )
            if decided is not None:
                cells.append(decided)
    return cells


@dataclass(frozen=True)
class OwnAnswers:
    """The subject's own answers (IFMS): the mean score per item and the texts per question."""

    scores: dict[str, float]
    comments: dict[str, list[str]]


def own_answers(instrument: InstrumentModel, self_responses: Sequence[Response]) -> OwnAnswers:
    """Step 5, the subject's own answers: shown to the subject, no threshold."""
    scores: dict[str, float] = {}
    for item in instrument.scored_items:
        values = [
            r.scores[item.id]
            for r in self_responses
            if item.id in r.scores and item.scale_min <= r.scores[item.id] <= item.scale_max
        ]
        if values:
            scores[item.id] = sum(values) / len(values)
    comments: dict[str, list[str]] = {}
    for r in self_responses:
        for question, text in sorted(r.texts.items()):
            comments.setdefault(question, []).append(text)
    return OwnAnswers(scores, comments)


def version_cells(
    own: OwnAnswers, instrument: InstrumentModel, invited: Mapping[str, int], version: int
) -> list[Cell]:
    """Step 6, for the versions: what else a version shows, as two cells ("s": the subject's
    own answers; "m": the instrument and the invited counts). Not subject to A5, but a new
    version is only made when something shown would change."""
    self_tokens = [f"{i}:{v}" for i, v in sorted(own.scores.items())] + [
        f"t:{q}:{rules.text_token(t)}" for q, ts in sorted(own.comments.items()) for t in ts
    ]
    meta = [f"instrument:{instrument.key}:{instrument.known}"] + [
        f"invited:{g}:{n}" for g, n in invited.items()
    ]
    return [Cell("s", "", "", frozenset(self_tokens), version), Cell("m", "", "", frozenset(meta), version)]


@dataclass(frozen=True)
class Shown:
    """What the cells let the report show (A4: every figure below is computed from these only)."""

    version: int
    kind: str
    visible: list[str]
    members_group: str | None
    items: Mapping[tuple[str, str], Cell]  # (group, item) -> item cell
    comments: Mapping[tuple[str, str], Cell]  # (group, question) -> comment cell
    own: OwnAnswers
    self_responses: Sequence[Response]

    @property
    def others_groups(self) -> list[str]:
        """The groups "all others" is made of: the visible ones but the members' own."""
        return [c for c in self.visible if c != self.members_group]

    def others(self, item: Item) -> CellStats | None:
        """An item's "all others": the shown cells of the others' groups combined."""
        parts = [self.items[(c, item.id)].stats for c in self.others_groups if (c, item.id) in self.items]
        cell = combined([p for p in parts if p is not None], item.scale_min, item.scale_max)
        return cell if cell.n else None

    def self_score(self, item: Item) -> float | None:
        """The self view of an item: the subject's mean (IFMS), the members' shown cell (Groepsmonitor)."""
        if self.kind == rules.KIND_GROUP_MONITOR:
            cell = self.items.get((self.members_group or "", item.id))
            return cell.stats.mean if cell and cell.stats else None
        return self.own.scores.get(item.id)

    def pooled(self, code: str, items: Sequence[Item]) -> CellStats | None:
        """A group's shown cells of several items combined (a theme)."""
        parts = [self.items[(code, i.id)].stats for i in items if (code, i.id) in self.items]
        if not parts or not items:
            return None
        cell = combined([p for p in parts if p is not None], items[0].scale_min, items[0].scale_max)
        return cell if cell.n else None

    def own_comments(self, question: str) -> list[str]:
        return self.own.comments.get(question, []) if self.kind != rules.KIND_GROUP_MONITOR else []


def item_block(shown: Shown, item: Item) -> dict[str, Any]:
    """One statement as the report shows it: per group, all others, self, gap, explanations."""
    groups: dict[str, Any] = {}
    for code in shown.visible:
        cell = shown.items.get((code, item.id))
        if cell is None or cell.stats is None:
            groups[code] = {"suppressed": True}
        else:
            groups[code] = cell.stats.summary()
            if cell.origin != shown.version:
                groups[code]["carried_from_version"] = cell.origin
    others = shown.others(item)
    own = shown.self_score(item)
    explanations = {
        code: list(shown.comments[(code, item.id)].texts)
        for code in shown.visible
        if (code, item.id) in shown.comments
    }
    return {
        "id": item.id,
        "text": _label(item.text_nl, item.text_en),
        "scale": {"min": item.scale_min, "max": item.scale_max},
        "self": rounded(own),
        "self_not_applicable": bool(
            shown.kind != rules.KIND_GROUP_MONITOR
            and own is None
            and any(item.id in r.not_applicable for r in shown.self_responses)
        ),
        "groups": groups,
        "others": others.summary() if others else None,
        "gap": rounded(own - others.mean) if own is not None and others and others.mean is not None else None,
        "explanations": explanations,
        "self_explanation": shown.own_comments(item.id),
    }


def theme_blocks(shown: Shown, instrument: InstrumentModel) -> list[dict[str, Any]]:
    """Step 7, the themes: each theme's statements, and its figures pooled per group."""
    themes = []
    for theme in instrument.themes:
        statements = [item_block(shown, s) for s in theme.statements]
        per_group = {}
        for code in shown.visible:
            pool = shown.pooled(code, theme.statements)
            per_group[code] = {"mean": rounded(pool.mean), "answers": pool.n} if pool else None
        others_parts = [shown.pooled(c, theme.statements) for c in shown.others_groups]
        others_pool = combined([p for p in others_parts if p], instrument.scale_min, instrument.scale_max)
        own: float | None
        if shown.kind == rules.KIND_GROUP_MONITOR:
            members = shown.members_group
            own_pool = (
                shown.pooled(members, theme.statements)
                if members is not None and members in shown.visible
                else None
            )
            own = own_pool.mean if own_pool else None
        else:
            own_values = [shown.own.scores[s.id] for s in theme.statements if s.id in shown.own.scores]
            own = sum(own_values) / len(own_values) if own_values else None
        others_mean = others_pool.mean if others_pool.n else None
        themes.append(
            {
                "id": theme.id,
                "label": _label(theme.label_nl, theme.label_en),
                "self": rounded(own),
                "groups": per_group,
                "others": {"mean": rounded(others_mean), "answers": others_pool.n} if others_pool.n else None,
                "gap": rounded(own - others_mean) if own is not None and others_mean is not None else None,
                "statements": statements,
            }
        )
    return themes


def highlights(themes: Sequence[Mapping[str, Any]], delta: float) -> dict[str, list[dict[str, Any]]]:
    """Step 8, the highlights: strengths and points for development by the others' mean
    (at most HIGHLIGHTS each, never the same statement in both), blind spots and hidden
    strengths by a gap of at least `delta`."""
    statements_flat = [s for t in themes for s in t["statements"]]
    rated_statements = [s for s in statements_flat if s["others"] and s["others"]["mean"] is not None]
    ranked = sorted(rated_statements, key=lambda s: (-s["others"]["mean"], s["id"]))
    top = min(HIGHLIGHTS, math.ceil(len(ranked) / 2))
    strengths = ranked[:top]
    development = [s for s in reversed(ranked) if s not in strengths][:HIGHLIGHTS]
    with_gap = [s for s in rated_statements if s["gap"] is not None]
    blind_spots = sorted((s for s in with_gap if s["gap"] >= delta), key=lambda s: (-s["gap"], s["id"]))
    hidden_strengths = sorted((s for s in with_gap if s["gap"] <= -delta), key=lambda s: (s["gap"], s["id"]))

    def brief(s: Mapping[str, Any]) -> dict[str, Any]:
        return {
            "id": s["id"],
            "text": s["text"],
            "self": s["self"],
            "others": s["others"]["mean"],
            "gap": s["gap"],
        }

    return {
        "strengths": [brief(s) for s in strengths],
        "development": [brief(s) for s in development],
        "blind_spots": [brief(s) for s in blind_spots],
        "hidden_strengths": [brief(s) for s in hidden_strengths],
    }


def open_comments(shown: Shown, instrument: InstrumentModel) -> list[dict[str, Any]]:
    """Step 9, the comments on the open questions: per visible group, and the subject's own."""
    return [
        {
            "id": question.id,
            "text": _label(question.text_nl, question.text_en),
            "role": question.role,
            "groups": {
                code: list(shown.comments[(code, question.id)].texts)
                for code in shown.visible
                if (code, question.id) in shown.comments
            },
            "self": shown.own_comments(question.id),
        }
        for question in instrument.open_questions
    ]


def group_monitor_view(shown: Shown, themes: Sequence[Mapping[str, Any]]) -> dict[str, Any] | None:
    """Groepsmonitor: the members' view against each outside group, per theme (else None)."""
    if shown.kind != rules.KIND_GROUP_MONITOR:
        return None
    members = shown.members_group
    return {
        "self_group": members,
        "self_visible": members in shown.visible,
        "themes": [
            {
                "id": t["id"],
                "label": t["label"],
                "self": (t["groups"].get(members) or {}).get("mean") if members else None,
                "groups": {c: (t["groups"].get(c) or {}).get("mean") for c in shown.others_groups},
            }
            for t in themes
        ],
    }


def group_overview(
    groups: Groups, shown_groups: Sequence[Cell], invited: Mapping[str, int], version: int
) -> list[dict[str, Any]]:
    """Step 10, the groups and their response counts: a hidden group shows what was invited
    only, never how many completed (A1)."""
    cells = {cell.group: cell for cell in reversed(shown_groups)}  # the first cell of a group
    has_self = bool(groups.self_responses)
    overview = []
    for code in groups.order:
        info = groups.declared[code]
        entry: dict[str, Any] = {
            "code": code,
            "label": _label(info.label_nl, info.label_en),
            "is_self": info.is_self,
            "visible": code in cells,
            "invited": invited.get(code),
            "threshold": groups.threshold(code) if code in groups.rated else None,
        }
        if code in groups.subject_self:
            entry["visible"] = has_self
            entry["completed"] = len(groups.responses[code])
        elif code in cells:
            entry["completed"] = cells[code].count
            if cells[code].origin != version:
                entry["carried_from_version"] = cells[code].origin
        else:
            entry["completed"] = None  # fewer than the threshold: not even the number
        overview.append(entry)
    return overview


def build_report(
    facts: RoundFacts,
    instrument: InstrumentModel,
    responses: Sequence[Response],
    *,
    threshold: int,
    report_id: str,
    version: int,
    published_at: str,
    reason: str = "",
    invited: Mapping[str, int] | None = None,
    previous: Sequence[PreviousVersion] = (),
) -> BuiltReport:
    """One version: the steps above, in order."""
    k = rules.effective_threshold(threshold)
    kind = facts.kind
    versions = Versions(previous)
    invited = invited or {}
    groups = respondent_groups(facts, responses, k)
    shown_groups = group_cells(groups, versions, version)
    visible = [cell.group for cell in shown_groups]
    items = item_cells(groups, visible, instrument, versions, version)
    comments = comment_cells(groups, visible, instrument, versions, version, report_id)
    own = own_answers(instrument, groups.self_responses)
    cells = shown_groups + items + comments + version_cells(own, instrument, invited, version)
    shown = Shown(
        version=version,
        kind=kind,
        visible=visible,
        members_group=groups.members_group,
        items={(c.group, c.question): c for c in items},
        comments={(c.group, c.question): c for c in comments},
        own=own,
        self_responses=groups.self_responses,
    )
    themes = theme_blocks(shown, instrument)
    delta = rules.gap_threshold(instrument.scale_min, instrument.scale_max)
    body = {
        "report_id": report_id,
        "round_id": facts.round_id,
        "version": version,
        "reason": reason,
        "published_at": published_at,
        "kind": kind,
        "title": facts.title,
        "subject": {"id": facts.subject_id, "name": facts.subject_name},
        "member_ids": list(facts.member_ids),
        "closed_on": facts.closed_on,
        "instrument": {
            "id": instrument.id,
            "version": instrument.version,
            "known": instrument.known,
            "title": _label(instrument.title_nl, instrument.title_en),
            "scale": {
                "min": instrument.scale_min,
                "max": instrument.scale_max,
                "labels": _label_list(instrument.scale_labels_nl, instrument.scale_labels_en),
            },
        },
        "rules": {
            "threshold": k,
            "members_threshold": k + 1 if kind == rules.KIND_GROUP_MONITOR else None,
            "gap": round(delta, 3),
        },
        "groups": group_overview(groups, shown_groups, invited, version),
        "visible_groups": visible,
        "others_groups": shown.others_groups,
        "themes": themes,
        "global_items": [item_block(shown, i) for i in instrument.global_items],
        "highlights": highlights(themes, delta),
        "comments": open_comments(shown, instrument),
        "group_monitor": group_monitor_view(shown, themes),
    }
    return BuiltReport(body=body, cells=cells, diagnostics=diagnose(instrument, responses))


def _label_list(nl: Sequence[str], en: Sequence[str]) -> list[dict[str, str]]:
    return [_label(a, en[i] if i < len(en) else a) for i, a in enumerate(nl)]
