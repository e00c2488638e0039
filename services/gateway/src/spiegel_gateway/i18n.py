"""Which language a person reads: Dutch by default, English on request.

Order: an explicit choice (`?lang=` or the `spiegel_lang` cookie), the
signed-in person's language, the browser's Accept-Language, the hospital's
first language. Only the hospital's languages are offered. (The rule itself is
spiegel_pages.look.choose_language, which the web service uses too.)
"""

from __future__ import annotations

from fastapi import Request
from spiegel_pages.look import LANG_COOKIE
from spiegel_pages.look import choose_language as choose

from spiegel_gateway.sessions.store import Session
from spiegel_gateway.tenants.store import Tenant

__all__ = ["LANG_COOKIE", "choose_language", "explicit_language"]


def explicit_language(request: Request, tenant: Tenant) -> str | None:
    """The language the person chose here (`?lang=` or the cookie), if any."""
    offered = tenant.languages or ("nl",)
    for explicit in (request.query_params.get("lang"), request.cookies.get(LANG_COOKIE)):
        if explicit is not None and explicit in offered:
            return explicit
    return None


def choose_language(request: Request, tenant: Tenant, caller: Session | None = None) -> str:
    return choose(
        offered=tenant.languages,
        default=tenant.default_language,
        explicit=(request.query_params.get("lang"), request.cookies.get(LANG_COOKIE)),
        person=caller.language if caller is not None else None,
        accept_language=request.headers.get("accept-language", ""),
    )
