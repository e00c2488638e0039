"""Fixtures: a real deployment (gateway, web, survey, aggregation, invitation processes), a real SMTP
server. (The pages' whole-Spiegel deployment is services/web/tests/conftest.py.)"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from gateway_helpers import Deployment, Inbox, Processes, start_deployment
from spiegel_dev.processes import free_port
from spiegel_dev.pytest_plugin import shared_deployment, stop_after_last_use, stop_now
from spiegel_gateway.service_tokens import key_from_pem
from spiegel_platform.auth.service_tokens import SigningKey

# The deployment is shared by every test that needs one (session scope; with xdist they all run in
# one worker), and stopped right after the last of those tests: the rest of a `make test` run
# should not share the machine with a dozen idle service processes.
shared_deployment("deployment")


@pytest.fixture(scope="session")
def smtp() -> Iterator[tuple[Inbox, int]]:
    from aiosmtpd.controller import Controller

    # aiosmtpd logs every connection at INFO from its own thread, which outlives a test's captured
    # stderr ("Logging error ... I/O operation on closed file"); its warnings are enough here.
    logging.getLogger("mail.log").setLevel(logging.WARNING)
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


@pytest.fixture(scope="session")
def inbox(smtp: tuple[Inbox, int]) -> Inbox:
    return smtp[0]


@pytest.fixture(scope="session")
def gateway_key(tmp_path_factory: pytest.TempPathFactory) -> tuple[SigningKey, Path]:
    key = key_from_pem(SigningKey.generate().private_pem)
    path = tmp_path_factory.mktemp("keys") / "signing-key.pem"
    path.write_bytes(key.private_pem)
    return key, path


@pytest.fixture(scope="session")
def deployment(
    stack: Any,
    gateway_key: tuple[SigningKey, Path],
    smtp: tuple[Inbox, int],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Deployment]:
    key, key_file = gateway_key
    processes = Processes(stack, json.dumps({"keys": [key.public_jwk()]}), tmp_path_factory.mktemp("logs"))
    stop_after_last_use("deployment", processes.stop_all)
    try:
        yield start_deployment(processes, key, key_file, smtp[1], f"gw_{uuid.uuid4().hex[:8]}")
    finally:
        stop_now("deployment")
