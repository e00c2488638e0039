"""Rendering (Jinja2, Dutch and English from the gettext catalogs; plain text and HTML), and
sending (aiosmtplib).

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
from spiegel_platform.i18n import normalise_language, template_texts, translator
from spiegel_platform.logging import get_logger

from spiegel_gateway.settings import GatewaySettings

log = get_logger(__name__)

_html = Environment(
    loader=PackageLoader("spiegel_gateway.mail", "templates"),
    autoescape=select_autoescape(["html"]),
    undefined=StrictUndefined,
    extensions=["jinja2.ext.i18n"],
)
_text = Environment(
    loader=PackageLoader("spiegel_gateway.mail", "templates"),
    autoescape=False,  # noqa: S701 - plain-text parts are not HTML
    undefined=StrictUndefined,
    keep_trailing_newline=True,
    extensions=["jinja2.ext.i18n"],
)

PACKAGE = "spiegel_gateway"  # its catalogs hold the texts (keys mail.<kind>.<part>)
KINDS = ("verify_email", "reset_password")


@dataclass(frozen=True)
class Mail:
    to_address: str
    to_name: str
    subject: str
    text: str
    html: str


def render(kind: str, language: str, *, to_address: str, to_name: str, **context: Any) -> Mail:
    """One template per kind and part for every language: the words come from the catalogs."""
    if kind not in KINDS:
        raise KeyError(kind)
    language = normalise_language(language)
    values = {"name": to_name, **context, "lang": language}
    return Mail(
        to_address=to_address,
        to_name=to_name,
        subject=translator(language, (PACKAGE,)).gettext(f"mail.{kind}.subject"),
        text=_text.get_template(f"{kind}.txt").render({**values, **template_texts(language, (PACKAGE,))}),
        html=_html.get_template(f"{kind}.html").render(
            {**values, **template_texts(language, (PACKAGE,), html=True)}
        ),
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
