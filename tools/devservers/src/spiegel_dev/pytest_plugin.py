"""Fixtures for tests against the real servers.

`stack` starts a local Apache Kafka and FerretDB once per test session, on free
loopback ports (so a `make run` beside it does not clash), unless
KAFKA_BOOTSTRAP_SERVERS / MONGODB_URL point at external ones.
"""

from __future__ import annotations

import json
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from spiegel_dev.browser import browser  # noqa: F401 - a fixture for the browser tests
from spiegel_dev.processes import free_port
from spiegel_dev.servers import Stack, new_instance_dir, start_stack
from spiegel_dev.services import ServiceProcess, new_process, service_env


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
