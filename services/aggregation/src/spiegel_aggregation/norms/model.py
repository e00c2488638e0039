"""Norms: per statement the tenant-wide mean and a report's percentile among peers. Pure.

- A report contributes the mean of "all visible others" per statement: shown
  cells only (rule A4), never raw answers. A later version replaces its round's
  contribution.
- N1: norms exist once at least `min_reports` reports of the instrument version exist.
- N2: norms are snapshots, and a new snapshot is only taken when at least
  `min_reports` contributions were added since the last one: two snapshots
  never differ by fewer reports, so differencing them reveals no single
  colleague's report.
- N3: cross-tenant norms combine the snapshots of tenants that opted in, only
  when at least `min_tenants` (3) of them have one; only the combination is
  shown, never a tenant's own figures or names; it is recomputed only on the
  same stepping rule (N2) over the combined count.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Mapping
from typing import Any


def contribution_of(body: Mapping[str, Any]) -> dict[str, float]:
    """Statement id -> mean of all visible others, from a report body (shown cells only)."""
    found = {}
    for theme in body.get("themes", ()):
        for statement in theme["statements"]:
            others = statement.get("others")
            if others and others.get("mean") is not None:
                found[statement["id"]] = float(others["mean"])
    return found


def snapshot_of(contributions: Iterable[Mapping[str, float]]) -> dict[str, Any]:
    """Per statement: mean over reports and the sorted report means (for percentiles)."""
    values: dict[str, list[float]] = {}
    count = 0
    for contribution in contributions:
        count += 1
        for item, mean in contribution.items():
            values.setdefault(item, []).append(mean)
    items = {item: {"mean": sum(v) / len(v), "values": sorted(v)} for item, v in values.items()}
    return {"count": count, "items": items}


def combine_snapshots(snapshots: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """Cross-tenant: one pool of report means, no trace of which tenant gave which."""
    values: dict[str, list[float]] = {}
    count = 0
    for snapshot in snapshots:
        count += int(snapshot["count"])
        for item, entry in snapshot["items"].items():
            values.setdefault(item, []).extend(entry["values"])
    items = {item: {"mean": sum(v) / len(v), "values": sorted(v)} for item, v in values.items()}
    return {"count": count, "items": items}


def due(contributions: int, snapshot_count: int, min_reports: int) -> bool:
    """N1 + N2: a (new) snapshot only with at least `min_reports` more contributions."""
    return contributions >= min_reports and contributions - snapshot_count >= min_reports


def percentile(values: list[float], value: float) -> int:
    """Share of peer report means below `value` (ties count half), 0-100."""
    if not values:
        return 0
    below = bisect.bisect_left(values, value)
    equal = bisect.bisect_right(values, value) - below
    return round(100 * (below + equal / 2) / len(values))


def comparison(body: Mapping[str, Any], snapshot: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """A report's statements against a snapshot: the norm mean and the report's percentile."""
    if not snapshot:
        return None
    own = contribution_of(body)
    items = {}
    for item, entry in snapshot["items"].items():
        items[item] = {
            "mean": round(entry["mean"], 2),
            "percentile": percentile(entry["values"], own[item]) if item in own else None,
        }
    return {"reports": snapshot["count"], "items": items}
