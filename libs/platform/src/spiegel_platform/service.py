"""One service, three process types: `api`, `relay`, `consumer`.

A service describes itself once (a `ServiceDefinition`: its settings class,
collections with pending events, indexes, routers, consumers, topics) and
`main()` runs whichever process type is asked for:

    python -m spiegel_survey api        # FastAPI app (HTTP)
    python -m spiegel_survey relay      # outbox relay -> Kafka
    python -m spiegel_survey consumer   # Kafka consumers -> its own MongoDB

Nothing connects at import time; `Runtime` builds the clients at start-up, and
tests can build a Runtime with their own settings (the real wiring).

`ServiceDefinition`, `ConsumerSpec` and `Runtime` are generic in the service's
settings class: a service names its runtime once (`SurveyRuntime =
Runtime[SurveySettings]`, beside its settings) and reads
`runtime.settings.<its field>` typed, checked by mypy, without casts.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from fastapi import APIRouter, FastAPI
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase
from starlette.middleware import Middleware
from starlette.routing import BaseRoute

from spiegel_platform import backlog, kafka
from spiegel_platform.app import create_app
from spiegel_platform.auth.service_tokens import ServiceTokenVerifier
from spiegel_platform.events.consumer import BatchHandler, EventConsumer, Handler
from spiegel_platform.events.outbox import HINTS_COLLECTION, OutboxRelay
from spiegel_platform.health import ReadinessCheck, kafka_check, mongo_check
from spiegel_platform.logging import configure_logging, get_logger
from spiegel_platform.runner import run_worker, serve_api
from spiegel_platform.settings import (
    CommonSettings,
    KafkaSettings,
    MongoSettings,
    ServiceTokenSettings,
    load_settings,
)
from spiegel_platform.storage.mongo import connect
from spiegel_platform.storage.repository import IndexSpec, ensure_indexes

log = get_logger(__name__)
Document = dict[str, Any]


class BaseServiceSettings(CommonSettings, ServiceTokenSettings):
    """What every service needs, also one without a database or events of its own (`storage=False`,
    e.g. the web pages): logging, its HTTP address, the service tokens it verifies."""


class ServiceSettings(BaseServiceSettings, MongoSettings, KafkaSettings):
    """The settings every domain service needs; a service may extend it."""


SettingsT = TypeVar("SettingsT", bound=BaseServiceSettings)


@dataclass
class ConsumerSpec(Generic[SettingsT]):
    """A consumer group. An event type with only a batch handler is handled one event at a
    time by that same handler when a run fails (see EventConsumer), so a consumer of batches
    alone needs no `handlers`."""

    group_id: str
    topics: Sequence[str]
    handlers: Callable[[Runtime[SettingsT]], Mapping[str, Handler]] = lambda runtime: {}
    batch_handlers: Callable[[Runtime[SettingsT]], Mapping[str, BatchHandler]] | None = None


@dataclass
class ServiceDefinition(Generic[SettingsT]):
    name: str
    title: str
    settings_class: type[SettingsT]
    description: str = ""
    outbox_collections: Sequence[str] = ()
    indexes: Mapping[str, Sequence[IndexSpec]] = field(default_factory=dict)
    routers: Callable[[Runtime[SettingsT]], Sequence[APIRouter]] = lambda runtime: ()
    consumers: Sequence[ConsumerSpec[SettingsT]] = ()
    produces_topics: Sequence[str] = ()
    # Scheduled jobs (closing rounds on time, reminders); run in the consumer process.
    background: Sequence[Callable[[Runtime[SettingsT], asyncio.Event], Coroutine[Any, Any, None]]] = ()
    openapi_tags: list[dict[str, Any]] | None = None
    # False: a service that owns no database and takes no part in the event bus (the web pages
    # call the other services over HTTP). It runs the `api` process only, its settings class
    # needs only BaseServiceSettings, and /readyz checks neither MongoDB nor Kafka.
    storage: bool = True
    # Called with the built app and the runtime: exception handlers of its own, app state (the
    # web service's page-aware error handlers and its HTTP client).
    customise_app: Callable[[FastAPI, Runtime[SettingsT]], None] | None = None
    # The api's own middleware, outermost first, inside the platform's (correlation id, request
    # log and latency stay outermost): the gateway's security headers and size limit, tenant
    # routing, CORS.
    middleware: Callable[[Runtime[SettingsT]], Sequence[Middleware]] = lambda runtime: ()
    # Plain Starlette routes matched before every other route: a busy path that needs nothing of
    # FastAPI's validation (the gateway's /api/... forwarding). A router documents them.
    first_routes: Callable[[Runtime[SettingsT]], Sequence[BaseRoute]] = lambda runtime: ()
    # A step of the api's lifespan, inside the platform's: it starts after the storage is
    # prepared and ends before the database client closes (the gateway closes its HTTP clients).
    lifespan: Callable[[FastAPI, Runtime[SettingsT]], AbstractAsyncContextManager[None]] | None = None
    # False: no Swagger UI or ReDoc pages (the gateway's CSP forbids their inline script and CDN);
    # the OpenAPI document is at /openapi.json either way.
    docs_pages: bool = True
    # False: the service verifies no service tokens with the platform's verifier (the gateway signs
    # them): it needs no SERVICE_TOKEN_JWKS, and its api does not check one at start.
    verifies_service_tokens: bool = True

    def __post_init__(self) -> None:
        if not self.storage and (
            self.outbox_collections
            or self.indexes
            or self.consumers
            or self.produces_topics
            or self.background
        ):
            raise ValueError(f"{self.name}: a service without storage has no outbox, indexes or consumers")


class Runtime(Generic[SettingsT]):
    """One process's settings (the service's own class), database and token verifier.

    Its parts (stores, clients, mailer, ...) are built by the service's wiring
    (`spiegel_platform.wiring.Wiring`), which the runtime keeps in `wiring`.
    """

    def __init__(self, definition: ServiceDefinition[SettingsT], settings: SettingsT) -> None:
        self.definition = definition
        self.settings = settings
        self._client: AsyncMongoClient[Document] | None = None
        self._db: AsyncDatabase[Document] | None = None
        if definition.storage:
            if not isinstance(settings, ServiceSettings):
                raise TypeError(f"{definition.name}: a service with storage needs ServiceSettings")
            self._client = connect(settings, app_name=f"spiegel-{definition.name}")
            self._db = self._client[settings.mongodb_database]
        self.wiring: object | None = None  # the service's Wiring, built on first use
        self._verifier: ServiceTokenVerifier | None = None

    @property
    def client(self) -> AsyncMongoClient[Document]:
        if self._client is None:
            raise RuntimeError(f"the {self.definition.name} service owns no database (storage=False)")
        return self._client

    @property
    def db(self) -> AsyncDatabase[Document]:
        if self._db is None:
            raise RuntimeError(f"the {self.definition.name} service owns no database (storage=False)")
        return self._db

    def readiness_checks(self) -> list[ReadinessCheck]:
        """What /readyz checks: the service's database and Kafka, when it uses them."""
        settings = self.settings
        if not self.definition.storage or not isinstance(settings, ServiceSettings):
            return []
        return [mongo_check(self.db), kafka_check(settings)]

    @property
    def verifier(self) -> ServiceTokenVerifier:
        if self._verifier is None:
            self._verifier = ServiceTokenVerifier(
                self.settings.service_token_jwks,
                audience=self.definition.name,
                issuer=self.settings.service_token_issuer,
                leeway_s=self.settings.service_token_leeway_s,
            )
        return self._verifier

    async def prepare_storage(self) -> None:
        if not self.definition.storage:
            return
        indexes = {**self.definition.indexes}
        await ensure_indexes(self.db, indexes)
        await self.db[HINTS_COLLECTION].create_index("at")

    async def close(self) -> None:
        if self._client is not None:
            await self._client.close()


def build_api(runtime: Runtime[SettingsT]) -> FastAPI:
    definition = runtime.definition

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await runtime.prepare_storage()
        # The service's lag, dead letters and outbox backlog for its /metrics (backlog.py).
        readings = backlog.of(runtime)
        stop = asyncio.Event()
        reading = asyncio.create_task(readings.run(stop)) if readings is not None else None
        try:
            if definition.lifespan is None:
                yield
            else:
                async with definition.lifespan(app, runtime):
                    yield
        finally:
            stop.set()
            if reading is not None:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(reading, 5)
            await runtime.close()

    app = create_app(
        service=definition.name,
        title=definition.title,
        description=definition.description,
        routers=definition.routers(runtime),
        readiness_checks=runtime.readiness_checks(),
        lifespan=lifespan,
        openapi_tags=definition.openapi_tags,
        # The service's texts live in its own package (spiegel_<service>/locales).
        texts=(definition.settings_class.__module__.split(".")[0],),
        middleware=definition.middleware(runtime),
        first_routes=definition.first_routes(runtime),
        docs_pages=definition.docs_pages,
    )
    app.state.runtime = runtime
    if definition.verifies_service_tokens:
        app.state.token_verifier = runtime.verifier
    if definition.customise_app is not None:
        definition.customise_app(app, runtime)
    return app


def _health_app(runtime: Runtime[Any], process: str) -> FastAPI:
    return create_app(
        service=f"{runtime.definition.name}-{process}",
        title=f"{runtime.definition.title} ({process})",
        readiness_checks=runtime.readiness_checks(),
    )


async def run_relay(runtime: Runtime[Any], stop: asyncio.Event) -> None:
    definition = runtime.definition
    await kafka.ensure_topics(runtime.settings, definition.produces_topics)
    producer = kafka.producer(runtime.settings, client_id=f"{definition.name}-relay")
    await _start_with_retry(producer.start, "kafka producer", stop)
    relay = OutboxRelay(
        runtime.db,
        producer,
        service=definition.name,
        collections=definition.outbox_collections,
        topic_prefix=runtime.settings.kafka_topic_prefix,
    )
    try:
        await relay.run(stop)
    finally:
        await producer.stop()


async def run_consumers(runtime: Runtime[Any], stop: asyncio.Event) -> None:
    definition = runtime.definition
    await runtime.prepare_storage()
    topics = sorted({t for spec in definition.consumers for t in spec.topics})
    await kafka.ensure_topics(runtime.settings, topics)
    consumers = [
        EventConsumer(
            runtime.settings,
            group_id=spec.group_id,
            handlers=spec.handlers(runtime),
            topics=spec.topics,
            batch_handlers=spec.batch_handlers(runtime) if spec.batch_handlers else None,
        )
        for spec in definition.consumers
    ]
    await asyncio.gather(*(c.run(stop) for c in consumers))


async def _start_with_retry(start: Callable[[], Awaitable[None]], what: str, stop: asyncio.Event) -> None:
    delay = 0.5
    while True:
        try:
            await start()
            return
        except Exception as error:
            if stop.is_set():
                raise
            log.warning("start_retry", what=what, error=repr(error), retry_in=delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 10)


PROCESSES = ("api", "relay", "consumer")


def main(definition: ServiceDefinition[SettingsT], argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    process = args[0] if args else "api"
    program = f"spiegel-{definition.name}"
    offered = PROCESSES if definition.storage else ("api",)
    if process not in offered:
        print(
            f"usage: python -m spiegel_{definition.name.replace('-', '_')} {{{'|'.join(offered)}}}",
            file=sys.stderr,
        )
        return 2
    settings = load_settings(definition.settings_class, program)
    configure_logging(f"{definition.name}-{process}", fmt=settings.log_format, level=settings.log_level)
    runtime = Runtime(definition, settings)
    if process == "api":
        try:
            if definition.verifies_service_tokens:
                runtime.verifier  # noqa: B018 - fail at start, not at the first request
        except (OSError, ValueError) as error:
            print(f"{program}: configuration error: SERVICE_TOKEN_JWKS: {error}", file=sys.stderr)
            return 2
        try:
            app = build_api(runtime)
        except (OSError, ValueError) as error:  # e.g. the gateway's signing key file, unreadable
            print(f"{program}: configuration error: {error}", file=sys.stderr)
            return 2
        serve_api(app, host=settings.http_host, port=settings.http_port)
        return 0
    work = run_relay if process == "relay" else run_consumers

    async def go() -> None:
        async def job(stop: asyncio.Event) -> None:
            tasks = [asyncio.create_task(work(runtime, stop))]
            tasks += [
                asyncio.create_task(extra(runtime, stop))
                for extra in definition.background
                if process == "consumer"
            ]
            try:
                await asyncio.gather(*tasks)
            finally:
                await runtime.close()

        await run_worker(
            job, health_app=_health_app(runtime, process), host=settings.http_host, port=settings.http_port
        )

    asyncio.run(go())
    return 0
