"""The words of a report page and PDF (the catalogs in `spiegel_aggregation/locales`), and numbers
written the way each language writes them."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from spiegel_platform.i18n import DEFAULT_LANGUAGE, LANGUAGES, translator

PACKAGE = "spiegel_aggregation"


class ReportTexts(Mapping[str, str]):
    """The words of a report in one language, from the service's catalog (keys `report.<name>`):
    `t["summary"]` (templates: `t.summary`) is a text as written, `t("hidden_group", k=4)` one
    with its placeholders filled in."""

    def __init__(self, lang: str) -> None:
        self._translator = translator(lang, (PACKAGE,))

    def __call__(self, name: str, /, **params: Any) -> str:
        return self._translator.gettext(f"report.{name}", **params)

    def __getitem__(self, name: str) -> str:
        key = f"report.{name}"
        if not self._translator.has(key):
            raise KeyError(name)
        return self._translator.gettext(key)

    def __iter__(self) -> Iterator[str]:
        raise TypeError("report texts are looked up by name, not listed")

    def __len__(self) -> int:
        raise TypeError("report texts are looked up by name, not counted")


def texts(lang: str) -> ReportTexts:
    return ReportTexts(lang if lang in LANGUAGES else DEFAULT_LANGUAGE)


def number(value: Any, lang: str, digits: int = 1) -> str:
    if value is None:
        return "–"
    text = f"{value:.{digits}f}" if isinstance(value, float) else str(value)
    return text.replace(".", ",") if lang == "nl" else text


def signed(value: Any, lang: str) -> str:
    if value is None:
        return "–"
    return ("+" if value > 0 else "") + number(value, lang)
