"""What a service may add to the platform's app (the gateway uses all of it): its own middleware
inside the platform's, plain routes matched before every other, a step of the lifespan, no
documentation pages; and a configuration error while building the app is a clear exit 2."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from fastapi import APIRouter, FastAPI
from fastapi.testclient import TestClient
from spiegel_platform.auth.service_tokens import SigningKey, jwks_of
from spiegel_platform.service import BaseServiceSettings, Runtime, ServiceDefinition, build_api, main
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class Tag:
    """Appends its name to x-layers on the way out: the order the layers ran in, innermost first."""

    def __init__(self, app: ASGIApp, name: str) -> None:
        self.app = app
        self.name = name.encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def tagged(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = message.setdefault("headers", [])
                seen = [v for k, v in headers if k == b"x-layers"]
                headers[:] = [(k, v) for k, v in headers if k != b"x-layers"]
                headers.append((b"x-layers", b",".join([*seen, self.name])))
                # The correlation id is added by the platform's layer, outside every one of these.
                assert not any(k == b"x-correlation-id" for k, _ in headers)
            await send(message)

        await self.app(scope, receive, tagged)


async def _first(request: Request) -> PlainTextResponse:
    return PlainTextResponse("first")


def _routers(runtime: Runtime) -> list[APIRouter]:
    api = APIRouter()

    @api.get("/anything/{rest:path}")
    async def anything(rest: str) -> dict[str, str]:
        return {"router": rest}

    return [api]


EVENTS: list[str] = []


@asynccontextmanager
async def _lifespan(app: FastAPI, runtime: Runtime) -> AsyncIterator[None]:
    EVENTS.append("start")
    try:
        yield
    finally:
        EVENTS.append("stop")


DEFINITION = ServiceDefinition(
    name="hooks-test",
    title="Hooks",
    settings_class=BaseServiceSettings,
    routers=_routers,
    storage=False,
    middleware=lambda runtime: [Middleware(Tag, name="outer"), Middleware(Tag, name="inner")],
    first_routes=lambda runtime: [Route("/anything/first", _first)],
    lifespan=_lifespan,
    docs_pages=False,
)


def _settings() -> BaseServiceSettings:
    return BaseServiceSettings(
        spiegel_env="test", service_token_jwks=json.dumps(jwks_of(SigningKey.generate()))
    )


def test_the_services_layers_run_inside_the_platforms_in_the_order_given() -> None:
    with TestClient(build_api(Runtime(DEFINITION, _settings()))) as client:
        answer = client.get("/healthz")
    assert answer.headers["x-layers"] == "inner,outer"
    assert answer.headers["x-correlation-id"]


def test_first_routes_are_matched_before_the_routers() -> None:
    with TestClient(build_api(Runtime(DEFINITION, _settings()))) as client:
        assert client.get("/anything/first").text == "first"
        assert client.get("/anything/else").json() == {"router": "else"}


def test_the_lifespan_step_runs_inside_the_platforms() -> None:
    EVENTS.clear()
    with TestClient(build_api(Runtime(DEFINITION, _settings()))):
        assert EVENTS == ["start"]
    assert EVENTS == ["start", "stop"]


def test_without_documentation_pages_the_openapi_document_stays() -> None:
    with TestClient(build_api(Runtime(DEFINITION, _settings()))) as client:
        assert client.get("/docs").status_code == 404
        assert client.get("/redoc").status_code == 404
        assert "/anything/{rest}" in client.get("/openapi.json").json()["paths"]


def test_a_configuration_error_while_building_the_app_is_exit_2(monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    def broken(app: FastAPI, runtime: Runtime) -> None:
        raise OSError("no such key file: /nowhere.pem")

    monkeypatch.setenv("SPIEGEL_ENV", "test")
    monkeypatch.setenv("SERVICE_TOKEN_JWKS", json.dumps(jwks_of(SigningKey.generate())))
    definition = ServiceDefinition(
        name="broken-test",
        title="Broken",
        settings_class=BaseServiceSettings,
        storage=False,
        customise_app=broken,
    )
    assert main(definition, ["api"]) == 2
    assert (
        "spiegel-broken-test: configuration error: no such key file: /nowhere.pem" in capsys.readouterr().err
    )


def test_a_service_that_verifies_no_service_tokens_needs_no_jwks() -> None:
    without_keys = BaseServiceSettings(spiegel_env="test", service_token_jwks='{"keys": []}')
    signer = ServiceDefinition(
        name="signer-test",
        title="Signer",
        settings_class=BaseServiceSettings,
        storage=False,
        verifies_service_tokens=False,
    )
    app = build_api(Runtime(signer, without_keys))
    assert not hasattr(app.state, "token_verifier")
    with pytest.raises(ValueError, match="no keys"):
        build_api(Runtime(DEFINITION, without_keys))
