"""The page plumbing both page-rendering processes share: the page context and the error pages."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import ClassVar

import pytest
from fastapi import FastAPI, HTTPException
from fastapi.responses import JSONResponse
from fastapi.testclient import TestClient
from jinja2 import Environment
from spiegel_pages import look
from spiegel_pages.errors import ErrorPages
from spiegel_pages.look import PageError
from spiegel_pages.page import Page
from starlette.requests import Request


@dataclass(frozen=True)
class Hospital:
    languages: tuple[str, ...] = ("nl", "en")


@dataclass(frozen=True)
class Person:
    kind: str = "person"
    roles: tuple[str, ...] = ("coordinator",)
    csrf: str = "secret"
    language: str = "en"


@dataclass
class SomePage(Page[Hospital, Person]):
    env: ClassVar[Environment] = look.environment()

    def check_csrf(self, caller: Person, form_token: str) -> bool:
        return form_token == caller.csrf


def request(path: str = "/x", query: bytes = b"", body: bytes = b"", method: str = "GET") -> Request:
    async def receive() -> dict[str, object]:
        return {"type": "http.request", "body": body, "more_body": False}

    headers = [(b"content-type", b"application/x-www-form-urlencoded")] if body else []
    scope = {
        "type": "http",
        "method": method,
        "path": path,
        "headers": headers,
        "query_string": query,
        "state": {},
    }
    return Request(scope, receive)


def test_addresses_are_under_the_hospitals_prefix_without_empty_values() -> None:
    page = SomePage(request("/rondes", b"a=1"), Hospital(), Person(), "nl", "/t/demo")
    assert page.url("/start", x=None, y="", z=2) == "/t/demo/start?z=2"
    assert page.here == "/rondes?a=1"
    assert page.lang_url("en") == "/t/demo/taal?lang=en&next=%2Frondes%3Fa%3D1"
    assert page.is_coordinator and page.csrf == "secret"
    link = SomePage(request(), Hospital(), Person(kind="respondent"), "nl")
    assert link.roles == () and not link.is_coordinator and link.url("/start") == "/start"


def test_a_posted_form_is_read_only_after_the_sides_csrf_check() -> None:
    def posted(caller: Person | None, body: bytes) -> SomePage:
        return SomePage(request(method="POST", body=body), Hospital(), caller, "nl")

    form = asyncio.run(posted(Person(), b"csrf_token=secret&a=1&a=2&b=x").form())
    assert form == {"csrf_token": "secret", "a": ["1", "2"], "b": "x"}
    for caller, body, key in (
        (Person(), b"csrf_token=wrong", "csrf"),
        (None, b"csrf_token=secret", "session_expired"),
    ):
        with pytest.raises(PageError) as refused:
            asyncio.run(posted(caller, body).form())
        assert (refused.value.status, refused.value.key) == (403, key)


def test_error_pages_answer_pages_and_leave_the_rest_json() -> None:
    class Refused(HTTPException):
        pass

    app = FastAPI()  # the JSON handlers stand in for the platform's
    app.add_exception_handler(Exception, lambda request, error: JSONResponse({"detail": "unexpected"}, 500))
    ErrorPages(
        page=SomePage,
        modules="spiegel_pages",
        not_a_page=lambda p: p.startswith("/api/"),
        json_only=(Refused,),
    ).install(app)

    @app.get("/api/thing")
    async def api_thing() -> None:
        raise HTTPException(409, "taken")

    @app.get("/refused")
    async def refused() -> None:
        raise Refused(401, "no token")

    @app.get("/private")
    async def private() -> None:
        raise HTTPException(401, "sign in")

    client = TestClient(app)
    html = {"accept": "text/html"}
    assert client.get("/api/thing", headers=html).json()  # an API path stays JSON
    missing = client.get("/nothing?lang=en", headers=html)
    assert missing.status_code == 404 and "text/html" in missing.headers["content-type"]
    signin = client.get("/private", headers=html, follow_redirects=False)
    assert (signin.status_code, signin.headers["location"]) == (303, "/inloggen?next=/private")
    assert client.get("/refused", headers=html).json()  # json_only stays JSON, even for a browser
