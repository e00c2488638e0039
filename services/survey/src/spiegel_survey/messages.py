"""Refusals a respondent's page shows: a stable code, its status, and its text in the
service's catalogs (`error.<code>`); the answer carries the caller's language as `message`
and both languages as `message_nl` / `message_en` (the questionnaire page shows either)."""

from __future__ import annotations

from typing import Any

from spiegel_platform.errors import ApiError, message_key
from spiegel_platform.i18n import texts

PACKAGE = "spiegel_survey"

STATUS: dict[str, int] = {
    "link_unknown": 404,
    "link_mismatch": 403,
    "already_submitted": 409,
    "link_withdrawn": 410,
    "link_expired": 410,
    "round_closed": 410,
    "round_not_open": 409,
}


def _both(code: str) -> dict[str, str]:
    both = texts(message_key(code), (PACKAGE,))
    return {"message_nl": both["nl"], "message_en": both["en"]}


def refusal(code: str, **extra: Any) -> ApiError:
    return ApiError(STATUS[code], code, extra={**_both(code), **extra})


def refusal_example(code: str) -> dict[str, Any]:
    both = _both(code)
    return {"code": code, "message": both["message_nl"], **both}
