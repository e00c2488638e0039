"""Improvement cycles (PDSA, after Shewhart and Deming) on an action of a group's plan: pure rules.

An action can be worked on in Plan-Do-Study-Act cycles: plan (the change to test and the
prediction), do (what was done, what was observed), study (the result against the prediction),
act (the decision: adopt, adapt or abandon) which opens the next cycle. Beside the cycles, a
measure is entered over time (a date and a number per point) and shown as a run chart.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from spiegel_platform.errors import Text

from spiegel_action_plan.pops.model import RuleError, check_text

DECISIONS = ("adopt", "adapt", "abandon")
MAX_CYCLES = 20
MAX_POINTS = 200
# A measure's points: from ten years back (a baseline before the plan) up to today.
PAST = timedelta(days=10 * 366)


@dataclass(frozen=True)
class Cycle:
    cycle_id: str
    change: str  # plan: the change to test
    prediction: str = ""  # plan: what the group expects
    done: str = ""  # do: what was done
    observed: str = ""  # do: what was observed
    result: str = ""  # study: the result against the prediction
    decision: str = ""  # act: adopt, adapt, abandon ("" while the cycle runs)

    def as_dict(self) -> dict[str, Any]:
        return {
            "cycle_id": self.cycle_id,
            "change": self.change,
            "prediction": self.prediction,
            "done": self.done,
            "observed": self.observed,
            "result": self.result,
            "decision": self.decision,
        }

    @classmethod
    def of(cls, raw: Mapping[str, Any]) -> Cycle:
        return cls(**{k: raw.get(k, "") for k in cls.__dataclass_fields__})

    @property
    def stage(self) -> str:
        """Where the cycle is: plan, do, study or act (decided)."""
        if self.decision:
            return "act"
        if self.result:
            return "study"
        if self.done or self.observed:
            return "do"
        return "plan"


@dataclass(frozen=True)
class Point:
    on: date
    value: float
    note: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {"on": self.on.isoformat(), "value": self.value, "note": self.note}

    @classmethod
    def of(cls, raw: Mapping[str, Any]) -> Point:
        return cls(date.fromisoformat(raw["on"]), float(raw["value"]), raw.get("note", ""))


def check_cycles(cycles: Sequence[Cycle]) -> tuple[Cycle, ...]:
    """The cycles as kept, or the first RuleError naming the field: each has its change; its study
    follows what was done, its decision follows the study; a next cycle follows a decision."""
    if len(cycles) > MAX_CYCLES:
        raise RuleError("cycles", Text("pdsa.too_many_cycles", most=MAX_CYCLES))
    kept: list[Cycle] = []
    seen: set[str] = set()
    for index, cycle in enumerate(cycles):
        at = f"cycles[{index}]"
        cycle_id = cycle.cycle_id or uuid.uuid4().hex[:12]
        if cycle_id in seen:
            raise RuleError(f"{at}.cycle_id", Text("pdsa.cycle_twice"))
        seen.add(cycle_id)
        texts = {
            name: check_text(f"{at}.{name}", getattr(cycle, name))
            for name in ("change", "prediction", "done", "observed", "result")
        }
        if not texts["change"]:
            raise RuleError(f"{at}.change", Text("pdsa.without_change"))
        if cycle.decision and cycle.decision not in DECISIONS:
            raise RuleError(f"{at}.decision", Text("pdsa.unknown_decision"))
        if texts["result"] and not (texts["done"] or texts["observed"]):
            raise RuleError(f"{at}.result", Text("pdsa.study_before_do"))
        if cycle.decision and not texts["result"]:
            raise RuleError(f"{at}.decision", Text("pdsa.act_before_study"))
        if kept and not kept[-1].decision:
            raise RuleError(f"{at}.change", Text("pdsa.previous_undecided"))
        kept.append(Cycle(cycle_id=cycle_id, decision=cycle.decision, **texts))
    return tuple(kept)


def check_points(points: Sequence[Point], today: date) -> tuple[Point, ...]:
    """The measure's points in date order, or the first RuleError: a finite number, a date from ten
    years back up to today, a short note."""
    if len(points) > MAX_POINTS:
        raise RuleError("measurements", Text("pdsa.too_many_points", most=MAX_POINTS))
    kept = []
    for index, point in enumerate(points):
        at = f"measurements[{index}]"
        if not math.isfinite(point.value) or abs(point.value) > 1e12:
            raise RuleError(f"{at}.value", Text("pdsa.bad_value"))
        if point.on > today:
            raise RuleError(f"{at}.on", Text("pdsa.point_in_future"))
        if point.on < today - PAST:
            raise RuleError(f"{at}.on", Text("pdsa.point_too_old"))
        kept.append(Point(point.on, point.value, check_text(f"{at}.note", point.note, multiline=False)))
    return tuple(sorted(kept, key=lambda p: p.on))
