"""Building the MIME message: headers that cannot be smuggled into, two parts.

Anything a person typed (a name, a round title) reaches a header only through
`header_text`, which turns every control or line-separator character into a
space and breaks up RFC 2047 encoded words (the email package would decode
"=?utf-8?q?=0D=0ABcc...?=" into a real line break: found by the tests), and
through `email.message.EmailMessage` with the SMTP policy, which encodes
non-ASCII text itself and refuses CR/LF in a header value.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr

from spiegel_invitation.mail.render import RenderedMail

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u0085]+")
_SPACES = re.compile(r"\s+")


def header_text(value: str, limit: int = 200) -> str:
    cleaned = _SPACES.sub(" ", _CONTROL.sub(" ", value)).strip()
    # The email package decodes RFC 2047 encoded words ("=?utf-8?q?...=0D=0A...?=") in a
    # value it is given and would then write their CR/LF raw: never let one through.
    while "=?" in cleaned:
        cleaned = cleaned.replace("=?", "= ?")
    return cleaned[:limit]


def envelope_address(mail_from: str) -> str:
    return parseaddr(mail_from)[1]


def build_message(
    *,
    mail_from: str,
    to_name: str,
    to_address: str,
    mail: RenderedMail,
    message_id: str,
    language: str,
    unsubscribe_url: str | None = None,
    now: datetime | None = None,
) -> EmailMessage:
    message = EmailMessage(policy=policy.SMTP)
    from_name, from_address = parseaddr(mail_from)
    local, _, domain = to_address.partition("@")
    flocal, _, fdomain = from_address.partition("@")
    message["From"] = Address(display_name=header_text(from_name), username=flocal, domain=fdomain)
    message["To"] = Address(display_name=header_text(to_name), username=local, domain=domain)
    message["Subject"] = header_text(mail.subject, 250)
    message["Date"] = format_datetime(now or datetime.now(UTC))
    message["Message-ID"] = message_id
    message["Auto-Submitted"] = "auto-generated"
    if unsubscribe_url:
        # RFC 8058 one-click: mail clients offer "unsubscribe" = opt out of reminders.
        message["List-Unsubscribe"] = f"<{unsubscribe_url}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.set_content(mail.text, charset="utf-8")
    message.add_alternative(mail.html, subtype="html", charset="utf-8")
    # After the body: setting content clears every Content-* header.
    message["Content-Language"] = language if language in ("nl", "en") else "nl"
    return message
