"""A service that owns no database and takes no part in the event bus (the web pages): its
definition says storage=False, its settings need no MongoDB or Kafka, /readyz checks neither."""

from __future__ import annotations

import json

import pytest
from fastapi import APIRouter, FastAPI
from fastapi.testclient import TestClient
from spiegel_platform.auth.service_tokens import SigningKey, jwks_of
from spiegel_platform.service import (
    BaseServiceSettings,
    Runtime,
    ServiceDefinition,
    ServiceSettings,
    build_api,
    main,
)


class PagesSettings(BaseServiceSettings):
    greeting: str = "hallo"


def _router(runtime: Runtime) -> list[APIRouter]:
    api = APIRouter()

    @api.get("/hello")
    async def hello() -> dict[str, str]:
        return {"greeting": runtime.settings.greeting}

    return [api]


def _customised(app: FastAPI, runtime: Runtime) -> None:
    app.state.customised = runtime.definition.name


DEFINITION = ServiceDefinition(
    name="pages-test",
    title="Pages",
    settings_class=PagesSettings,
    routers=_router,
    storage=False,
    customise_app=_customised,
)


def _settings() -> PagesSettings:
    jwks = json.dumps(jwks_of(SigningKey.generate()))
    return PagesSettings(spiegel_env="test", service_token_jwks=jwks)


def test_it_serves_and_is_ready_without_a_database_or_kafka() -> None:
    runtime = Runtime(DEFINITION, _settings())
    app = build_api(runtime)
    assert app.state.customised == "pages-test"
    with TestClient(app) as client:
        assert client.get("/hello").json() == {"greeting": "hallo"}
        ready = client.get("/readyz")
        assert ready.status_code == 200, ready.text
        assert "mongodb" not in ready.text and "kafka" not in ready.text
    with pytest.raises(RuntimeError, match="owns no database"):
        runtime.db  # noqa: B018


def test_a_service_without_storage_has_no_outbox_consumers_or_other_process_types() -> None:
    with pytest.raises(ValueError, match="without storage"):
        ServiceDefinition(
            name="x", title="x", settings_class=PagesSettings, storage=False, outbox_collections=["a"]
        )
    assert main(DEFINITION, ["relay"]) == 2
    assert main(DEFINITION, ["consumer"]) == 2


def test_a_service_with_storage_still_needs_its_database_settings() -> None:
    stored = ServiceDefinition(name="y", title="y", settings_class=ServiceSettings)
    with pytest.raises(TypeError, match="needs ServiceSettings"):
        Runtime(stored, _settings())
