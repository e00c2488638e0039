"""The discussion sessions this service follows and the facilitator's preparation view. Pure.

Sessions are planned in the accreditation service; this service keeps, per session, only what
the preparation needs (`session_of`: the participants' rounds, the facilitators, the state and
the version of the session's last event). The preparation view (about 45 minutes of a
facilitator's time) is made from the reports' bodies, i.e. from shown cells only (rule A4): it
never combines anything across people, so it cannot reveal what a single report hides.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from spiegel_aggregation.reports.anonymity import KIND_GROUP_MONITOR, KIND_IFMS

PLANNED = "planned"
CANCELLED = "cancelled"
# The accreditation's SessionKind (0: unspecified, read as IFMS).
KINDS = {0: KIND_IFMS, 1: KIND_IFMS, 2: KIND_GROUP_MONITOR}


def session_of(
    *,
    session_id: str,
    version: int,
    kind: int,
    participants: Sequence[tuple[str, str]],
    facilitator_ids: Sequence[str],
    starts_at: datetime | None,
    ends_at: datetime | None,
    state: str,
) -> dict[str, Any]:
    """What is kept of a session event: ids, times and state (no place, no names)."""
    return {
        "id": session_id,
        "version": version,
        "kind": KINDS.get(kind, KIND_IFMS),
        "participants": [{"person_id": p, "round_id": r} for p, r in participants],
        # Each round once, in the session's order: a Groepsmonitor's members share one round.
        "round_ids": list(dict.fromkeys(r for _, r in participants if r)),
        "facilitator_ids": list(dict.fromkeys(facilitator_ids)),
        "starts_at": starts_at,
        "ends_at": ends_at,
        "state": state,
    }


def may_prepare(session: Mapping[str, Any] | None, person_id: str, *, coordinating: bool) -> bool:
    """A planned session's facilitators and the hospital's coordinators; a cancelled session is gone."""
    if session is None or session.get("state") != PLANNED:
        return False
    return coordinating or person_id in session.get("facilitator_ids", ())


def _brief(items: Sequence[Mapping[str, Any]], limit: int = 3) -> list[dict[str, Any]]:
    return [dict(i) for i in items[:limit]]


def person_highlights(body: Mapping[str, Any]) -> dict[str, Any]:
    themes = [
        {
            "id": t["id"],
            "label": t["label"],
            "self": t["self"],
            "others": (t["others"] or {}).get("mean"),
            "gap": t["gap"],
        }
        for t in body["themes"]
    ]
    by_gap = sorted((t for t in themes if t["gap"] is not None), key=lambda t: -abs(t["gap"]))
    return {
        "report_id": body["report_id"],
        "round_id": body["round_id"],
        "subject": body["subject"],
        "title": body["title"],
        "groups": [
            {
                "code": g["code"],
                "label": g["label"],
                "visible": g["visible"],
                "completed": g.get("completed"),
                "invited": g.get("invited"),
            }
            for g in body["groups"]
        ],
        "strengths": _brief(body["highlights"]["strengths"]),
        "development": _brief(body["highlights"]["development"]),
        "blind_spots": _brief(body["highlights"]["blind_spots"]),
        "hidden_strengths": _brief(body["highlights"]["hidden_strengths"]),
        "themes": themes,
        # Where self-image and others' view differ most: a natural opening for the talk.
        "talking_points": [t["id"] for t in by_gap[:2]],
        "comment_counts": {
            code: sum(len(c["groups"].get(code, ())) for c in body["comments"])
            for code in body["visible_groups"]
        },
    }


def group_highlights(body: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Per visible respondent group: its theme means and where it differs most from the others."""
    found = []
    labels = {g["code"]: g["label"] for g in body["groups"]}
    others_groups = set(body.get("others_groups") or body["visible_groups"])
    for code in body["visible_groups"]:
        deviations = []
        # A group that is all of "the others" differs from them by nothing: no contrast to show.
        comparable = bool(others_groups - {code})
        for theme in body["themes"]:
            for statement in theme["statements"]:
                cell = statement["groups"].get(code) or {}
                others = statement.get("others") or {}
                if comparable and cell.get("mean") is not None and others.get("mean") is not None:
                    deviations.append(
                        {
                            "id": statement["id"],
                            "text": statement["text"],
                            "mean": cell["mean"],
                            "others": others["mean"],
                            "difference": round(cell["mean"] - others["mean"], 2),
                        }
                    )
        deviations.sort(key=lambda d: (-abs(d["difference"]), d["id"]))
        found.append(
            {
                "code": code,
                "label": labels.get(code, {"nl": code, "en": code}),
                "themes": {t["id"]: (t["groups"].get(code) or {}).get("mean") for t in body["themes"]},
                "most_different": deviations[:3],
                "compared": comparable,
            }
        )
    return found


def _moment(value: Any) -> str | None:
    return value.isoformat() if isinstance(value, datetime) else value


def preparation(
    session: Mapping[str, Any], bodies: Sequence[Mapping[str, Any]], missing: Sequence[str]
) -> dict[str, Any]:
    """Per report of the session's rounds (in the session's order) the person's highlights;
    `missing`: the rounds without a report yet."""
    return {
        "session": {
            "id": session["id"],
            "kind": session.get("kind", KIND_IFMS),
            "facilitator_ids": list(session.get("facilitator_ids", ())),
            "round_ids": list(session.get("round_ids", ())),
            "starts_at": _moment(session.get("starts_at")),
            "ends_at": _moment(session.get("ends_at")),
            "version": session.get("version"),
        },
        "people": [{**person_highlights(b), "respondent_groups": group_highlights(b)} for b in bodies],
        "reports_missing": list(missing),
    }
