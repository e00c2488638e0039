"""E-mail addresses as the gateway stores and mails them.

The SMTP relay speaks plain ASCII (no SMTPUTF8): an internationalised domain is
kept in its ASCII (xn--) form, and a non-ASCII local part is refused at input,
with a message, instead of failing later when the verification mail is sent.
"""

from __future__ import annotations

from typing import Annotated

from email_validator import EmailNotValidError, validate_email
from pydantic import AfterValidator, EmailStr


def mail_address(value: str) -> str:
    try:
        valid = validate_email(value, check_deliverability=False, allow_smtputf8=False)
    except EmailNotValidError as error:
        raise ValueError(str(error)) from None
    return valid.ascii_email or valid.normalized


MailAddress = Annotated[EmailStr, AfterValidator(mail_address)]
