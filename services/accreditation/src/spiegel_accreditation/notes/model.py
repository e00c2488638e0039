"""The facilitator's notes per participant: the rules. Pure: no I/O.

- After the session (from its start) a facilitator of the session writes, per participant, the
  topics discussed. The page saves drafts as they type: every save names the version it
  started from (0 for none yet), and a save from an older version is refused (another tab or
  the other facilitator saved meanwhile), so nobody overwrites what they have not seen.
- The text is kept as typed, HTML included (it is shown as text, escaped, never as markup), at
  most `MAX_TEXT` characters; control characters other than line breaks and tabs, and
  invisible bidirectional controls, are refused, naming the field and the position.
- Released (per participant): the participant may read them; from then on they are final.
- Due `DUE_WORKING_DAYS` working days (Monday to Friday; Dutch public holidays optional) after
  the day the session ended, in the hospital's calendar; a reminder to the facilitators when
  not all are released by then.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from dateutil.easter import easter
from spiegel_platform.errors import Text
from spiegel_platform.names import BIDI_CONTROLS

from spiegel_accreditation.sessions.model import PACKAGE, RuleError

MAX_TEXT = 20_000
DUE_WORKING_DAYS = 5
AMSTERDAM = ZoneInfo("Europe/Amsterdam")
# Line breaks and tabs belong in notes; every other control character does not.
ALLOWED_CONTROLS = frozenset("\n\r\t")


def _text(key: str, **params: object) -> Text:
    return Text(key, package=PACKAGE, **params)


def check_text(text: str) -> str:
    """The notes as stored (line endings made `\\n`), or a RuleError naming `text`."""
    if len(text) > MAX_TEXT:
        raise RuleError("text", _text("notes.too_long", most=MAX_TEXT, length=len(text)))
    for position, char in enumerate(text, start=1):
        if char in ALLOWED_CONTROLS:
            continue
        if char in BIDI_CONTROLS or _control(char):
            raise RuleError(
                "text", _text("notes.control_character", position=position, code=f"U+{ord(char):04X}")
            )
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _control(char: str) -> bool:
    code = ord(char)
    return code < 0x20 or 0x7F <= code < 0xA0 or char in ("\u2028", "\u2029")


def check_version(given: int, current: int) -> None:
    """A save names the version it started from; an older one lost a race with another save."""
    if given != current:
        raise RuleError("version", _text("notes.version_conflict", current=current))


def check_releasable(text: str) -> None:
    if not text.strip():
        raise RuleError("text", _text("notes.empty"))


def dutch_holidays(year: int) -> frozenset[date]:
    """The public holidays on which Dutch hospitals' offices are closed (Nieuwjaarsdag, Goede
    Vrijdag, Pasen, Koningsdag, Bevrijdingsdag (every year, as most collective agreements count
    it), Hemelvaart, Pinksteren, Kerstmis)."""
    easter_sunday = easter(year)
    kings_day = date(year, 4, 27)
    if kings_day.weekday() == 6:  # on a Sunday it is kept on the Saturday before
        kings_day -= timedelta(days=1)
    return frozenset(
        {
            date(year, 1, 1),
            easter_sunday - timedelta(days=2),
            easter_sunday,
            easter_sunday + timedelta(days=1),
            kings_day,
            date(year, 5, 5),
            easter_sunday + timedelta(days=39),
            easter_sunday + timedelta(days=49),
            easter_sunday + timedelta(days=50),
            date(year, 12, 25),
            date(year, 12, 26),
        }
    )


def is_working_day(day: date, *, holidays: bool = True) -> bool:
    if day.weekday() >= 5:
        return False
    return not (holidays and day in dutch_holidays(day.year))


def add_working_days(start: date, days: int, *, holidays: bool = True) -> date:
    """The date `days` working days after `start` (start itself not counted)."""
    day = start
    counted = 0
    while counted < days:
        day += timedelta(days=1)
        if is_working_day(day, holidays=holidays):
            counted += 1
    return day


def due_on(ends_at: datetime, *, holidays: bool = True) -> date:
    """The due date of a session's notes: 5 working days after the day it ended (Amsterdam)."""
    return add_working_days(ends_at.astimezone(AMSTERDAM).date(), DUE_WORKING_DAYS, holidays=holidays)


def overdue(ends_at: datetime, now: datetime, *, holidays: bool = True) -> bool:
    """Past the due date: the due day itself is the last day to release them (until midnight)."""
    return now.astimezone(AMSTERDAM).date() > due_on(ends_at, holidays=holidays)
