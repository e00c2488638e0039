"""Groups of specialists: a vakgroep (the specialists of one specialism in a hospital) or a
maatschap (a partnership of self-employed specialists). Pure: no I/O.

Decisions:
- A name is unique within a hospital regardless of case and surrounding spaces ("Cardiologie"
  and " cardiologie" are one group): the key it is claimed under is `name_key(name)`.
- Members are specialists of the same hospital; the contact person is any person of the
  hospital (a member, or e.g. a secretary).
- Membership is kept as a history of changes (joined / left, when, by whom), never rewritten,
  so "who were the members on date D" stays answerable after people leave.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field
from spiegel_platform.errors import Text
from spiegel_platform.names import is_hidden_control

KINDS = ("vakgroep", "maatschap")
MAX_NAME = 120
MAX_SPECIALISM = 120
JOINED = "joined"
LEFT = "left"


def name_key(name: str) -> str:
    """The form a group's name is unique in: case-folded, white space collapsed."""
    return " ".join(name.split()).casefold()


def text_problem(value: str, *, limit: int, required: bool = True) -> Text | None:
    """Why a name-like text cannot be used (a catalog text), or None when it can."""
    if any(c in "<>" or is_hidden_control(c) for c in value):
        return Text("reason.no_control_characters", package="spiegel_gateway")
    if required and not value.strip():
        return Text("reason.required_not_only_spaces", package="spiegel_gateway")
    if len(value.strip()) > limit:
        return Text("reason.too_long", package="spiegel_gateway", limit=limit)
    return None


@dataclass(frozen=True)
class MembershipChange:
    person_id: str
    change: str  # JOINED or LEFT
    at: datetime
    by: str  # the person id of whoever made the change


def members_on(history: Iterable[MembershipChange], moment: datetime) -> list[str]:
    """The members at `moment` (in the order they joined): the history replayed up to it."""
    members: dict[str, None] = {}
    for entry in sorted(history, key=lambda e: e.at):
        if entry.at > moment:
            break
        if entry.change == JOINED:
            members[entry.person_id] = None
        else:
            members.pop(entry.person_id, None)
    return list(members)


class GroupIn(BaseModel):
    name: str = Field(..., max_length=MAX_NAME)
    kind: Literal["vakgroep", "maatschap"] = "vakgroep"
    specialism: str = Field("", max_length=MAX_SPECIALISM)
    contact_person_id: str | None = Field(None, max_length=64)
    member_person_ids: list[str] = Field(default_factory=list, max_length=500)


class GroupPatch(BaseModel):
    name: str | None = Field(None, max_length=MAX_NAME)
    kind: Literal["vakgroep", "maatschap"] | None = None
    specialism: str | None = Field(None, max_length=MAX_SPECIALISM)
    # "" removes the contact person.
    contact_person_id: str | None = Field(None, max_length=64)


class MemberIn(BaseModel):
    person_id: str = Field(..., min_length=1, max_length=64)


class MemberOut(BaseModel):
    person_id: str
    display_name: str


class HistoryOut(BaseModel):
    person_id: str
    display_name: str
    change: Literal["joined", "left"]
    at: datetime
    by: str
    by_name: str


class HistoryPage(BaseModel):
    group_id: str
    name: str
    entries: list[HistoryOut]  # oldest first


class MembersOn(BaseModel):
    group_id: str
    name: str
    on: date | None  # None: now
    members: list[MemberOut]


class GroupOut(BaseModel):
    group_id: str
    name: str
    kind: str
    specialism: str
    contact_person_id: str | None
    contact_name: str | None = None
    members: list[MemberOut]
    revision: int
