"""E-mail addresses as every service stores and mails them.

The mail relays speak plain ASCII (no SMTPUTF8): an internationalised domain is
kept in its ASCII (xn--) form, and a non-ASCII local part is refused at input,
with a message, instead of failing later when the mail is written to the server.
"""

from __future__ import annotations

import re

from email_validator import EmailNotValidError, validate_email

from spiegel_platform.errors import Joined, Text

# email-validator explains in English only: its explanation, recognised by its words, becomes a
# catalog text (`address.<key>`) that people read in their own language.
_REASONS = (
    ("must have an @-sign", "no_at"),
    ("something before the @-sign", "nothing_before_at"),
    ("something after the @-sign", "nothing_after_at"),
    ("characters before the @-sign are not supported", "unicode_before_at"),
    ("invalid characters before the @-sign", "invalid_before_at"),
    ("after the @-sign contains invalid characters", "invalid_after_at"),
    ("should have a period", "no_period_after_at"),
    ("two periods in a row", "two_periods"),
    ("period", "period_place"),
    ("hyphen", "hyphen"),
    ("too long", "too_long"),
)
_NAMED_CHARACTERS = {"SPACE": "space", "TAB": "tab"}
_WITH_CHARACTERS = {"unicode_before_at", "invalid_before_at", "invalid_after_at"}


class AddressError(ValueError):
    """An address the mail relay would not take; `reason` says why as a catalog text."""

    def __init__(self, message: str, reason: Text) -> None:
        super().__init__(message)
        self.reason = reason


def address_problem(message: str) -> Text:
    """Why an address is refused, as a catalog text (the characters at fault named, if any)."""
    key = next((key for words, key in _REASONS if words in message), "other")
    quoted = re.findall(r"'([^']+)'", message)
    named = [word for word in _NAMED_CHARACTERS if re.search(rf"\b{word}\b", message)]
    characters: list[Text | str] = [f"'{q}'" for q in quoted]
    characters += [Text(f"address.{_NAMED_CHARACTERS[word]}") for word in named]
    if not characters or key not in _WITH_CHARACTERS:
        return Text(f"address.{key}")
    return Text(f"address.{key}_chars", chars=Joined(", ", characters))


def deliverable_address(value: str) -> str:
    """The address in the form the mail relay takes; ValueError (saying why) otherwise.

    Syntax only: no DNS lookups."""
    try:
        valid = validate_email(value, check_deliverability=False, allow_smtputf8=False)
    except EmailNotValidError as error:
        raise AddressError(str(error), address_problem(str(error))) from None
    return valid.ascii_email or valid.normalized  # without SMTPUTF8 the ASCII form is always there
