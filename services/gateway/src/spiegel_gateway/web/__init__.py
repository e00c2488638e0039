"""The web pages (issue #7): server-rendered Jinja2 pages served by the gateway.

Not built yet. A page handler is an ordinary FastAPI route in a module here,
registered in `router()` below, and reuses what the API routes use:

- the hospital: `CurrentTenant` (spiegel_gateway.tenants.resolution); links
  inside a page are prefixed with `request.state.tenant_prefix` (local /t/<slug>);
- the person: `OptionalCaller` / `SignedIn` / `require_roles(...)`
  (spiegel_gateway.sessions.auth); sign-in forms call
  `spiegel_gateway.signin.local.password_sign_in` and
  `gateway.sessions.open(...)` + `set_session_cookie(...)`;
- CSRF: put `caller.csrf` in a hidden `csrf_token` field and call
  `check_csrf(request, caller, form_token=form["csrf_token"])`;
- language: `spiegel_gateway.i18n.choose_language(request, tenant, caller)`
  (Dutch by default, English on request);
- services: `request.app.state.gateway.services.call(service, method, path,
  caller=caller, correlation_id=...)` (a service token per call);
- e-mail links point at the paths in spiegel_gateway.links (verification and
  password reset pages).

The Content-Security-Policy allows scripts and styles from 'self' only: no
inline script or style attribute.
"""

from __future__ import annotations

from fastapi import APIRouter


def router() -> APIRouter:
    return APIRouter(include_in_schema=False)
