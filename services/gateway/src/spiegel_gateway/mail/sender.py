"""Rendering (Jinja2, Dutch and English, plain text and HTML) and sending (aiosmtplib).

Headers are built by the standard library's EmailMessage, which refuses CR/LF
in header values, so a name cannot add a header. Without SMTP_HOST (development
only; production refuses to start) a message is written to the log instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from typing import Any

import aiosmtplib
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from spiegel_platform.logging import get_logger

from spiegel_gateway.settings import GatewaySettings

log = get_logger(__name__)

_html = Environment(
    loader=PackageLoader("spiegel_gateway.mail", "templates"),
    autoescape=select_autoescape(["html"]),
    undefined=StrictUndefined,
)
_text = Environment(
    loader=PackageLoader("spiegel_gateway.mail", "templates"),
    autoescape=False,  # noqa: S701 - plain-text parts are not HTML
    undefined=StrictUndefined,
    keep_trailing_newline=True,
)

SUBJECTS = {
    ("verify_email", "nl"): "Bevestig uw e-mailadres voor Spiegel",
    ("verify_email", "en"): "Confirm your e-mail address for Spiegel",
    ("reset_password", "nl"): "Nieuw wachtwoord voor Spiegel",
    ("reset_password", "en"): "A new password for Spiegel",
}


@dataclass(frozen=True)
class Mail:
    to_address: str
    to_name: str
    subject: str
    text: str
    html: str


def render(kind: str, language: str, *, to_address: str, to_name: str, **context: Any) -> Mail:
    language = language if (kind, language) in SUBJECTS else "nl"
    values = {"name": to_name, **context}
    return Mail(
        to_address=to_address,
        to_name=to_name,
        subject=SUBJECTS[(kind, language)],
        text=_text.get_template(f"{kind}.{language}.txt").render(values),
        html=_html.get_template(f"{kind}.{language}.html").render(values),
    )


class Mailer:
    def __init__(self, settings: GatewaySettings) -> None:
        self.settings = settings

    def message(self, mail: Mail) -> EmailMessage:
        message = EmailMessage()
        message["From"] = self.settings.mail_from
        message["To"] = formataddr((mail.to_name, mail.to_address))
        message["Subject"] = mail.subject
        message["Message-ID"] = make_msgid(domain="spiegel")
        message["Auto-Submitted"] = "auto-generated"
        message.set_content(mail.text)
        message.add_alternative(mail.html, subtype="html")
        return message

    async def send(self, mail: Mail) -> None:
        settings = self.settings
        message = self.message(mail)
        if not settings.smtp_host:
            log.info("mail_not_sent_no_smtp_host", to=mail.to_address, subject=mail.subject, text=mail.text)
            return
        await aiosmtplib.send(
            message,
            hostname=settings.smtp_host,
            port=settings.smtp_port,
            username=settings.smtp_username,
            password=settings.smtp_password,
            use_tls=settings.smtp_tls == "tls",
            start_tls=settings.smtp_tls == "starttls",
            timeout=settings.smtp_timeout_s,
        )
        log.info("mail_sent", subject=mail.subject)
