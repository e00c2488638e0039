"""The anonymity rules: what a report may show. Pure; README.md states them in words.

k is the round's threshold: the highest of the platform's floor (4,
`spiegel_platform.anonymity.MIN_GROUP_SIZE`), the tenant's setting and the
round's own (a tenant may raise it, never lower it).

A1  A respondent group with fewer than k completed responses is not shown at
    all: no scores, n, distribution, comments, not even its completed count.
A2  A group whose members read the report (a Groepsmonitor's self-view: the
    members) needs k + 1: a reader knows their own answer, at least k others remain.
A3  An item whose n (answers other than n.v.t.) is below the group's threshold
    is suppressed for that group: no mean, sd, n or distribution.
A4  Everything combined ("all others", theme figures, gaps, highlights, norms,
    the facilitator's overview) is computed from shown cells only, never from
    raw answers: so it can never be differenced back to a hidden group or item.
A5  Versions: a cell (a group's completed count, an item of a group, a group's
    comments on a question) is described by the set of answers it is made of
    (response id and answer). In a new version a cell may only show values made
    of a set that, for EVERY earlier published version, equals that version's
    shown set or differs from it in at least the group's threshold of answers.
    Otherwise the latest version's cell is shown unchanged (marked so), or the
    cell stays hidden when the latest version did not show it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from spiegel_platform.anonymity import MIN_GROUP_SIZE, threshold

MIN_THRESHOLD = MIN_GROUP_SIZE  # the platform's floor (spiegel_platform.anonymity)

KIND_IFMS = "IFMS"
KIND_GROUP_MONITOR = "GROUP_MONITOR"


def effective_threshold(*settings: int | None) -> int:
    """k: the highest of the floor, the tenant's setting and the round's own."""
    return threshold(*settings)


def group_threshold(k: int, kind: str, is_self: bool) -> int:
    """A2: a Groepsmonitor's members read the report that includes their own answers."""
    return k + 1 if kind == KIND_GROUP_MONITOR and is_self else k


def shown(n: int, threshold: int) -> bool:
    return n >= threshold


def may_change(new: frozenset[str], earlier: Iterable[frozenset[str]], threshold: int) -> bool:
    """A5: equal to, or at least `threshold` answers away from, every earlier shown set."""
    return all(new == old or len(new ^ old) >= threshold for old in earlier)


def member(response_id: str, detail: str = "") -> str:
    """A short, stable token of one answer in a cell's set (never shown)."""
    digest = hashlib.sha256(response_id.encode()).hexdigest()[:12]
    return f"{digest}:{detail}" if detail else digest


def text_token(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:10]


def gap_threshold(scale_min: int, scale_max: int) -> float:
    """Blind spot / hidden strength: self and others differ by at least 1/8 of the scale's range
    (0.5 on a 1-5 scale)."""
    return (scale_max - scale_min) / 8
