"""The web pages (issue #7): server-rendered Jinja2 pages served by the gateway.

A page handler is an ordinary FastAPI route in a module here, registered in
`router()` below, and reuses what the API routes use (see `core.Page`):

- the hospital: `CurrentTenant` (spiegel_gateway.tenants.resolution); links
  inside a page are prefixed with `request.state.tenant_prefix` (local /t/<slug>);
  `Page.url()` does it;
- the person: `authenticate` (spiegel_gateway.sessions.auth); `Page.require(...)`
  sends a browser without a session to the sign-in form and refuses other roles
  with a 403 page;
- CSRF: every form has a hidden `csrf_token` (the session's token); `Page.form()`
  checks it with `check_csrf`; the sign-in form, before any session, uses a
  double-submit cookie;
- language: `spiegel_gateway.i18n.choose_language` (Dutch by default; the
  switch `/taal?lang=en` sets the cookie); every text is in `texts.py`, in
  Dutch and English;
- services: `Page.call/data` -> `gateway.services.call(...)` (a service token
  per call, reads of reports audited as through /api);
- errors: `errors.install` answers pages with a page (403/404/410/500/503 ...)
  that says what to do, never JSON.

Modules by domain: account (sign-in, sign-out, language), respondent (the link,
the questionnaire, thank-you, opt-out), dashboard ("te doen", "mijn
rapportages"), nominations, reports, rounds and imports (coordinators),
settings_page. Static files (one stylesheet, one small script) at /static/.

The Content-Security-Policy allows scripts and styles from 'self' only: no
inline script or style attribute anywhere.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, HTTPException
from fastapi.responses import Response

STATIC = Path(__file__).parent / "static"
STATIC_TYPES = {".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8"}


def router() -> APIRouter:
    from spiegel_gateway.web import (
        account,
        dashboard,
        imports,
        nominations,
        passwords,
        reports,
        respondent,
        rounds,
        settings_page,
    )

    api = APIRouter(include_in_schema=False)
    modules = (
        account,
        passwords,
        respondent,
        dashboard,
        nominations,
        reports,
        rounds,
        imports,
        settings_page,
    )
    for module in modules:
        api.include_router(module.router())

    files = {p.name: p for p in STATIC.iterdir() if p.suffix in STATIC_TYPES}

    @api.get("/static/{name}")
    async def static(name: str) -> Response:
        path = files.get(name)
        if path is None:
            raise HTTPException(404, "no such file")
        return Response(
            path.read_bytes(),
            media_type=STATIC_TYPES[path.suffix],
            headers={"cache-control": "public, max-age=300"},
        )

    return api


def install_error_pages(app: object) -> None:
    from spiegel_gateway.web.errors import install

    install(app)  # type: ignore[arg-type]
