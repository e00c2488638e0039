"""Discussion sessions (groepsbesprekingen): the rules. Pure: no I/O, unit-tested alone.

- An IFMS discussion has 1 to 8 participants, each a specialist with their own closed IFMS
  round; more chosen specialists are split into balanced groups of at most 8 (11 -> 6+5,
  17 -> 6+6+5, 200 -> 25 x 8), shown as a proposal before anything is saved.
- A Groepsmonitor discussion is the whole group (every member of the group's closed round)
  in one session.
- A participant takes part in one session per round (enforced by the seats, sessions/seats.py).
- One or two facilitators, never a participant of the same session.
- Times: the start not in the past when planned or moved, not beyond the planning horizon,
  the end after the start; a discussion takes 2 to 3 hours by group size (`suggested_minutes`).
- A place or an online link (or both).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal, TypeVar
from urllib.parse import urlsplit

from spiegel_platform import moments
from spiegel_platform.errors import Text
from spiegel_platform.names import is_hidden_control

PACKAGE = "spiegel_accreditation"

IFMS = "IFMS"
GROUP_MONITOR = "GROUP_MONITOR"
KINDS = (IFMS, GROUP_MONITOR)
Kind = Literal["IFMS", "GROUP_MONITOR"]

PLANNED = "planned"
CANCELLED = "cancelled"

MAX_IFMS_PARTICIPANTS = 8
MAX_FACILITATORS = 2
# A discussion takes 2 hours for a small group, 3 for a full one (the source: 2-3 hours).
SHORTEST_MINUTES = 120
LONGEST_MINUTES = 180
SMALL_GROUP = 4  # up to this many people, the shortest discussion
# Longer than a working day is a typing error, not a discussion.
MAX_SESSION = timedelta(hours=12)

ONE_MOMENT = "one_moment"
SEPARATE_DATES = "separate_dates"
Mode = Literal["one_moment", "separate_dates"]

T = TypeVar("T")


class RuleError(ValueError):
    """Names the field and what is wrong (a catalog text; `str()` is the Dutch one)."""

    def __init__(self, field: str, reason: Text) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


def _text(key: str, **params: object) -> Text:
    return Text(key, package=PACKAGE, **params)


@dataclass(frozen=True)
class Participant:
    person_id: str
    round_id: str


@dataclass(frozen=True)
class RoundFacts:
    """A round as the survey announced it (rounds/handlers.py)."""

    round_id: str
    kind: str
    subject_id: str
    member_ids: tuple[str, ...] = ()
    closed: bool = False


# -- duration and splitting ---------------------------------------------------------------


def suggested_minutes(size: int) -> int:
    """The expected length of a discussion of `size` participants: 2 hours up to 4 people,
    a quarter of an hour more for each one beyond, at most 3 hours."""
    if size < 1:
        raise ValueError("a discussion has at least one participant")
    return min(LONGEST_MINUTES, SHORTEST_MINUTES + 15 * max(0, size - SMALL_GROUP))


def split_sizes(count: int, most: int = MAX_IFMS_PARTICIPANTS) -> list[int]:
    """The sizes of the fewest groups of at most `most` that hold `count`, differing by at most one
    (largest first)."""
    if count < 1:
        return []
    groups = math.ceil(count / most)
    base, extra = divmod(count, groups)
    return [base + 1] * extra + [base] * (groups - extra)


def split(items: Sequence[T], most: int = MAX_IFMS_PARTICIPANTS) -> list[list[T]]:
    """`items` in balanced groups of at most `most`, in the order given."""
    found: list[list[T]] = []
    start = 0
    for size in split_sizes(len(items), most):
        found.append(list(items[start : start + size]))
        start += size
    return found


# -- checks ---------------------------------------------------------------------------------


def check_times(starts_at: datetime, ends_at: datetime, *, now: datetime, horizon: timedelta) -> None:
    for name, moment in (("starts_at", starts_at), ("ends_at", ends_at)):
        if moment.tzinfo is None:
            raise RuleError(name, _text("session.time_without_zone"))
        if not moments.in_range(moment):
            raise RuleError(name, _text("session.time_beyond_horizon", days=horizon.days))
    if starts_at < now:
        raise RuleError("starts_at", _text("session.start_in_past"))
    if starts_at > now + horizon:
        raise RuleError("starts_at", _text("session.time_beyond_horizon", days=horizon.days))
    if ends_at <= starts_at:
        raise RuleError("ends_at", _text("session.end_before_start"))
    if ends_at - starts_at > MAX_SESSION:
        raise RuleError("ends_at", _text("session.too_long", hours=int(MAX_SESSION.total_seconds() // 3600)))


def check_place(location: str, online_url: str) -> None:
    if not location.strip() and not online_url.strip():
        raise RuleError("location", _text("session.place_missing"))
    if any(is_hidden_control(c) for c in location):
        raise RuleError("location", _text("session.control_characters"))
    if online_url:
        parts = urlsplit(online_url)
        if (
            parts.scheme not in ("https", "http")
            or not parts.hostname
            or any(c.isspace() or is_hidden_control(c) for c in online_url)
        ):
            raise RuleError("online_url", _text("session.online_url_invalid"))


def check_facilitators(facilitator_ids: Sequence[str], participants: Sequence[Participant]) -> None:
    if not facilitator_ids:
        raise RuleError("facilitator_ids", _text("session.facilitator_missing"))
    if len(facilitator_ids) > MAX_FACILITATORS:
        raise RuleError("facilitator_ids", _text("session.too_many_facilitators", most=MAX_FACILITATORS))
    if len(set(facilitator_ids)) != len(facilitator_ids):
        raise RuleError("facilitator_ids", _text("session.facilitator_twice"))
    taking_part = {p.person_id for p in participants}
    for i, person in enumerate(facilitator_ids):
        if person in taking_part:
            raise RuleError(f"facilitator_ids[{i}]", _text("session.facilitator_participates", person=person))


def check_participant(index: int, participant: Participant, facts: RoundFacts | None, kind: str) -> None:
    """One participant's round: known, of the session's kind, theirs, closed."""
    where = f"participants[{index}].round_id"
    if facts is None:
        raise RuleError(where, _text("session.round_unknown", round_id=participant.round_id))
    if facts.kind != kind:
        raise RuleError(where, _text("session.round_other_kind", round_id=participant.round_id, kind=kind))
    if kind == IFMS and facts.subject_id != participant.person_id:
        raise RuleError(
            where,
            _text("session.round_not_theirs", round_id=participant.round_id, person=participant.person_id),
        )
    if kind == GROUP_MONITOR and participant.person_id not in facts.member_ids:
        raise RuleError(
            f"participants[{index}].person_id",
            _text("session.not_a_member", person=participant.person_id, round_id=participant.round_id),
        )
    if not facts.closed:
        raise RuleError(where, _text("session.round_not_closed", round_id=participant.round_id))


def check_participants(
    kind: str,
    participants: Sequence[Participant],
    rounds: Mapping[str, RoundFacts],
    group_id: str = "",
) -> None:
    """The composition of a session (rounds: the facts of every round the participants name)."""
    if kind not in KINDS:
        raise RuleError("kind", _text("session.kind_unknown"))
    if not participants:
        raise RuleError("participants", _text("session.no_participants"))
    seen: set[str] = set()
    for i, participant in enumerate(participants):
        if participant.person_id in seen:
            raise RuleError(
                f"participants[{i}].person_id",
                _text("session.participant_twice", person=participant.person_id),
            )
        seen.add(participant.person_id)
    if kind == IFMS:
        if group_id:
            raise RuleError("group_id", _text("session.group_only_for_group_monitor"))
        if len(participants) > MAX_IFMS_PARTICIPANTS:
            raise RuleError(
                "participants",
                _text("session.too_many_participants", most=MAX_IFMS_PARTICIPANTS, count=len(participants)),
            )
    for i, participant in enumerate(participants):
        check_participant(i, participant, rounds.get(participant.round_id), kind)
    if kind == GROUP_MONITOR:
        round_ids = {p.round_id for p in participants}
        if len(round_ids) != 1:
            raise RuleError("participants", _text("session.group_monitor_one_round"))
        facts = rounds[next(iter(round_ids))]
        if not group_id:
            raise RuleError("group_id", _text("session.group_missing"))
        if facts.subject_id != group_id:
            raise RuleError(
                "group_id", _text("session.group_not_of_round", group=group_id, round_id=facts.round_id)
            )
        missing = sorted(set(facts.member_ids) - seen)
        if missing:
            raise RuleError("participants", _text("session.whole_group", missing=", ".join(missing)))


# -- the split proposal -------------------------------------------------------------------


@dataclass
class Draft:
    """One proposed session: the body of a `POST /sessions`, to change before it is saved."""

    participants: list[Participant]
    starts_at: datetime
    ends_at: datetime
    location: str = ""
    facilitator_ids: list[str] = field(default_factory=list)


def propose(
    participants: Sequence[Participant],
    *,
    mode: str,
    starts_at: datetime,
    minutes: int | None = None,
    interval: timedelta = timedelta(days=7),
    rooms: Sequence[str] = (),
    facilitator_ids: Sequence[str] = (),
) -> list[Draft]:
    """IFMS participants split into balanced sessions of at most 8.

    `one_moment`: everyone starts together and the groups go to their own rooms (same start
    and end; each group its own room and facilitator, as far as given). `separate_dates` (the
    recommended way): one group after the other, `interval` apart, the facilitators in turn.
    """
    groups = split(participants)
    drafts: list[Draft] = []
    longest = minutes or suggested_minutes(max((len(g) for g in groups), default=1))
    for i, group in enumerate(groups):
        if mode == ONE_MOMENT:
            start, length = starts_at, longest
            room = rooms[i] if i < len(rooms) else ""
            leaders = [facilitator_ids[i]] if i < len(facilitator_ids) else []
        elif mode == SEPARATE_DATES:
            start, length = starts_at + i * interval, minutes or suggested_minutes(len(group))
            room = rooms[i % len(rooms)] if rooms else ""
            leaders = [facilitator_ids[i % len(facilitator_ids)]] if facilitator_ids else []
        else:
            raise RuleError("mode", _text("session.mode_unknown"))
        drafts.append(Draft(group, start, start + timedelta(minutes=length), room, leaders))
    return drafts
