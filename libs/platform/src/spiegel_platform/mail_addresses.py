"""E-mail addresses as every service stores and mails them.

The mail relays speak plain ASCII (no SMTPUTF8): an internationalised domain is
kept in its ASCII (xn--) form, and a non-ASCII local part is refused at input,
with a message, instead of failing later when the mail is written to the server.
"""

from __future__ import annotations

from email_validator import EmailNotValidError, validate_email


def deliverable_address(value: str) -> str:
    """The address in the form the mail relay takes; ValueError (saying why) otherwise.

    Syntax only: no DNS lookups."""
    try:
        valid = validate_email(value, check_deliverability=False, allow_smtputf8=False)
    except EmailNotValidError as error:
        raise ValueError(str(error)) from None
    return valid.ascii_email or valid.normalized  # without SMTPUTF8 the ASCII form is always there
