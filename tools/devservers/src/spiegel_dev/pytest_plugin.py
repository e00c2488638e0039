"""Fixtures for tests against the real servers.

`stack` starts a local Apache Kafka and FerretDB once per test session, on free
loopback ports (so a `make run` beside it does not clash), unless
KAFKA_BOOTSTRAP_SERVERS / MONGODB_URL point at external ones. With pytest-xdist
(`make test TEST_WORKERS=N`, a file at a time) every worker is a session of its own with a
stack of its own: workers share no broker, database or port.

A shared deployment (a session fixture a conftest names with `shared_deployment`, e.g. the
gateway's `deployment`) is stopped right after the last test of the session that uses it
(`stop_after_last_use`), so the rest of the run does not share the two cores with a dozen
idle service processes. Each worker receives its files in collection order, so the last user
in the whole collection is also the last one in the worker that runs it; the other workers
stop theirs at the end of their session.
"""

from __future__ import annotations

import json
import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from spiegel_dev.browser import browser  # noqa: F401 - a fixture for the browser tests
from spiegel_dev.processes import free_port
from spiegel_dev.servers import Stack, new_instance_dir, start_stack
from spiegel_dev.services import ServiceProcess, new_process, service_env

_SHARED: set[str] = set()
_LAST_USE: dict[str, pytest.Item] = {}
_STOPS: dict[str, Callable[[], None]] = {}


def shared_deployment(fixture: str) -> None:
    """Names a session fixture to stop after its last test (call it in a conftest)."""
    _SHARED.add(fixture)


def stop_after_last_use(fixture: str, stop: Callable[[], None]) -> None:
    """Registers how to stop a shared deployment once its last test in this process is done."""
    _STOPS[fixture] = stop


def stop_now(fixture: str) -> None:
    """Stops a shared deployment if it still runs (its fixture's own teardown calls this)."""
    _STOPS.pop(fixture, lambda: None)()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        for fixture in _SHARED.intersection(getattr(item, "fixturenames", ())):
            _LAST_USE[fixture] = item


def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> None:
    for fixture, last in list(_LAST_USE.items()):
        if item is last:
            stop_now(fixture)


@pytest.fixture(scope="session")
def stack() -> Iterator[Stack]:
    workdir = new_instance_dir("test")
    started = start_stack(
        workdir, kafka_port=free_port(), controller_port=free_port(), mongo_port=free_port()
    )
    try:
        yield started
    finally:
        started.stop()
        shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture(scope="session")
def signing_key():  # type: ignore[no-untyped-def]
    from spiegel_platform.auth.service_tokens import SigningKey

    return SigningKey.generate(kid="test-" + uuid.uuid4().hex[:8])


@pytest.fixture(scope="session")
def jwks_json(signing_key) -> str:  # type: ignore[no-untyped-def]
    from spiegel_platform.auth.service_tokens import jwks_of

    return json.dumps(jwks_of(signing_key))


@pytest.fixture(scope="session")
def token_issuer(signing_key):  # type: ignore[no-untyped-def]
    from spiegel_platform.auth.service_tokens import ServiceTokenIssuer

    return ServiceTokenIssuer(signing_key)


@pytest.fixture
def unique() -> str:
    """A short unique suffix, so tests share servers without sharing data."""
    return uuid.uuid4().hex[:10]


class Processes:
    """Starts service process types against the test stack; stops them at the end."""

    def __init__(self, stack: Stack, jwks: str, logdir: Path) -> None:
        self.stack = stack
        self.jwks = jwks
        self.logdir = logdir
        self.started: list[ServiceProcess] = []

    def env(self, service: str, database_prefix: str, **extra: str) -> dict[str, str]:
        return service_env(
            service=service,
            kafka=self.stack.kafka_bootstrap,
            mongodb=self.stack.mongodb_url,
            jwks=self.jwks,
            database_prefix=database_prefix,
            environment="test",
            extra=extra,
        )

    def start(
        self,
        service: str,
        process: str,
        database_prefix: str,
        wait: bool = True,
        module: str | None = None,
        **extra: str,
    ) -> ServiceProcess:
        env = self.env(service, database_prefix, **extra)
        proc = new_process(service, process, env, self.logdir, module=module)
        self.started.append(proc)
        return proc.start(wait=wait)

    def stop_all(self) -> None:
        for proc in reversed(self.started):
            proc.stop()


@pytest.fixture
def processes(stack: Stack, jwks_json: str, tmp_path: Path) -> Iterator[Processes]:
    running = Processes(stack, jwks_json, tmp_path / "logs")
    try:
        yield running
    finally:
        running.stop_all()
