"""One way to translate: gettext catalogs, read with Babel, for every text people read.

Each package that has texts keeps them in `<package>/locales/<lang>/LC_MESSAGES/messages.po`
for Dutch (`nl`, the default) and English (`en`). Errors, e-mails, pages and PDFs all take
their texts from there: in Python through `Translator.gettext`, in Jinja2 templates through
`jinja2.ext.i18n` (`{{ _("<key>", name=value) }}`, installed by `install_on`).

Message ids are stable keys (`error.round_not_found`, `mail.invitation.subject`), not the
source text: Spiegel has two first-class languages and no source language, so neither
Dutch nor English is the id. A key stays the same when a text is reworded (no catalog goes
stale because the other language's wording changed), says where a text is used, and a
missing translation shows up as a key instead of silently falling back to the other
language. `tests/test_catalogs.py` in this library fails when a key lacks its Dutch or
English text, or when code or a template uses a key that is in no catalog.

Placeholders are Python's `%(name)s`, gettext's python-format convention, which Jinja2's
i18n extension also fills in (`_("<key>", round_id=round_id)`).

The .po files are read directly (Babel's `read_po`) and compiled in memory when a package's
catalog is first used: no generated binaries in git, nothing to compile at build time.
"""

from __future__ import annotations

import importlib.util
import io
from collections.abc import Iterable, Mapping
from functools import cache
from gettext import GNUTranslations, NullTranslations
from pathlib import Path
from typing import Any

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LANGUAGES: tuple[str, ...] = ("nl", "en")
DEFAULT_LANGUAGE = "nl"
PLATFORM_PACKAGE = "spiegel_platform"


def package_locales(package: str) -> Path:
    """The `locales` folder of an importable package (it need not exist)."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise LookupError(f"{package} is not an importable package")
    return Path(next(iter(spec.submodule_search_locations))) / "locales"


def catalog_path(package: str, language: str) -> Path:
    return package_locales(package) / language / "LC_MESSAGES" / "messages.po"


def read_catalog(path: Path, language: str) -> Catalog:
    with path.open("rb") as po:
        return read_po(po, locale=language)


@cache
def _compiled(package: str, language: str) -> bytes | None:
    path = catalog_path(package, language)
    if not path.exists():
        return None
    compiled = io.BytesIO()
    write_mo(compiled, read_catalog(path, language))
    return compiled.getvalue()


def _package_translations(package: str, language: str) -> NullTranslations:
    # A new object each time: a chain's fallbacks are set on its members.
    compiled = _compiled(package, language)
    if compiled is None:
        return NullTranslations()
    return GNUTranslations(io.BytesIO(compiled))


_registered: list[str] = []


def register_packages(packages: Iterable[str]) -> None:
    """The packages whose catalogs this process's services use (the app factory registers
    them): `ApiError.detail` reads its English text from them. A name that is no package (a
    service defined inside a test module) has no catalogs and is not registered."""
    for package in packages:
        spec = importlib.util.find_spec(package)
        if spec is None or not spec.submodule_search_locations:
            continue
        if package not in _registered:
            _registered.append(package)


def registered_packages() -> tuple[str, ...]:
    return tuple(_registered)


def normalise_language(language: str | None) -> str:
    """One of `LANGUAGES`: the given one if offered, else Dutch."""
    tag = (language or "").strip().lower()[:2]
    return tag if tag in LANGUAGES else DEFAULT_LANGUAGE


class Translator:
    """The texts of some packages in one language; the first package that has a key wins,
    the platform's own catalog (shared error texts) comes last."""

    def __init__(self, language: str, packages: Iterable[str] = ()) -> None:
        self.language = normalise_language(language)
        chain = [p for p in packages if p != PLATFORM_PACKAGE] + [PLATFORM_PACKAGE]
        self._translations = NullTranslations()
        # NullTranslations.add_fallback appends to the end of the chain.
        for package in chain:
            self._translations.add_fallback(_package_translations(package, self.language))

    def gettext(self, key: str, /, **params: Any) -> str:
        # Always formatted, as Jinja2's newstyle gettext does: a literal % is written %%.
        return self._translations.gettext(key) % params

    def ngettext(self, singular: str, plural: str, n: int, /, **params: Any) -> str:
        text = self._translations.ngettext(singular, plural, n)
        return text % {"num": n, **params}

    def has(self, key: str) -> bool:
        return self._translations.gettext(key) != key

    @property
    def translations(self) -> NullTranslations:
        return self._translations


@cache
def translator(language: str, packages: tuple[str, ...] = ()) -> Translator:
    """A shared Translator per language and package list (catalogs are read once)."""
    return Translator(language, packages)


def texts(key: str, packages: tuple[str, ...] = (), /, **params: Any) -> dict[str, str]:
    """One key in every language: `{"nl": ..., "en": ...}`."""
    return {language: translator(language, packages).gettext(key, **params) for language in LANGUAGES}


def accepted_language(header: str | None) -> str | None:
    """The first offered language in an Accept-Language header (by quality, then order)."""
    ranked = []
    for index, part in enumerate((header or "").split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        params = params.strip()
        if params.startswith("q="):
            try:
                quality = float(params[2:])
            except ValueError:
                quality = 0.0
        primary = tag.strip().lower()[:2]
        if quality > 0 and primary in LANGUAGES:
            ranked.append((-quality, index, primary))
    return min(ranked)[2] if ranked else None


def language_of(headers: Mapping[str, str], claims: Mapping[str, Any] | None = None) -> str:
    """The caller's language: the service token's `lang` claim if any, else Accept-Language,
    else Dutch."""
    claimed = (claims or {}).get("lang")
    if isinstance(claimed, str) and claimed in LANGUAGES:
        return claimed
    return accepted_language(headers.get("accept-language")) or DEFAULT_LANGUAGE


def install_on(environment: Any, language: str, packages: Iterable[str] = ()) -> Any:
    """Jinja2's i18n extension on an environment, with one language's texts:
    `{{ _("key", name=value) }}` in templates. Returns the environment."""
    if "jinja2.ext.InternationalizationExtension" not in environment.extensions:
        environment.add_extension("jinja2.ext.i18n")
    environment.install_gettext_translations(
        translator(language, tuple(packages)).translations, newstyle=True
    )
    return environment


def template_texts(language: str, packages: Iterable[str] = (), *, html: bool = False) -> dict[str, Any]:
    """`_`, `gettext` and `ngettext` for one render of a shared Jinja2 environment (one that has
    `jinja2.ext.i18n`, so `{% trans %}` works too): context values, so renders in different
    languages can run at once. Like the extension's newstyle gettext, a text is filled in with
    `%`; for HTML it is markup and the values are escaped (a catalog text may hold tags)."""
    texts = translator(language, tuple(packages))

    def gettext(key: str, /, **params: Any) -> str:
        text = texts.translations.gettext(key)
        if html:
            from markupsafe import Markup

            return Markup(text) % params  # noqa: S704 - catalog texts are ours; values are escaped
        return text % params

    def ngettext(singular: str, plural: str, n: int, /, **params: Any) -> str:
        text = texts.translations.ngettext(singular, plural, n)
        values = {"num": n, **params}
        if html:
            from markupsafe import Markup

            return Markup(text) % values  # noqa: S704 - catalog texts are ours; values are escaped
        return text % values

    return {"_": gettext, "gettext": gettext, "ngettext": ngettext}


def format_moment(moment: Any, pattern: str, language: str) -> str:
    """A date or time in a language's own words (Babel's CLDR data: day and month names), e.g.
    `format_moment(at, "EEEE d MMMM y", "nl")` -> "maandag 5 januari 2026"."""
    from babel.dates import format_datetime

    return str(format_datetime(moment, pattern, locale=normalise_language(language)))
