"""Fixtures: a whole Spiegel for the pages (every process type of survey, invitation and aggregation,
the web service, the gateway's api and relay) and a real SMTP server (the mail catcher)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from spiegel_dev.pytest_plugin import shared_deployment, stop_after_last_use, stop_now
from spiegel_gateway.service_tokens import key_from_pem
from spiegel_platform.auth.service_tokens import SigningKey
from web_helpers import WebDeployment, start_web_deployment

# The deployment is shared by every test that needs it (session scope; with xdist they all run in
# one worker), and stopped right after the last of those tests: the rest of a `make test` run
# should not share the machine with a dozen idle service processes.
shared_deployment("web")


@pytest.fixture(scope="session")
def web_signing_key(tmp_path_factory: pytest.TempPathFactory) -> tuple[SigningKey, Path]:
    """The key the gateway of this deployment signs service tokens with (services get its JWKS)."""
    key = key_from_pem(SigningKey.generate().private_pem)
    path = tmp_path_factory.mktemp("web-keys") / "signing-key.pem"
    path.write_bytes(key.private_pem)
    return key, path


@pytest.fixture(scope="session")
def web(
    stack: Any, web_signing_key: tuple[SigningKey, Path], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[WebDeployment]:
    """Every service's processes behind the gateway, and a real SMTP server: for the browser tests."""
    from spiegel_dev.mailcatcher import MailCatcher
    from spiegel_dev.pytest_plugin import Processes

    key, key_file = web_signing_key
    jwks = json.dumps({"keys": [key.public_jwk()]})
    processes = Processes(stack, jwks, tmp_path_factory.mktemp("web-logs"))
    catcher = MailCatcher().start()

    def stop() -> None:
        processes.stop_all()
        catcher.stop()

    stop_after_last_use("web", stop)
    try:
        yield start_web_deployment(processes, key_file, jwks, f"web_{uuid.uuid4().hex[:8]}", catcher)
    finally:
        stop_now("web")
