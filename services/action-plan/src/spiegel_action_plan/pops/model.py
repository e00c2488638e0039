"""The rules of a POP (persoonlijk ontwikkelplan): pure functions and dataclasses, no I/O.

A POP holds what to keep and extend (behouden en uitbreiden) and goals for the coming period.
Each goal: what, why (items of the owner's own report or the facilitator's notes: ids and the
short labels the page sends), how, by when, support needed, how the owner will know it worked,
and a status. At the next IFMS the owner first reviews the previous POP's goals (achieved,
ongoing, carried forward, dropped with a reason); carried-forward goals move into the new POP.
"""

from __future__ import annotations

import re
import unicodedata
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from spiegel_platform.errors import Text
from spiegel_platform.names import BIDI_CONTROLS

DRAFT = "draft"
COMPLETE = "complete"
GOAL_STATUSES = ("not_started", "in_progress", "achieved", "stopped")
REVIEW_OUTCOMES = ("achieved", "ongoing", "carried_forward", "dropped")
WHY_KINDS = ("strength", "development_point", "blind_spot", "hidden_strength", "facilitator_note")
MAX_GOALS = 15
# A goal's date: from today up to five years ahead (the re-registration period); an earlier
# date is accepted only where the goal already had it (a goal saved last year keeps its date).
HORIZON = timedelta(days=5 * 366)
_MEASURABLE = re.compile(
    r"\d|%|procent|percent|keer|times|per (week|maand|month|dag|day|jaar|year)|elke|every|each|iedere|"
    r"minimaal|minstens|at least|ten minste|aantal|number",
    re.IGNORECASE,
)


class RuleError(Exception):
    def __init__(self, field: str, reason: Text) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


def _hidden(char: str, multiline: bool) -> bool:
    if multiline and char in "\n\t":
        return False
    return unicodedata.category(char) in ("Cc", "Zl", "Zp", "Cs") or char in BIDI_CONTROLS


def check_text(field: str, value: str, *, multiline: bool = True) -> str:
    """The text as kept (line ends made \\n, trailing space trimmed), or a RuleError for
    control or bidirectional characters. HTML is kept as text: every page and the PDF escape it."""
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    for position, char in enumerate(value):
        if _hidden(char, multiline):
            raise RuleError(
                field, Text("pop.hidden_character", code=f"U+{ord(char):04X}", position=position + 1)
            )
    return value.strip()


@dataclass(frozen=True)
class Why:
    kind: str
    ref: str
    label: str


@dataclass(frozen=True)
class Goal:
    id: str
    what: str
    why: tuple[Why, ...] = ()
    how: str = ""
    by_when: date | None = None
    support: str = ""
    evidence: str = ""  # how the owner will know it worked
    status: str = "not_started"
    carried_from: str = ""  # the previous POP's goal this one carries forward

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "what": self.what,
            "why": [{"kind": w.kind, "ref": w.ref, "label": w.label} for w in self.why],
            "how": self.how,
            "by_when": self.by_when.isoformat() if self.by_when else None,
            "support": self.support,
            "evidence": self.evidence,
            "status": self.status,
            "carried_from": self.carried_from,
        }

    @classmethod
    def of(cls, raw: Mapping[str, Any]) -> Goal:
        return cls(
            id=raw["id"],
            what=raw["what"],
            why=tuple(Why(w["kind"], w["ref"], w["label"]) for w in raw.get("why", ())),
            how=raw.get("how", ""),
            by_when=date.fromisoformat(raw["by_when"]) if raw.get("by_when") else None,
            support=raw.get("support", ""),
            evidence=raw.get("evidence", ""),
            status=raw.get("status", "not_started"),
            carried_from=raw.get("carried_from", ""),
        )


@dataclass(frozen=True)
class ReviewItem:
    goal_id: str
    outcome: str
    reason: str = ""


@dataclass(frozen=True)
class Content:
    """What is sealed: everything the owner wrote."""

    keep_and_extend: str = ""
    goals: tuple[Goal, ...] = ()
    review: tuple[ReviewItem, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            "keep_and_extend": self.keep_and_extend,
            "goals": [g.as_dict() for g in self.goals],
            "review": [{"goal_id": r.goal_id, "outcome": r.outcome, "reason": r.reason} for r in self.review],
        }

    @classmethod
    def of(cls, raw: Mapping[str, Any]) -> Content:
        return cls(
            keep_and_extend=raw.get("keep_and_extend", ""),
            goals=tuple(Goal.of(g) for g in raw.get("goals", ())),
            review=tuple(
                ReviewItem(r["goal_id"], r["outcome"], r.get("reason", "")) for r in raw.get("review", ())
            ),
        )


def new_goal_id() -> str:
    return uuid.uuid4().hex[:12]


def check_goals(goals: Sequence[Goal], earlier: Sequence[Goal], today: date) -> tuple[Goal, ...]:
    """The goals as kept, or the first RuleError: texts, ids, dates, statuses, links."""
    if len(goals) > MAX_GOALS:
        raise RuleError("goals", Text("pop.too_many_goals", most=MAX_GOALS))
    before = {g.id: g for g in earlier}
    seen: set[str] = set()
    kept = []
    for index, goal in enumerate(goals):
        at = f"goals[{index}]"
        goal_id = goal.id or new_goal_id()
        if goal_id in seen:
            raise RuleError(f"{at}.id", Text("pop.goal_twice"))
        seen.add(goal_id)
        what = check_text(f"{at}.what", goal.what)
        if not what:
            raise RuleError(f"{at}.what", Text("pop.goal_without_what"))
        if goal.status not in GOAL_STATUSES:
            raise RuleError(f"{at}.status", Text("pop.unknown_status"))
        whys = []
        for n, why in enumerate(goal.why):
            if why.kind not in WHY_KINDS:
                raise RuleError(f"{at}.why[{n}].kind", Text("pop.unknown_why"))
            whys.append(
                Why(
                    why.kind,
                    check_text(f"{at}.why[{n}].ref", why.ref, multiline=False),
                    check_text(f"{at}.why[{n}].label", why.label, multiline=False),
                )
            )
        if goal.by_when is not None:
            unchanged = goal_id in before and before[goal_id].by_when == goal.by_when
            if goal.by_when > today + HORIZON:
                raise RuleError(
                    f"{at}.by_when", Text("pop.date_too_far", latest=(today + HORIZON).isoformat())
                )
            if goal.by_when < today and not unchanged:
                raise RuleError(f"{at}.by_when", Text("pop.date_in_past"))
        kept.append(
            Goal(
                id=goal_id,
                what=what,
                why=tuple(whys),
                how=check_text(f"{at}.how", goal.how),
                by_when=goal.by_when,
                support=check_text(f"{at}.support", goal.support),
                evidence=check_text(f"{at}.evidence", goal.evidence),
                status=goal.status,
                carried_from=before[goal_id].carried_from if goal_id in before else "",
            )
        )
    return tuple(kept)


def prompts(goal: Goal) -> list[str]:
    """Gentle hints (catalog keys) that make a goal specific and measurable; none is required."""
    hints = []
    if len(goal.what.split()) < 4:
        hints.append("pop.prompt.specific")
    if not _MEASURABLE.search(f"{goal.what} {goal.evidence}"):
        hints.append("pop.prompt.measurable")
    if not goal.evidence:
        hints.append("pop.prompt.evidence")
    if goal.by_when is None:
        hints.append("pop.prompt.when")
    if not goal.why:
        hints.append("pop.prompt.why")
    if not goal.how:
        hints.append("pop.prompt.how")
    return hints


def check_review(previous: Sequence[Goal], items: Sequence[ReviewItem]) -> tuple[ReviewItem, ...]:
    """Every previous goal reviewed exactly once, a dropped one with its reason."""
    wanted = {g.id for g in previous}
    seen: dict[str, ReviewItem] = {}
    for index, item in enumerate(items):
        at = f"items[{index}]"
        if item.goal_id not in wanted:
            raise RuleError(f"{at}.goal_id", Text("pop.review_unknown_goal"))
        if item.goal_id in seen:
            raise RuleError(f"{at}.goal_id", Text("pop.goal_twice"))
        if item.outcome not in REVIEW_OUTCOMES:
            raise RuleError(f"{at}.outcome", Text("pop.unknown_outcome"))
        reason = check_text(f"{at}.reason", item.reason)
        if item.outcome == "dropped" and not reason:
            raise RuleError(f"{at}.reason", Text("pop.dropped_without_reason"))
        seen[item.goal_id] = ReviewItem(item.goal_id, item.outcome, reason)
    missing = [g for g in previous if g.id not in seen]
    if missing:
        raise RuleError("items", Text("pop.review_incomplete", count=len(missing)))
    return tuple(seen[g.id] for g in previous)


def carried_forward(
    previous: Sequence[Goal], review: Sequence[ReviewItem], current: Sequence[Goal]
) -> tuple[Goal, ...]:
    """The current goals plus a copy of each goal carried forward (once, however often reviewed)."""
    outcomes = {r.goal_id: r.outcome for r in review}
    have = {g.carried_from for g in current if g.carried_from}
    added = [
        Goal(
            id=new_goal_id(),
            what=g.what,
            why=g.why,
            how=g.how,
            by_when=None,  # a new date for the new period
            support=g.support,
            evidence=g.evidence,
            status="in_progress",
            carried_from=g.id,
        )
        for g in previous
        if outcomes.get(g.id) == "carried_forward" and g.id not in have
    ]
    return (*current, *added)
