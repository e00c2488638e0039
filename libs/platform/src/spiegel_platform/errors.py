"""API errors: a machine-readable code plus a message in the caller's language.

`raise ApiError(404, "<code>", round_id=round_id)` answers
`{"code": "<code>", "message": "<text of error.<code>>"}`; the text comes
from the gettext catalogs of the service (and the platform), in the caller's language
(`spiegel_platform.i18n.language_of`: Dutch unless the caller asks for English).
`extra` adds fields to the answer that clients read (e.g. `{"field": "file"}`); a `Text` in
it is translated too.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from fastapi import HTTPException


class Text:
    """A text by catalog key, translated once the language is known: a domain error names its
    reason this way (`str()` gives the Dutch text, for logs and tests; `package` is the one
    whose catalog holds the key), and an `ApiError` parameter may be one (translated into the
    caller's language)."""

    def __init__(self, key: str, /, *, package: str = "", **params: Any) -> None:
        self.key = key
        self.package = package
        self.params = params

    def render(self, translate: Callable[..., str]) -> str:
        params = {
            k: v.render(translate) if isinstance(v, Text | Joined) else v for k, v in self.params.items()
        }
        return translate(self.key, **params)

    def in_language(self, language: str) -> str:
        from spiegel_platform.i18n import translator

        return self.render(translator(language, (self.package,) if self.package else ()).gettext)

    def __str__(self) -> str:
        return self.in_language("nl")


class Joined:
    """Texts in a row (`"; "` between them), translated together: a summary of problems."""

    def __init__(self, separator: str, parts: Sequence[Text | str]) -> None:
        self.separator = separator
        self.parts = list(parts)

    def render(self, translate: Callable[..., str]) -> str:
        return self.separator.join(p.render(translate) if isinstance(p, Text) else p for p in self.parts)


def rendered(value: Any, translate: Callable[..., str]) -> Any:
    """A value with every `Text` in it (in dictionaries and lists) translated."""
    if isinstance(value, Text | Joined):
        return value.render(translate)
    if isinstance(value, dict):
        return {k: rendered(v, translate) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [rendered(v, translate) for v in value]
    return value


def message_key(code: str) -> str:
    """The catalog key of an error code."""
    return f"error.{code}"


class ApiError(HTTPException):
    def __init__(
        self,
        status: int,
        code: str,
        /,
        *,
        extra: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        **params: Any,
    ) -> None:
        self.code = code
        self.params = params
        self.extra = dict(extra or {})
        super().__init__(status, headers=dict(headers) if headers else None)

    @property  # type: ignore[override]
    def detail(self) -> str:
        """The message in English, for readers in the process (logs; code that catches the
        error and shows it, as the gateway's own pages did with its English messages). The
        answer to the caller is in the caller's language."""
        from spiegel_platform.i18n import registered_packages, translator

        # The app's packages first; outside an app (a unit test), every loaded Spiegel package.
        loaded = sorted(name for name in sys.modules if name.startswith("spiegel_") and "." not in name)
        translate = translator("en", tuple(dict.fromkeys([*registered_packages(), *loaded]))).gettext
        return str(Text(message_key(self.code), **self.params).render(translate))

    @detail.setter
    def detail(self, value: Any) -> None:
        """HTTPException.__init__ sets a default; the text comes from the catalog instead."""
