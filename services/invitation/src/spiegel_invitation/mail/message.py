"""Building the MIME message: headers that cannot be smuggled into, two parts.

Anything a person typed (a name, a round title) reaches a header only through
`header_text`, which turns every control or line-separator character into a
space and breaks up RFC 2047 encoded words (the email package would decode
"=?utf-8?q?=0D=0ABcc...?=" into a real line break: found by the tests), and
through `email.message.EmailMessage` with the SMTP policy, which encodes
non-ASCII text itself and refuses CR/LF in a header value.
"""

from __future__ import annotations

import base64
import quopri
import re
import uuid
from datetime import UTC, datetime
from email import policy
from email.headerregistry import Address, HeaderRegistry
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from functools import lru_cache
from typing import Any

from spiegel_invitation.mail.render import RenderedMail

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u0085]+")
_SPACES = re.compile(r"\s+")


class _Registry(HeaderRegistry):
    """The standard header registry, but each header class is built once (the standard
    one builds a new class for every header it parses: a third of the cost of a mail)."""

    def __init__(self) -> None:
        super().__init__()
        self._classes: dict[str, Any] = {}

    def __getitem__(self, name: str) -> Any:
        key = name.lower()
        found = self._classes.get(key)
        if found is None:
            found = self._classes[key] = super().__getitem__(name)
        return found


# The SMTP flavour of the default policy (CRLF line ends), with the caching registry.
POLICY = policy.SMTP.clone(header_factory=_Registry())


@lru_cache(maxsize=64)
def _constant(name: str, value: str) -> Any:
    """A parsed header that never varies (From, Auto-Submitted, ...): parsed once, reused."""
    return POLICY.header_factory(name, value)


def _text_part(subtype: str, text: str) -> EmailMessage:
    part = EmailMessage(policy=POLICY)
    part["Content-Type"] = _constant("Content-Type", f'text/{subtype}; charset="utf-8"')
    part["Content-Transfer-Encoding"] = _constant("Content-Transfer-Encoding", "quoted-printable")
    part.set_payload(quopri.encodestring(text.encode("utf-8")).decode("ascii"))
    return part


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
    calendar: tuple[str, bytes] | None = None,
) -> EmailMessage:
    """`calendar`: (method, .ics) of a discussion mail. It goes in twice, as mail programs
    expect an invitation: as the third alternative (text/calendar with its METHOD, which
    calendar programs act on) and as an attachment (application/ics) a person can open."""
    message = EmailMessage(policy=POLICY)
    from_name, from_address = parseaddr(mail_from)
    message["From"] = _constant(
        "From", str(Address(display_name=header_text(from_name), addr_spec=from_address))
    )
    message["To"] = Address(display_name=header_text(to_name), addr_spec=to_address)
    message["Subject"] = header_text(mail.subject, 250)
    message["Date"] = format_datetime(now or datetime.now(UTC))
    message["Message-ID"] = message_id
    message["Auto-Submitted"] = _constant("Auto-Submitted", "auto-generated")
    if unsubscribe_url:
        # RFC 8058 one-click: mail clients offer "unsubscribe" = opt out of reminders.
        message["List-Unsubscribe"] = f"<{unsubscribe_url}>"
        message["List-Unsubscribe-Post"] = _constant("List-Unsubscribe-Post", "List-Unsubscribe=One-Click")
    message["MIME-Version"] = _constant("MIME-Version", "1.0")
    message["Content-Language"] = _constant(
        "Content-Language", language if language in ("nl", "en") else "nl"
    )
    # Quoted-printable bodies contain no "==", base64 ones no "-": these boundaries cannot occur in them.
    boundary = f"==spiegel-{uuid.uuid4().hex}=="
    if calendar is None:
        message["Content-Type"] = f'multipart/alternative; boundary="{boundary}"'
        message.set_payload([_text_part("plain", mail.text), _text_part("html", mail.html)])
        return message
    method, ics = calendar
    alternative = EmailMessage(policy=POLICY)
    alternative["Content-Type"] = f'multipart/alternative; boundary="==spiegel-{uuid.uuid4().hex}=="'
    alternative.set_payload(
        [
            _text_part("plain", mail.text),
            _text_part("html", mail.html),
            _calendar_part(f'text/calendar; charset="utf-8"; method={method}', ics),
        ]
    )
    attachment = _calendar_part('application/ics; name="groepsbespreking.ics"', ics)
    attachment["Content-Disposition"] = 'attachment; filename="groepsbespreking.ics"'
    message["Content-Type"] = f'multipart/mixed; boundary="{boundary}"'
    message.set_payload([alternative, attachment])
    return message


def _calendar_part(content_type: str, ics: bytes) -> EmailMessage:
    part = EmailMessage(policy=POLICY)
    part["Content-Type"] = content_type
    part["Content-Transfer-Encoding"] = "base64"
    part.set_payload(base64.encodebytes(ics).decode("ascii"))
    return part
