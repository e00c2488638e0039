"""Sufficient statistics of a cell (one item, one set of answers). Pure.

A cell keeps count, sum, sum of squares, a histogram over the scale and the
n.v.t. count; mean, standard deviation (sample, n-1) and distributions follow,
and cells combine by adding them (how "all others" and theme figures are made
from shown cells only).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass
class CellStats:
    scale_min: int
    scale_max: int
    n: int = 0
    total: float = 0.0
    total_sq: float = 0.0
    hist: list[int] = field(default_factory=list)
    not_applicable: int = 0

    def __post_init__(self) -> None:
        if not self.hist:
            self.hist = [0] * (self.scale_max - self.scale_min + 1)

    def add(self, score: int) -> None:
        self.n += 1
        self.total += score
        self.total_sq += score * score
        self.hist[score - self.scale_min] += 1

    def merge(self, other: CellStats) -> None:
        if (other.scale_min, other.scale_max) != (self.scale_min, self.scale_max):
            raise ValueError("cells on different scales do not combine")
        self.n += other.n
        self.total += other.total
        self.total_sq += other.total_sq
        self.hist = [a + b for a, b in zip(self.hist, other.hist, strict=True)]
        self.not_applicable += other.not_applicable

    @property
    def mean(self) -> float | None:
        return self.total / self.n if self.n else None

    @property
    def sd(self) -> float | None:
        if self.n < 2:
            return None
        variance = (self.total_sq - self.total * self.total / self.n) / (self.n - 1)
        return math.sqrt(max(0.0, variance))

    def to_document(self) -> dict[str, Any]:
        return {
            "n": self.n,
            "sum": self.total,
            "sumsq": self.total_sq,
            "hist": list(self.hist),
            "nvt": self.not_applicable,
            "min": self.scale_min,
            "max": self.scale_max,
        }

    @classmethod
    def from_document(cls, doc: Mapping[str, Any]) -> CellStats:
        return cls(
            scale_min=int(doc["min"]),
            scale_max=int(doc["max"]),
            n=int(doc["n"]),
            total=float(doc["sum"]),
            total_sq=float(doc["sumsq"]),
            hist=[int(h) for h in doc["hist"]],
            not_applicable=int(doc.get("nvt", 0)),
        )

    def summary(self) -> dict[str, Any]:
        """What a report shows of a visible cell."""
        return {
            "n": self.n,
            "mean": _round(self.mean),
            "sd": _round(self.sd),
            "distribution": list(self.hist),
            "not_applicable": self.not_applicable,
        }


def combined(cells: Iterable[CellStats], scale_min: int, scale_max: int) -> CellStats:
    result = CellStats(scale_min, scale_max)
    for cell in cells:
        result.merge(cell)
    return result


def mean_of(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def _round(value: float | None, digits: int = 2) -> float | None:
    return None if value is None else round(value, digits)


def rounded(value: float | None, digits: int = 2) -> float | None:
    return _round(value, digits)
