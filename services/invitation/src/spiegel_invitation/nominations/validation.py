"""Checking nominations row by row, before anything is saved. Pure: no I/O.

Every problem names its row and column, says what is wrong in Dutch (and
English), and where a fix is likely offers it as a suggestion; nothing is
changed unless the coordinator asks for that suggestion. Errors keep a row
out; warnings let the coordinator decide.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from spiegel_platform.anonymity import MIN_GROUP_SIZE
from spiegel_platform.i18n import LANGUAGES as TEXT_LANGUAGES
from spiegel_platform.i18n import translator
from spiegel_platform.mail_addresses import AddressError, deliverable_address
from spiegel_platform.names import one_line

from spiegel_invitation.nominations.domains import DomainAdvisor
from spiegel_invitation.nominations.names import capitalised, is_all_lowercase
from spiegel_invitation.rounds.model import MIN_NOMINEES_ADVISED

ERROR = "error"
WARNING = "warning"
PACKAGE = "spiegel_invitation"  # its catalogs hold the texts (keys nomination.<text>)
LANGUAGES = {"nl": "nl", "en": "en", "nederlands": "nl", "dutch": "nl", "engels": "en", "english": "en"}


@dataclass
class Problem:
    column: str
    kind: str
    severity: str
    message: str
    message_en: str
    suggestion: str | None = None


@dataclass
class RowIn:
    row: int
    group: str = ""
    name: str = ""
    email: str = ""
    language: str = ""
    round: str = ""


@dataclass
class RowResult:
    row: int
    group: str  # the group's code when recognised, else what was typed
    name: str
    email: str
    language: str
    problems: list[Problem] = field(default_factory=list)

    @property
    def status(self) -> str:
        if any(p.severity == ERROR for p in self.problems):
            return ERROR
        return WARNING if self.problems else "ok"

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "status": self.status}

    def add(
        self, column: str, kind: str, severity: str, text: str, suggestion: str | None = None, **params: Any
    ) -> None:
        """A problem whose words are the catalog's `nomination.<text>`, in Dutch and English; a
        parameter given as a `Label` is shown in each language's own words."""
        both = {
            language: translator(language, (PACKAGE,)).gettext(
                f"nomination.{text}",
                **{k: v.get(language, "") if isinstance(v, Label) else v for k, v in params.items()},
            )
            for language in TEXT_LANGUAGES
        }
        self.problems.append(Problem(column, kind, severity, both["nl"], both["en"], suggestion))


class Label(dict[str, str]):
    """A name in every language (`{"nl": ..., "en": ...}`): what people read instead of a code."""


def group_label(code: str, groups: Sequence[dict[str, Any]]) -> Label:
    """A respondent group as people know it (its label, the code only when it has none)."""
    group = next((g for g in groups if str(g.get("code")) == code), None) or {}
    return Label(nl=group.get("label_nl") or code, en=group.get("label_en") or group.get("label_nl") or code)


@dataclass
class Context:
    round_id: str
    round_title: str
    groups: Sequence[dict[str, Any]]  # every group of the round (the self group is refused)
    subject_emails: set[str] = field(default_factory=set)
    subject_names: set[str] = field(default_factory=set)
    existing: dict[str, tuple[str, str]] = field(default_factory=dict)  # email -> (group, name)
    known_domains: Iterable[str] = ()
    default_language: str = "nl"
    open_requests: dict[str, int] = field(default_factory=dict)  # email -> open requests elsewhere
    fatigue_limit: int = 8


def normalise_email(value: str) -> str:
    return value.strip().lower()


def _name_key(value: str) -> str:
    return " ".join(value.lower().replace(".", " ").split())


def resolve_group(value: str, groups: Sequence[dict[str, Any]]) -> dict[str, Any] | None:
    wanted = value.strip().lower()
    for group in groups:
        names = {str(group.get("code", "")).lower(), str(group.get("label_nl", "")).lower()}
        names.add(str(group.get("label_en", "")).lower())
        if wanted and wanted in names:
            return group
    return None


def check_email(value: str) -> tuple[str | None, Label | None]:
    """(address as the mail relay takes it, None) or (None, the reason in each language); see
    `deliverable_address`."""
    try:
        return deliverable_address(value), None
    except AddressError as error:
        return None, Label(nl=error.reason.in_language("nl"), en=error.reason.in_language("en"))


def already_nominated(result: RowResult, other_group: Label) -> None:
    result.add(
        "email", "already_nominated", ERROR, "already_nominated", email=result.email, group=other_group
    )


def validate_rows(rows: Sequence[RowIn], ctx: Context) -> list[RowResult]:
    results: list[RowResult] = []
    by_row: dict[int, RowResult] = {}
    domains = DomainAdvisor(ctx.known_domains)
    seen: dict[str, list[tuple[int, str]]] = {}  # email -> [(row, group)]
    group_labels = ", ".join(
        f"{g.get('label_nl') or g['code']} ({g['code']})" for g in ctx.groups if not g.get("is_self")
    )
    for raw in rows:
        group = resolve_group(raw.group, ctx.groups) if raw.group.strip() else None
        result = RowResult(
            row=raw.row,
            group=str(group["code"]) if group else raw.group.strip(),
            name=one_line(raw.name),  # a NUL, a bell, a direction mark, Excel's line break: a space
            email=raw.email.strip(),
            language=LANGUAGES.get(raw.language.strip().lower(), ctx.default_language),
        )
        results.append(result)
        by_row[raw.row] = result

        if raw.round.strip() and raw.round.strip() not in (ctx.round_id, ctx.round_title):
            result.add(
                "round", "wrong_round", ERROR, "wrong_round", other=raw.round.strip(), title=ctx.round_title
            )
        if not raw.group.strip():
            result.add("group", "missing_group", ERROR, "missing_group")
        elif group is None:
            result.add(
                "group", "unknown_group", ERROR, "unknown_group", group=raw.group.strip(), groups=group_labels
            )
        elif group.get("is_self"):
            result.add("group", "unknown_group", ERROR, "self_group")
        if raw.language.strip() and raw.language.strip().lower() not in LANGUAGES:
            result.add(
                "language",
                "unknown_language",
                WARNING,
                "unknown_language",
                language=raw.language.strip(),
                default=ctx.default_language,
            )

        if not result.name:
            result.add("name", "missing_name", ERROR, "missing_name")
        elif is_all_lowercase(result.name):
            proposal = capitalised(result.name)
            result.add("name", "lowercase_name", WARNING, "lowercase_name", proposal, proposal=proposal)

        email_key = ""
        if not result.email:
            result.add("email", "missing_email", ERROR, "missing_email")
        else:
            normalised, reason = check_email(result.email)
            if normalised is None:
                result.add(
                    "email", "invalid_email", ERROR, "invalid_email", email=result.email, reason=reason
                )
            else:
                result.email = normalised
                email_key = normalise_email(normalised)
                local, _, domain = normalised.rpartition("@")
                fixed = domains.suggest(domain)
                if fixed:
                    proposal = f"{local}@{fixed}"
                    result.add(
                        "email",
                        "domain_typo",
                        WARNING,
                        "domain_typo",
                        proposal,
                        domain=domain,
                        proposal=proposal,
                    )

        if (email_key and email_key in ctx.subject_emails) or (
            result.name and _name_key(result.name) in ctx.subject_names
        ):
            column = "email" if email_key in ctx.subject_emails else "name"
            result.add(column, "self_nomination", ERROR, "self_nomination")
        if email_key:
            if email_key in ctx.existing:
                already_nominated(result, group_label(ctx.existing[email_key][0], ctx.groups))
            earlier = seen.setdefault(email_key, [])
            for other_row, other_group in earlier:
                if other_group == result.group:
                    result.add(
                        "email",
                        "duplicate_in_group",
                        ERROR,
                        "duplicate_in_group",
                        email=result.email,
                        row=other_row,
                    )
                    break
            else:
                for other_row, other_group in earlier:
                    result.add(
                        "email",
                        "duplicate_across_groups",
                        ERROR,
                        "duplicate_across_groups",
                        email=result.email,
                        group=group_label(other_group, ctx.groups),
                        row=other_row,
                    )
                    first = by_row[other_row]
                    if not any(p.kind == "duplicate_across_groups" for p in first.problems):
                        first.add(
                            "email",
                            "duplicate_across_groups",
                            ERROR,
                            "duplicate_across_groups",
                            email=result.email,
                            group=group_label(result.group, ctx.groups),
                            row=result.row,
                        )
                    break
            earlier.append((result.row, result.group))
            open_requests = ctx.open_requests.get(email_key, 0) + 1
            if open_requests > ctx.fatigue_limit:
                result.add(
                    "email",
                    "rater_fatigue",
                    WARNING,
                    "rater_fatigue",
                    email=result.email,
                    count=open_requests,
                    limit=ctx.fatigue_limit,
                )
    return results


def group_warnings(
    counts: dict[str, int], groups: Sequence[dict[str, Any]], advised: int = MIN_NOMINEES_ADVISED
) -> list[dict[str, Any]]:
    """Groups with fewer than 6 nominees: fewer than MIN_GROUP_SIZE completions keep a group
    out of the report."""
    warnings = []
    for group in groups:
        if group.get("is_self"):
            continue
        count = counts.get(str(group["code"]), 0)
        if count < advised:
            values = {"count": count, "advised": advised, "k": MIN_GROUP_SIZE}
            nl = translator("nl", (PACKAGE,))
            en = translator("en", (PACKAGE,))
            label_nl = group.get("label_nl") or group["code"]
            label_en = group.get("label_en") or group["code"]
            key = "nomination.group_too_small_one" if count == 1 else "nomination.group_too_small"
            warnings.append(
                {
                    "group": group["code"],
                    "nominees": count,
                    "message": nl.gettext(key, group=label_nl, **values),
                    "message_en": en.gettext(key, group=label_en, **values),
                }
            )
    return warnings
