"""A round's lifecycle and its respondent groups. Pure: no I/O.

Lifecycle: draft -> open -> closed. A round opens before its closing time; it
closes by itself at its closing time (REASON_PERIOD_ENDED) or early by the
coordinator (REASON_CLOSED_EARLY); its period can be extended while it is open
and its closing time has not passed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from spiegel_platform.errors import Text

from spiegel_survey.instruments.model import Kind


class RoundStatus(StrEnum):
    DRAFT = "draft"
    OPEN = "open"
    CLOSED = "closed"


PACKAGE = "spiegel_survey"  # whose catalog holds the texts


class LifecycleError(ValueError):
    """A step the round's current state does not allow; `reason` says which (a catalog text;
    `str()` is the English one, as in the logs)."""

    def __init__(self, reason: Text) -> None:
        super().__init__(reason.in_language("en"))
        self.reason = reason


def check_open(status: RoundStatus, now: datetime, closes_at: datetime) -> None:
    if status is not RoundStatus.DRAFT:
        raise LifecycleError(Text("round.open_not_draft", package=PACKAGE, status=str(status)))
    if closes_at <= now:
        raise LifecycleError(Text("round.open_closing_passed", package=PACKAGE))


def check_close(status: RoundStatus) -> None:
    if status is not RoundStatus.OPEN:
        raise LifecycleError(Text("round.close_not_open", package=PACKAGE, status=str(status)))


def check_extend(status: RoundStatus, now: datetime, closes_at: datetime, new_closes_at: datetime) -> None:
    if status is not RoundStatus.OPEN:
        raise LifecycleError(Text("round.extend_not_open", package=PACKAGE, status=str(status)))
    if closes_at <= now:
        raise LifecycleError(Text("round.extend_closing_passed", package=PACKAGE))
    if new_closes_at <= closes_at:
        raise LifecycleError(Text("round.extend_not_later", package=PACKAGE))


def is_due(status: RoundStatus, now: datetime, closes_at: datetime) -> bool:
    return status is RoundStatus.OPEN and closes_at <= now


@dataclass(frozen=True)
class GroupDefault:
    code: str
    label_nl: str
    label_en: str
    is_self: bool = False
    optional: bool = False


# The respondent groups of each kind of round, in report order.
GROUPS: dict[Kind, tuple[GroupDefault, ...]] = {
    Kind.IFMS: (
        GroupDefault("self", "Zelfevaluatie", "Self-evaluation", is_self=True),
        GroupDefault("colleagues", "Collega-specialisten", "Colleague specialists"),
        GroupDefault("staff", "Medewerkers", "Staff"),
        # Named by the specialist at creation (e.g. "Arts-assistenten"); reported separately.
        GroupDefault("flex", "Overige samenwerkingspartners", "Other partners"),
    ),
    Kind.GROUP_MONITOR: (
        GroupDefault("members", "Groepsleden (zelfbeeld)", "Group members (self-view)", is_self=True),
        GroupDefault("colleagues", "Collega-specialisten", "Colleague specialists"),
        GroupDefault("staff", "Medewerkers", "Staff"),
        GroupDefault("managers", "Managers", "Managers"),
        GroupDefault("referrers", "Verwijzers", "Referrers"),
        GroupDefault("partners", "Samenwerkingspartners", "Partners"),
        GroupDefault("patients", "Patiënten", "Patients", optional=True),
    ),
}


@dataclass(frozen=True)
class RespondentGroup:
    code: str
    label_nl: str
    label_en: str
    is_self: bool

    def as_dict(self) -> dict[str, object]:
        return {
            "code": self.code,
            "label_nl": self.label_nl,
            "label_en": self.label_en,
            "is_self": self.is_self,
        }


def respondent_groups(
    kind: Kind,
    *,
    flex_label_nl: str | None = None,
    flex_label_en: str | None = None,
    include_patients: bool = False,
) -> list[RespondentGroup]:
    """The groups of a new round: the kind's defaults, the flexible group named by the specialist."""
    groups = []
    for default in GROUPS[kind]:
        if default.optional and not (default.code == "patients" and include_patients):
            continue
        label_nl, label_en = default.label_nl, default.label_en
        if default.code == "flex":
            label_nl = flex_label_nl or label_nl
            label_en = flex_label_en or flex_label_nl or label_en
        groups.append(RespondentGroup(default.code, label_nl, label_en, default.is_self))
    return groups


def self_group(kind: Kind) -> str:
    return next(g.code for g in GROUPS[kind] if g.is_self)
