"""The page context both page-rendering processes share: hospital, person, language, address prefix.

`Page` renders a template of its process (`env`, the class's own Jinja2
environment) in the shared layout, builds addresses under the hospital's
prefix, and reads a posted form after the CSRF check. How the CSRF token is
checked is each process's own (`check_csrf`): the gateway checks its session,
the web service the session's token in the gateway's page token.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, ClassVar, Generic, Protocol, TypeVar
from urllib.parse import urlencode, urlsplit

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from jinja2 import Environment
from spiegel_platform.auth import roles as role_names
from starlette.exceptions import HTTPException as StarletteHTTPException

from spiegel_pages.look import PageError, StaleForm, remember_language
from spiegel_pages.texts import text

COORDINATING = (role_names.COORDINATOR, role_names.TENANT_ADMIN)


class Hospital(Protocol):
    @property
    def languages(self) -> tuple[str, ...]: ...


class Person(Protocol):
    """A signed-in person, or a respondent's link session (kind "respondent")."""

    @property
    def kind(self) -> str: ...

    @property
    def roles(self) -> tuple[str, ...]: ...

    @property
    def csrf(self) -> str: ...


HospitalT = TypeVar("HospitalT", bound=Hospital)
PersonT = TypeVar("PersonT", bound=Person)


def state_of(request: Request) -> dict[str, Any]:
    """The request's state (what middleware and checks note on it), as the dict it is."""
    state: dict[str, Any] = request.scope.setdefault("state", {})
    return state


@dataclass
class Page(ABC, Generic[HospitalT, PersonT]):
    request: Request
    tenant: HospitalT
    caller: PersonT | None
    lang: str
    prefix: str = ""  # the hospital's address prefix ("/t/<slug>"), "" on the hospital's own host

    env: ClassVar[Environment]  # the process's templates, then the shared layout

    def url(self, path: str, **query: Any) -> str:
        shown = {k: v for k, v in query.items() if v not in (None, "")}
        return self.prefix + path + (f"?{urlencode(shown)}" if shown else "")

    def t(self, key: str, **values: Any) -> str:
        return text(key, self.lang, **values)

    @property
    def csrf(self) -> str:
        return self.caller.csrf if self.caller is not None else ""

    @property
    def roles(self) -> tuple[str, ...]:
        return self.caller.roles if self.caller is not None and self.caller.kind == "person" else ()

    @property
    def is_coordinator(self) -> bool:
        return bool(set(self.roles) & set(COORDINATING))

    @property
    def is_specialist(self) -> bool:
        return "specialist" in self.roles

    @property
    def here(self) -> str:
        """The current page (without the hospital prefix), for `next` after sign-in or a language switch."""
        query = self.request.url.query
        return self.request.url.path + (f"?{query}" if query else "")

    def lang_url(self, lang: str) -> str:
        return self.url("/taal", lang=lang, next=self.here)

    def render(self, template: str, status: int = 200, **values: Any) -> HTMLResponse:
        html = self.env.get_template(template).render(page=self, t=self.t, **values)
        response = HTMLResponse(html, status_code=status)
        response.headers["cache-control"] = "no-store"
        explicit = self.request.query_params.get("lang")
        if explicit is not None and explicit in self.tenant.languages:
            remember_language(response, explicit)
        return response

    def redirect(self, path: str, **query: Any) -> RedirectResponse:
        return RedirectResponse(self.url(path, **query), status_code=303)

    @abstractmethod
    def check_csrf(self, caller: PersonT, form_token: str) -> bool:
        """Whether a posted change may be made: each side's own check (the gateway's session,
        the web service's page token; the token and the Origin)."""

    def site_host(self) -> str:
        """The host the browser addressed (the web service: as the gateway's page token says)."""
        return self.request.headers.get("host", "")

    def posted_here(self) -> bool:
        """Whether the browser says the post came from a page of this site (Sec-Fetch-Site, else
        an Origin naming this host). Unknown is no: only then is a stale form offered again."""
        site = self.request.headers.get("sec-fetch-site")
        if site is not None:
            return site == "same-origin"
        origin = self.request.headers.get("origin", "")
        return (
            bool(origin) and origin != "null" and urlsplit(origin).netloc.lower() == self.site_host().lower()
        )

    async def form(self) -> dict[str, Any]:
        """The posted form, after the CSRF check (every form carries `csrf_token`).

        A form of this site whose token is stale (`posted_here`) is a `StaleForm`: its page
        offers to send what was typed again with the session's current token. A post from
        elsewhere gets the plain refusal: its values are never offered to be sent."""
        try:
            form = await self.request.form()
        except StarletteHTTPException:
            raise  # e.g. 413 from the size limit: its own page
        except Exception:
            raise PageError(400, key="bad_form") from None
        caller = self.caller
        if caller is None:
            raise PageError(403, key="session_expired")
        token = form.get("csrf_token")
        if not self.check_csrf(caller, token if isinstance(token, str) else ""):
            if self.posted_here() and caller.csrf:
                query = self.request.url.query
                raise StaleForm(
                    [(k, v) for k, v in form.multi_items() if k != "csrf_token" and isinstance(v, str)],
                    sorted({k for k, v in form.multi_items() if not isinstance(v, str)}),
                    self.prefix + self.request.url.path + (f"?{query}" if query else ""),
                )
            raise PageError(403, key="csrf")
        return {k: form.getlist(k) if len(form.getlist(k)) > 1 else form.get(k) for k in form}
