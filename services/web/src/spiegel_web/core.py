"""What every page uses: the page context (hospital, person, language, CSRF), rendering, service calls.

A page never answers with JSON: problems become a page that says what to do
(`PageError`), a page that needs a signed-in person sends the browser to the
sign-in form (`Redirect`).
"""

from __future__ import annotations

import hmac
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import urlencode, urlsplit
from zoneinfo import ZoneInfo

from fastapi import HTTPException, Request
from fastapi.responses import Response
from jinja2 import Environment
from spiegel_pages import look, page
from spiegel_pages.look import (
    LANG_COOKIE,
    PageError,
    Redirect,
    choose_language,
    form_number,
    local_path,
    quoted,
    remember_language,
)
from spiegel_pages.page import COORDINATING, state_of
from spiegel_platform.auth import roles as role_names
from spiegel_platform.auth.service_tokens import TokenError

from spiegel_web.caller import CALLER_HEADER, Caller, Hospital, context_of
from spiegel_web.upstream import Services, Upstream

HERE = Path(__file__).parent
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# The gateway reads these from the answer: the service calls to audit, and "end the link session".
AUDIT_HEADER = "x-spiegel-audit"
SESSION_HEADER = "x-spiegel-session"

env = look.environment(HERE / "templates")

# The longest text a form's field takes: the page's maxlength and the server's check (a longer
# text is refused with the field's name, never cut short unseen). Titles and names fit a line.
MAX_LENGTH = {
    "title": 150,
    "group_name": 150,
    "flex_label": 80,
    "hospital_name": 200,
    "name": 200,
    "email": 320,
}
env.globals["max_length"] = MAX_LENGTH
# form field -> (its label's text key, its MAX_LENGTH key)
ROUND_FIELDS = {
    "title": ("round_title", "title"),
    "group_name": ("group_name", "group_name"),
    "flex_label": ("new_flex_label", "flex_label"),
}
HOSPITAL_FIELDS = {"name": ("settings_name", "hospital_name")}
NOMINEE_FIELDS = {"name": ("name", "name"), "email": ("email", "email")}

__all__ = [
    "COORDINATING",
    "LANG_COOKIE",
    "Page",
    "PageError",
    "Redirect",
    "form_number",
    "local_path",
    "page_of",
    "problem_text",
    "quoted",
    "remember_language",
    "state_of",
]


def problem_text(upstream: Upstream, lang: str) -> str:
    """What a service said was wrong, in the reader's language where the service gave both."""
    return look.problem_text(upstream.content, lang)


@dataclass
class Page(page.Page[Hospital, Caller]):
    """A page of the web service: the caller as the gateway's page token says, and the browser's host."""

    host: str = ""

    env: ClassVar[Environment] = env

    def when(self, value: str | None) -> str:
        """A moment from a service (ISO 8601) as people read it: "2027-03-04 17:00" in the
        hospital's time zone ("" when there is none; the text as given when it is not a moment)."""
        if not value:
            return ""
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return value[:16].replace("T", " ")
        if moment.tzinfo is not None:
            moment = moment.astimezone(ZoneInfo(self.tenant.time_zone))
        return moment.strftime("%Y-%m-%d %H:%M")

    def closing(self, round_doc: dict[str, Any]) -> str:
        """When a round closes, or closed: a round closed early shows when it really was closed."""
        closed = round_doc.get("closed_at") if round_doc.get("status") == "closed" else None
        return self.when(closed or round_doc.get("closes_at"))

    @property
    def is_admin(self) -> bool:
        return role_names.TENANT_ADMIN in self.roles

    def moment(self, value: str) -> str:
        """A moment from a service (ISO 8601) as the hospital's clock shows it: 07-12-2026 14:05."""
        try:
            parsed = datetime.fromisoformat(value)
        except (TypeError, ValueError):
            return str(value or "")
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        return parsed.astimezone(ZoneInfo(self.tenant.time_zone)).strftime("%d-%m-%Y %H:%M")

    def label(self, item: dict[str, Any], base: str = "label") -> str:
        return str(item.get(f"{base}_{self.lang}") or item.get(f"{base}_nl") or item.get("code") or "")

    def end_link_session(self, response: Response) -> None:
        """Ask the gateway to end the respondent's link session (it owns sessions and cookies)."""
        response.headers[SESSION_HEADER] = "end"

    # -- guards -----------------------------------------------------------------------------
    def require(self, *wanted: str) -> Caller:
        caller = self.caller
        if caller is None or caller.kind != "person":
            raise Redirect(self.url("/inloggen", next=self.here))
        if wanted and not set(caller.roles) & set(wanted):
            raise PageError(403, key="forbidden_role")
        return caller

    def site_host(self) -> str:
        return self.host

    def check_csrf(self, caller: Caller, form_token: str) -> bool:
        """A cookie-authenticated change needs the session's CSRF token and no foreign Origin."""
        if self.request.method in SAFE_METHODS or caller.via != "cookie":
            return True
        origin = self.request.headers.get("origin")
        if origin and origin != "null" and urlsplit(origin).netloc.lower() != self.host.lower():
            return False
        return bool(caller.csrf) and hmac.compare_digest(form_token.encode(), caller.csrf.encode())

    # -- the services -------------------------------------------------------------------------
    async def call(
        self,
        service: str,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        content: bytes | None = None,
        headers: dict[str, str] | None = None,
        query: dict[str, Any] | None = None,
    ) -> Upstream:
        """Call a service (or the gateway's own API) as the caller; the gateway audits the call
        as it audits /api (reads of reports, refusals), from the list this page hands back."""
        caller = self.caller
        assert caller is not None
        sent = {"accept": "application/json", "accept-language": self.lang, **(headers or {})}
        if json_body is not None:
            content = json.dumps(json_body).encode()
            sent["content-type"] = "application/json"
        upstream = await self.send(
            service,
            method,
            path,
            content=content,
            headers=sent,
            query=urlencode({k: v for k, v in (query or {}).items() if v is not None}),
        )
        if upstream.status_code == 401:
            raise PageError(502, key="service_credentials")
        if service != "gateway":
            state_of(self.request).setdefault("audit", []).append(
                [service, method, path, upstream.status_code]
            )
        return upstream

    async def send(
        self,
        service: str,
        method: str,
        path: str,
        *,
        content: bytes | None = None,
        headers: dict[str, str] | None = None,
        query: str = "",
    ) -> Upstream:
        """The call itself, as the caller (its service token), neither audited nor interpreted: the
        respondent's questionnaire uses it directly, as the gateway's link pages did."""
        caller = self.caller
        assert caller is not None
        at_gateway = service == "gateway"
        return await services_of(self.request).call(
            service,
            method,
            path,
            token=caller.token,
            correlation_id=str(state_of(self.request).get("correlation_id", "")),
            content=content,
            headers=headers,
            query=query,
            host=self.host if at_gateway else None,
            prefix=self.prefix if at_gateway else "",
        )

    async def data(self, service: str, method: str, path: str, **kwargs: Any) -> Any:
        """A service's JSON answer; a refusal becomes the matching error page."""
        upstream = await self.call(service, method, path, **kwargs)
        if upstream.is_success:
            return json.loads(upstream.content or b"null")
        raise PageError(upstream.status_code, problem_text(upstream, self.lang))


class TokenRefused(HTTPException):
    """No valid page token: JSON, never a page, so the gateway tells it from a page's own 401."""

    def __init__(self, detail: str) -> None:
        super().__init__(401, detail, headers={"www-authenticate": 'Bearer error="invalid_token"'})


def services_of(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


def too_long(page: Page, form: dict[str, Any], fields: dict[str, tuple[str, str]]) -> list[str]:
    """A problem for each text longer than its field takes, naming the field and the limit."""
    problems = []
    for name, (label, limit) in fields.items():
        value = form.get(name)
        length = len(str(value).strip()) if isinstance(value, str) else 0
        if length > MAX_LENGTH[limit]:
            problems.append(
                page.t("error_too_long", field=page.t(label), most=MAX_LENGTH[limit], length=length)
            )
    return problems


async def page_of(request: Request) -> Page:
    """The page context from the gateway's page token: hospital, the person if signed in, the language."""
    state = state_of(request)
    state["web_page"] = True
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    try:
        principal = request.app.state.token_verifier.verify(
            token.strip() if scheme.lower() == "bearer" else ""
        )
    except TokenError as error:
        raise TokenRefused(f"pages are served through the gateway: {error}") from None
    context = context_of(principal, request.headers.get(CALLER_HEADER, ""))
    state["tenant"] = context.hospital
    state["caller"] = context.caller
    state["tenant_prefix"] = context.prefix
    caller = context.caller
    lang = choose_language(
        offered=context.hospital.languages,
        default=context.hospital.default_language,
        explicit=(request.query_params.get("lang"), request.cookies.get(LANG_COOKIE)),
        person=caller.language if caller is not None else None,
        accept_language=request.headers.get("accept-language", ""),
    )
    return Page(request, context.hospital, caller, lang, context.prefix, context.host)
