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


class _Versions:
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
    k = rules.effective_threshold(threshold)
    kind = facts.kind
    versions = _Versions(previous)
    invited = invited or {}
    diagnostics = {"answers_to_unknown_items": 0, "scores_out_of_scale": 0, "texts_to_unknown_items": 0}

    # -- groups -------------------------------------------------------------------
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
    rated = [c for c in order if c not in subject_self]

    def kg(code: str) -> int:
        return rules.group_threshold(k, kind, declared[code].is_self)

    cells: list[Cell] = []
    visible: list[str] = []
    group_counts: dict[str, int] = {}
    for code in rated:
        members = frozenset(rules.member(r.id) for r in by_group[code])
        if not rules.shown(len(members), kg(code)):
            continue  # A1/A2
        cell = versions.decide(Cell("g", code, "", members, version, count=len(members)), kg(code))
        if cell is None:
            continue
        cells.append(cell)
        visible.append(code)
        group_counts[code] = cell.count

    # -- item cells (A3, A5) ---------------------------------------------------------
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

    item_cells: dict[tuple[str, str], Cell] = {}
    for code in visible:
        for item in instrument.scored_items:
            stats = CellStats(item.scale_min, item.scale_max)
            answers: set[str] = set()
            for response in by_group[code]:
                score = response.scores.get(item.id)
                if score is not None and item.scale_min <= score <= item.scale_max:
                    stats.add(score)
                    answers.add(rules.member(response.id, str(score)))
                elif item.id in response.not_applicable:
                    stats.not_applicable += 1
            if not rules.shown(stats.n, kg(code)):
                continue
            decided = versions.decide(
                Cell("i", code, item.id, frozenset(answers), version, stats=stats), kg(code)
            )
            if decided is not None:
                cells.append(decided)
                item_cells[(code, item.id)] = decided

    # -- comment cells --------------------------------------------------------------
    commentable = [q.id for q in instrument.open_questions] + [i.id for i in instrument.scored_items]
    comment_cells: dict[tuple[str, str], Cell] = {}
    for code in visible:
        for question in commentable:
            written = sorted((r.id, r.texts[question]) for r in by_group[code] if question in r.texts)
            if not written:
                continue
            texts = [text for _, text in written]
            seed = hashlib.sha256(f"{report_id}|{code}|{question}".encode()).digest()
            random.Random(seed).shuffle(texts)  # noqa: S311 - an order that carries no information
            members = frozenset(rules.member(rid, rules.text_token(text)) for rid, text in written)
            decided = versions.decide(
                Cell("c", code, question, members, version, texts=tuple(texts)), kg(code)
            )
            if decided is not None:
                cells.append(decided)
                comment_cells[(code, question)] = decided

    # -- the subject's own answers (IFMS): shown to the subject, no threshold ----------
    self_scores: dict[str, float] = {}
    self_responses = [r for code in subject_self for r in by_group[code]]
    for item in instrument.scored_items:
        values = [
            r.scores[item.id]
            for r in self_responses
            if item.id in r.scores and item.scale_min <= r.scores[item.id] <= item.scale_max
        ]
        if values:
            self_scores[item.id] = sum(values) / len(values)
    self_comments: dict[str, list[str]] = {}
    for r in self_responses:
        for question, text in sorted(r.texts.items()):
            self_comments.setdefault(question, []).append(text)

    # Not subject to A5 (the subject's own answers; what the round knows), but part of what a
    # version shows: a new version is only made when something shown would change.
    self_tokens = [f"{i}:{v}" for i, v in sorted(self_scores.items())] + [
        f"t:{q}:{rules.text_token(t)}" for q, ts in sorted(self_comments.items()) for t in ts
    ]
    cells.append(Cell("s", "", "", frozenset(self_tokens), version))
    meta = [f"instrument:{instrument.key}:{instrument.known}"] + [
        f"invited:{g}:{n}" for g, n in invited.items()
    ]
    cells.append(Cell("m", "", "", frozenset(meta), version))

    others_groups = [c for c in visible if c != members_group]

    def others_cell(item: Item) -> CellStats | None:
        parts = [item_cells[(c, item.id)].stats for c in others_groups if (c, item.id) in item_cells]
        cell = combined([p for p in parts if p is not None], item.scale_min, item.scale_max)
        return cell if cell.n else None

    def self_of(item: Item) -> float | None:
        if kind == rules.KIND_GROUP_MONITOR:
            cell = item_cells.get((members_group or "", item.id))
            return cell.stats.mean if cell and cell.stats else None
        return self_scores.get(item.id)

    def item_block(item: Item) -> dict[str, Any]:
        groups: dict[str, Any] = {}
        for code in visible:
            cell = item_cells.get((code, item.id))
            if cell is None or cell.stats is None:
                groups[code] = {"suppressed": True}
            else:
                groups[code] = cell.stats.summary()
                if cell.origin != version:
                    groups[code]["carried_from_version"] = cell.origin
        others = others_cell(item)
        own = self_of(item)
        explanations = {
            code: list(comment_cells[(code, item.id)].texts)
            for code in visible
            if (code, item.id) in comment_cells
        }
        return {
            "id": item.id,
            "text": _label(item.text_nl, item.text_en),
            "scale": {"min": item.scale_min, "max": item.scale_max},
            "self": rounded(own),
            "self_not_applicable": bool(
                kind != rules.KIND_GROUP_MONITOR
                and own is None
                and any(item.id in r.not_applicable for r in self_responses)
            ),
            "groups": groups,
            "others": others.summary() if others else None,
            "gap": rounded(own - others.mean)
            if own is not None and others and others.mean is not None
            else None,
            "explanations": explanations,
            "self_explanation": self_comments.get(item.id, []) if kind != rules.KIND_GROUP_MONITOR else [],
        }

    def pooled(code: str, items: Sequence[Item]) -> CellStats | None:
        parts = [item_cells[(code, i.id)].stats for i in items if (code, i.id) in item_cells]
        if not parts or not items:
            return None
        cell = combined([p for p in parts if p is not None], items[0].scale_min, items[0].scale_max)
        return cell if cell.n else None

    themes = []
    for theme in instrument.themes:
        statements = [item_block(s) for s in theme.statements]
        per_group = {}
        for code in visible:
            pool = pooled(code, theme.statements)
            per_group[code] = {"mean": rounded(pool.mean), "answers": pool.n} if pool else None
        others_parts = [pooled(c, theme.statements) for c in others_groups]
        others_pool = combined([p for p in others_parts if p], instrument.scale_min, instrument.scale_max)
        if kind == rules.KIND_GROUP_MONITOR:
            own_pool = pooled(members_group, theme.statements) if members_group in visible else None
            own = own_pool.mean if own_pool else None
        else:
            own_values = [self_scores[s.id] for s in theme.statements if s.id in self_scores]
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
    global_items = [item_block(i) for i in instrument.global_items]

    # -- highlights -------------------------------------------------------------------
    statements_flat = [s for t in themes for s in t["statements"]]
    rated_statements = [s for s in statements_flat if s["others"] and s["others"]["mean"] is not None]
    ranked = sorted(rated_statements, key=lambda s: (-s["others"]["mean"], s["id"]))
    top = min(HIGHLIGHTS, math.ceil(len(ranked) / 2))
    strengths = ranked[:top]
    development = [s for s in reversed(ranked) if s not in strengths][:HIGHLIGHTS]
    delta = rules.gap_threshold(instrument.scale_min, instrument.scale_max)
    with_gap = [s for s in rated_statements if s["gap"] is not None]
    blind_spots = sorted((s for s in with_gap if s["gap"] >= delta), key=lambda s: (-s["gap"], s["id"]))
    hidden_strengths = sorted((s for s in with_gap if s["gap"] <= -delta), key=lambda s: (s["gap"], s["id"]))

    def brief(s: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": s["id"],
            "text": s["text"],
            "self": s["self"],
            "others": s["others"]["mean"],
            "gap": s["gap"],
        }

    # -- comments on open questions -----------------------------------------------------
    comments = []
    for question in instrument.open_questions:
        comment_groups = {
            code: list(comment_cells[(code, question.id)].texts)
            for code in visible
            if (code, question.id) in comment_cells
        }
        comments.append(
            {
                "id": question.id,
                "text": _label(question.text_nl, question.text_en),
                "role": question.role,
                "groups": comment_groups,
                "self": self_comments.get(question.id, []) if kind != rules.KIND_GROUP_MONITOR else [],
            }
        )

    # -- Groepsmonitor: the members' view against each outside group, per theme ----------
    group_monitor = None
    if kind == rules.KIND_GROUP_MONITOR:
        group_monitor = {
            "self_group": members_group,
            "self_visible": members_group in visible,
            "themes": [
                {
                    "id": t["id"],
                    "label": t["label"],
                    "self": (t["groups"].get(members_group) or {}).get("mean") if members_group else None,
                    "groups": {c: (t["groups"].get(c) or {}).get("mean") for c in others_groups},
                }
                for t in themes
            ],
        }

    # -- groups and response counts (hidden groups: invited only) -------------------------
    groups_out = []
    for code in order:
        info = declared[code]
        entry: dict[str, Any] = {
            "code": code,
            "label": _label(info.label_nl, info.label_en),
            "is_self": info.is_self,
            "visible": code in visible,
            "invited": invited.get(code),
            "threshold": kg(code) if code in rated else None,
        }
        if code in subject_self:
            entry["visible"] = bool(self_responses)
            entry["completed"] = len(by_group[code])
        elif code in visible:
            entry["completed"] = group_counts[code]
            cell = next(c for c in cells if c.key == ("g", code, ""))
            if cell.origin != version:
                entry["carried_from_version"] = cell.origin
        else:
            entry["completed"] = None  # fewer than the threshold: not even the number
        groups_out.append(entry)

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
        "groups": groups_out,
        "visible_groups": visible,
        "others_groups": others_groups,
        "themes": themes,
        "global_items": global_items,
        "highlights": {
            "strengths": [brief(s) for s in strengths],
            "development": [brief(s) for s in development],
            "blind_spots": [brief(s) for s in blind_spots],
            "hidden_strengths": [brief(s) for s in hidden_strengths],
        },
        "comments": comments,
        "group_monitor": group_monitor,
    }
    return BuiltReport(body=body, cells=cells, diagnostics=diagnostics)


def _label_list(nl: Sequence[str], en: Sequence[str]) -> list[dict[str, str]]:
    return [_label(a, en[i] if i < len(en) else a) for i, a in enumerate(nl)]
