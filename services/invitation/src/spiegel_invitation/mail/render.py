"""E-mail texts from Jinja2 templates, Dutch and English, HTML and plain text.

A kind of mail is a pair of templates in `templates/`: `<kind>.txt` (which
also sets `subject`) and `<kind>.html` (extending `layout.html`), one for every
language: their words come from the service's gettext catalogs
(`spiegel_invitation/locales`, keys `mail.<kind>.<part>`) through Jinja2's i18n
extension (`{{ _("mail.greeting", name=recipient_name) }}`). Adding a kind (a
discussion invitation, an action-plan follow-up) is adding its two templates,
its texts in both catalogs, and calling `render`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from spiegel_platform.i18n import format_moment, template_texts, translator

PACKAGE = "spiegel_invitation"

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
LANGUAGES = ("nl", "en")


def format_deadline(moment: datetime, lang: str) -> str:
    """The closing time as people in the Netherlands read it (Europe/Amsterdam): the day and
    month names are Babel's (CLDR), the sentence around them the catalog's."""
    local = moment.astimezone(AMSTERDAM)
    lang = lang if lang in LANGUAGES else "nl"
    date = format_moment(local, "EEEE d MMMM y", lang)
    clock = format_moment(local, "HH:mm", lang)
    return translator(lang, (PACKAGE,)).gettext("mail.deadline", date=date, time=clock)


@dataclass(frozen=True)
class RenderedMail:
    subject: str
    text: str
    html: str


class MailRenderer:
    def __init__(self) -> None:
        self._text = Environment(
            loader=PackageLoader("spiegel_invitation.mail", "templates"),
            autoescape=False,  # noqa: S701 - plain-text part; the HTML environment escapes
            undefined=StrictUndefined,
            keep_trailing_newline=True,
            auto_reload=False,
            extensions=["jinja2.ext.i18n"],
        )
        self._html = Environment(
            loader=PackageLoader("spiegel_invitation.mail", "templates"),
            autoescape=select_autoescape(default=True, default_for_string=True),
            undefined=StrictUndefined,
            auto_reload=False,
            extensions=["jinja2.ext.i18n"],
        )

    def render(self, kind: str, lang: str, context: dict[str, Any]) -> RenderedMail:
        lang = lang if lang in LANGUAGES else "nl"
        values = {**context, "lang": lang}
        text_module = self._text.get_template(f"{kind}.txt").make_module(
            {**values, **template_texts(lang, (PACKAGE,))}
        )
        subject = str(getattr(text_module, "subject", "")).strip()
        if not subject:
            raise ValueError(f"template {kind}.txt sets no subject")
        html = self._html.get_template(f"{kind}.html").render(
            {**values, **template_texts(lang, (PACKAGE,), html=True)}
        )
        return RenderedMail(subject=subject, text=str(text_module).strip() + "\n", html=html)
