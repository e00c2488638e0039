"""What every page needs, whichever process renders it: templates, error pages, safe paths, texts.

A page never answers with JSON: a problem is a `PageError` (a page that says
what to do), a page that needs a signed-in person raises `Redirect` to the
sign-in form.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, HTTPException
from fastapi.responses import HTMLResponse, Response
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, select_autoescape

from spiegel_pages.texts import text

HERE = Path(__file__).parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"
STATIC_TYPES = {".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8"}
LANG_COOKIE = "spiegel_lang"
# Statuses with a page of their own; any other becomes 400 or 500.
SHOWN = {400, 401, 403, 404, 405, 409, 410, 413, 422, 429, 500, 502, 503}


def environment(*template_dirs: Path) -> Environment:
    """Jinja2 with the given template folders first, then the shared layout and error page."""
    return Environment(
        loader=ChoiceLoader([FileSystemLoader([*template_dirs, TEMPLATES])]),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )


class PageError(Exception):
    """A page that explains a problem: status, and text keys (or ready text) for title and advice."""

    def __init__(self, status: int, message: str = "", *, key: str = "") -> None:
        super().__init__(message or key)
        self.status = status
        self.message = message
        self.key = key


class StaleForm(PageError):
    """A form posted from this site whose CSRF token is no longer the session's (the person signed
    in again in another tab, or the session was renewed): nothing is done, and the page offers to
    send what was typed again with the session's token, so no input is lost. `fields`: the posted
    texts (the token left out), in order; `files`: the names of file fields (a file cannot be
    kept: it is chosen again); `action`: the address the form was posted to."""

    def __init__(self, fields: list[tuple[str, str]], files: list[str], action: str) -> None:
        super().__init__(403, key="csrf_stale")
        self.fields = fields
        self.files = files
        self.action = action


class Redirect(Exception):
    def __init__(self, location: str) -> None:
        super().__init__(location)
        self.location = location


def local_path(value: str | None, default: str = "/") -> str:
    """Only a path on this site (no scheme, no //host): never an open redirect."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return default
    return value


def form_number(value: str, *, digits: int = 6) -> int | None:
    """A whole number posted by a form, or None: ASCII digits only ('²'.isdigit() holds, and
    int() refuses thousands of digits), at most `digits` of them."""
    return int(value) if value.isascii() and value.isdigit() and len(value) <= digits else None


def quoted(value: str) -> str:
    return quote(value, safe="")


def problem_text(content: bytes, lang: str) -> str:
    """What a service said was wrong (its JSON answer), in the reader's language where it gave both."""
    try:
        body = json.loads(content)
    except ValueError:
        return ""
    if not isinstance(body, dict):
        return ""
    detail = body.get("detail", body)
    if isinstance(detail, dict):
        body = detail
    for key in (f"message_{lang}", "message"):
        value = body.get(key)
        if isinstance(value, str) and value:
            return pick_language(value, lang)
    if isinstance(detail, str):
        return pick_language(detail, lang)
    return ""


def pick_language(message: str, lang: str) -> str:
    """Services write some messages as "Nederlands / English": show the reader's half."""
    if " / " in message and message.count(" / ") == 1:
        nl, en = message.split(" / ")
        return en if lang == "en" else nl
    return message


def remember_language(response: Response, lang: str) -> None:
    response.set_cookie(LANG_COOKIE, lang, max_age=365 * 86400, samesite="lax", httponly=True)


def size_text(limit: int, lang: str) -> str:
    """A request size limit as a person reads it ("1 MB")."""
    megabytes = limit / 1_048_576
    number = f"{megabytes:.0f}" if megabytes == round(megabytes) else f"{megabytes:.1f}"
    return f"{number.replace('.', ',') if lang == 'nl' else number} MB"


def error_html(
    env: Environment,
    *,
    page: Any,
    lang: str,
    status: int,
    message: str = "",
    key: str = "",
    prefix: str = "",
    path: str = "/",
    correlation_id: str = "",
    limit: int = 1_048_576,
) -> HTMLResponse:
    """The error page: what went wrong and what to do next, in the reader's language."""
    status = status if status in SHOWN else (500 if status >= 500 else 400)
    html = env.get_template("error.html").render(
        page=page,
        t=lambda k, **v: text(k, lang, **v),
        lang=lang,
        status=status,
        message=message,
        detail_key=key,
        prefix=prefix,
        correlation_id=correlation_id,
        signin=prefix + "/inloggen?next=" + local_path(path),
        limit=size_text(limit, lang),
    )
    response = HTMLResponse(html, status_code=status)
    response.headers["cache-control"] = "no-store"
    if status == 429:
        response.headers["retry-after"] = "60"
    return response


def static_router(extra: Sequence[Path] = ()) -> APIRouter:
    """/static/<name>: the stylesheet and the script (cached five minutes)."""
    api = APIRouter(include_in_schema=False)
    files = {p.name: p for folder in (STATIC, *extra) for p in folder.iterdir() if p.suffix in STATIC_TYPES}

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


def accepted_languages(header: str) -> list[str]:
    """The two-letter languages of an Accept-Language header, most wanted first."""
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


def choose_language(
    *,
    offered: Sequence[str],
    default: str,
    explicit: Sequence[str | None],
    person: str | None,
    accept_language: str,
) -> str:
    """Which language a person reads: Dutch by default, English on request.

    Order: an explicit choice (`?lang=` or the `spiegel_lang` cookie), the signed-in person's
    language, the browser's Accept-Language, the hospital's first language. Only the hospital's
    languages are offered.
    """
    offered = offered or ("nl",)
    for chosen in explicit:
        if chosen is not None and chosen in offered:
            return chosen
    if person is not None and person in offered:
        return person
    for tag in accepted_languages(accept_language):
        if tag in offered:
            return tag
    return default


# A respondent's link that opens nothing: the page's text key by the survey's status (or its code).
LINK_PROBLEMS = {
    404: "link_unknown",
    403: "link_mismatch",
    409: "already_submitted",
    410: "round_closed",
}


def link_problem_code(status: int, content: bytes) -> str:
    """The text key of a link problem: the service's own `code` where it gave one."""
    try:
        body = json.loads(content)
    except ValueError:
        body = None
    detail = body.get("detail", body) if isinstance(body, dict) else {}
    code = str(detail.get("code", "")) if isinstance(detail, dict) else ""
    return code or LINK_PROBLEMS.get(status, "link_unknown")
