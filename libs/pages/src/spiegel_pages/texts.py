"""Every text a person reads on the pages, in Dutch and English: the platform's gettext catalogs
(`spiegel_platform.i18n`), this package's `locales/{nl,en}/LC_MESSAGES/messages.po`.

A page's key `<key>` is the catalog's message id `page.<key>` (`t('sign_out')` in a template
reads `page.sign_out`); placeholders are `%(name)s`. `text(key, lang, **values)` fills them in.
A key no catalog holds is shown as itself. `libs/platform/tests/test_catalogs.py` checks that
every key a template or module uses exists, in both languages.
"""

from __future__ import annotations

import re
from typing import Any

from spiegel_platform.i18n import translator

PACKAGE = "spiegel_pages"
PREFIX = "page."
_PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def text(key: str, lang: str, **values: Any) -> str:
    """The page text `key` in `lang` (English for "en", else Dutch), values filled in."""
    texts = translator("en" if lang == "en" else "nl", (PACKAGE,))
    message = PREFIX + key
    if not texts.has(message):
        return key
    try:
        return texts.gettext(message, **values)
    except (KeyError, ValueError, TypeError):
        # A value left out: the text as written, its placeholders in braces (as before the catalogs).
        raw = texts.translations.gettext(message)
        return _PLACEHOLDER.sub(r"{\1}", raw).replace("%%", "%")
