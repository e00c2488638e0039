"""Discussion groups and the facilitator's preparation view. Pure.

An IFMS discussion group holds at most 8 specialists' rounds; a Groepsmonitor
discussion is the whole group: exactly one Groepsmonitor round. The
preparation view (about 45 minutes of a facilitator's time) is made from the
reports' bodies, i.e. from shown cells only (rule A4): it never combines
anything across people, so it cannot reveal what a single report hides.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from spiegel_platform.errors import Text

from spiegel_aggregation.reports.anonymity import KIND_GROUP_MONITOR, KIND_IFMS

MAX_IFMS_PARTICIPANTS = 8

PACKAGE = "spiegel_aggregation"


class DiscussionError(ValueError):
    """Names the field and what is wrong (a catalog text; `str()` is the Dutch one)."""

    def __init__(self, field: str, reason: Text) -> None:
        super().__init__(str(reason))
        self.field = field
        self.reason = reason


def check_composition(kind: str, round_kinds: Mapping[str, str]) -> None:
    if kind not in (KIND_IFMS, KIND_GROUP_MONITOR):
        raise DiscussionError("kind", Text("discussion.kind_unknown", package=PACKAGE))
    if not round_kinds:
        raise DiscussionError("round_ids", Text("discussion.no_rounds", package=PACKAGE))
    if kind == KIND_IFMS and len(round_kinds) > MAX_IFMS_PARTICIPANTS:
        raise DiscussionError(
            "round_ids",
            Text(
                "discussion.too_many_participants",
                package=PACKAGE,
                most=MAX_IFMS_PARTICIPANTS,
                count=len(round_kinds),
            ),
        )
    if kind == KIND_GROUP_MONITOR and len(round_kinds) != 1:
        raise DiscussionError("round_ids", Text("discussion.group_monitor_one_round", package=PACKAGE))
    wrong = sorted(r for r, k in round_kinds.items() if k != kind)
    if wrong:
        raise DiscussionError(
            "round_ids",
            Text("discussion.rounds_of_other_kind", package=PACKAGE, kind=kind, rounds=", ".join(wrong)),
        )


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


def preparation(
    group: Mapping[str, Any], bodies: Sequence[Mapping[str, Any]], missing: Sequence[str]
) -> dict[str, Any]:
    return {
        "discussion_group": {
            k: group[k] for k in ("id", "title", "kind", "facilitator_id", "round_ids", "meeting_date")
        },
        "people": [{**person_highlights(b), "respondent_groups": group_highlights(b)} for b in bodies],
        "reports_missing": list(missing),
    }
