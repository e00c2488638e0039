"""People's names as they travel into mail headers, lists and reports: one line of text, with
nothing in it that changes how the text around it reads."""

from __future__ import annotations

import unicodedata

# Bidirectional formatting characters: a name holding one can read as another name (the
# "Trojan Source" trick). Joiners (U+200C, U+200D) belong to some scripts' spelling and stay.
BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def is_hidden_control(char: str) -> bool:
    """A control character (NUL, tab, line feed, bell ...), a line or paragraph separator, or a
    bidirectional formatting character."""
    return unicodedata.category(char) in ("Cc", "Zl", "Zp") or char in BIDI_CONTROLS


def one_line(value: str) -> str:
    """Hidden controls become spaces, runs of white space one space, none at either end."""
    return " ".join("".join(" " if is_hidden_control(c) else c for c in value).split())
