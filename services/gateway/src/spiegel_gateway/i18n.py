"""Which language a person reads: Dutch by default, English on request.

Order: an explicit choice (`?lang=` or the `spiegel_lang` cookie), the
signed-in person's language, the browser's Accept-Language, the hospital's
first language. Only the hospital's languages are offered.
"""

from __future__ import annotations

from fastapi import Request

from spiegel_gateway.sessions.store import Session
from spiegel_gateway.tenants.store import Tenant

LANG_COOKIE = "spiegel_lang"


def _accepted(header: str) -> list[str]:
    ranked = []
    for index, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        ranked.append((-quality, index, tag.strip().lower()[:2]))
    return [tag for _, _, tag in sorted(ranked) if tag]


def explicit_language(request: Request, tenant: Tenant) -> str | None:
    """The language the person chose here (`?lang=` or the cookie), if any."""
    offered = tenant.languages or ("nl",)
    for explicit in (request.query_params.get("lang"), request.cookies.get(LANG_COOKIE)):
        if explicit is not None and explicit in offered:
            return explicit
    return None


def choose_language(request: Request, tenant: Tenant, caller: Session | None = None) -> str:
    offered = tenant.languages or ("nl",)
    explicit = explicit_language(request, tenant)
    if explicit is not None:
        return explicit
    if caller is not None and caller.language in offered:
        return caller.language
    for tag in _accepted(request.headers.get("accept-language", "")):
        if tag in offered:
            return tag
    return tenant.default_language
