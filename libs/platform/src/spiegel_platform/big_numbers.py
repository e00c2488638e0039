"""BIG numbers (the Dutch register of healthcare professionals) as Spiegel stores them. Pure.

A BIG number is stored as text of 11 digits. People often type it without its leading
zeros (9 or 10 digits) or in groups with spaces or dots: those are the same number. Anything
else (letters, dashes, too few or too many digits) is refused with the reason, never guessed.
The accreditation service reads the same rule from here.
"""

from __future__ import annotations

from typing import Any

from spiegel_platform.errors import Text

DIGITS = 11
SHORTEST = 9  # a number typed without (up to two of) its leading zeros
IGNORED = frozenset(" .\u00a0")


class BigNumberError(ValueError):
    """Not a BIG number; `code` names why (`big_number_characters`, `big_number_length`) and
    `reason` is the text (a catalog text of the platform; `str()` is the Dutch one)."""

    def __init__(self, code: str, **params: Any) -> None:
        self.code = code
        self.params = params
        self.reason = Text(f"validation.{code}", **params)
        super().__init__(str(self.reason))


def big_number(value: str) -> str:
    """The number as stored (11 digits); BigNumberError when it is not one."""
    kept = "".join(c for c in value if c not in IGNORED)
    if kept and not (kept.isascii() and kept.isdigit()):
        strange = "".join(dict.fromkeys(c for c in kept if not (c.isascii() and c.isdigit())))
        raise BigNumberError("big_number_characters", characters=strange[:10])
    if not SHORTEST <= len(kept) <= DIGITS:
        raise BigNumberError("big_number_length", digits=len(kept))
    return kept.zfill(DIGITS)
