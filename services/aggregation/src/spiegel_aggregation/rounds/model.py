"""A round as this service knows it (from the survey's and the invitation service's events). Pure."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from spiegel_aggregation.reports.anonymity import KIND_GROUP_MONITOR, KIND_IFMS
from spiegel_aggregation.reports.builder import GroupInfo, RoundFacts
from spiegel_aggregation.responses.model import unescape_key

OPENED = 1
CLOSED = 2

KINDS = {0: KIND_IFMS, 1: KIND_IFMS, 2: KIND_GROUP_MONITOR}


def facts_of(doc: Mapping[str, Any]) -> RoundFacts:
    closed_at = doc.get("closed_at")
    return RoundFacts(
        round_id=doc["id"],
        kind=doc.get("kind", KIND_IFMS),
        title=doc.get("title", ""),
        subject_id=doc.get("subject_id", ""),
        subject_name=doc.get("subject_name", ""),
        member_ids=tuple(doc.get("member_ids", ())),
        groups=tuple(
            GroupInfo(
                g["code"], g.get("label_nl") or g["code"], g.get("label_en") or "", bool(g.get("is_self"))
            )
            for g in doc.get("groups", ())
        ),
        instrument_id=doc.get("instrument_id", ""),
        instrument_version=int(doc.get("instrument_version", 0)),
        closed_on=closed_at.date().isoformat() if closed_at else "",
    )


def invited_per_group(doc: Mapping[str, Any]) -> dict[str, int]:
    """Issued assignments per respondent group, less the withdrawn ones."""
    withdrawn = set((doc.get("withdrawn") or {}).keys())
    return {
        unescape_key(group): sum(1 for a in assignments if a not in withdrawn)
        for group, assignments in (doc.get("invited") or {}).items()
    }


def expected_per_group(doc: Mapping[str, Any]) -> dict[str, int]:
    """Completed responses per group according to the survey's RoundClosed."""
    return {unescape_key(g): int(n) for g, n in (doc.get("expected") or {}).items()}


def readers_of(doc: Mapping[str, Any]) -> set[str]:
    """The people who read the round's report as its subject (IFMS) or as members (Groepsmonitor)."""
    people = {doc.get("subject_id", "")} | set(doc.get("member_ids", ()))
    return {p for p in people if p}
