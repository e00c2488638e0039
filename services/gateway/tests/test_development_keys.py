"""Development keys reach the gateway through its settings (`make run` and the tests set them); the
gateway imports no development code, and production refuses a development key."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from pydantic import ValidationError
from spiegel_gateway.sealed import master_secret
from spiegel_gateway.service_tokens import key_from_pem, load_signing_key
from spiegel_gateway.settings import GatewaySettings
from spiegel_platform.auth.service_tokens import SigningKey

BASE = {"mongodb_url": "mongodb://x", "kafka_bootstrap_servers": "x:1"}


@pytest.fixture
def pem_file(tmp_path: Path) -> Path:
    path = tmp_path / "signing.pem"
    path.write_bytes(SigningKey.generate().private_pem)
    return path


def test_a_development_key_signs_with_its_dev_kid(pem_file: Path):
    settings = GatewaySettings(
        **BASE,
        spiegel_env="development",
        service_token_signing_key_file=str(pem_file),
        service_token_dev_key_id="dev-0123456789ab",
    )
    key = load_signing_key(settings)
    assert key.kid == "dev-0123456789ab"
    assert key.private_pem == pem_file.read_bytes()


def test_without_a_dev_kid_the_key_is_known_by_its_thumbprint(pem_file: Path):
    settings = GatewaySettings(**BASE, spiegel_env="test", service_token_signing_key_file=str(pem_file))
    assert load_signing_key(settings).kid == key_from_pem(pem_file.read_bytes()).kid


def test_without_a_signing_key_the_gateway_does_not_make_one_up():
    settings = GatewaySettings(**BASE, spiegel_env="development")
    with pytest.raises(ValueError, match="SERVICE_TOKEN_SIGNING_KEY_FILE"):
        load_signing_key(settings)
    with pytest.raises(ValueError, match="SESSION_SECRET"):
        master_secret(settings)


def test_the_development_session_secret_is_derived_from_the_signing_key(pem_file: Path):
    settings = GatewaySettings(
        **BASE, spiegel_env="development", service_token_signing_key_file=str(pem_file)
    )
    expected = hashlib.sha256(b"spiegel-dev-session-secret" + pem_file.read_bytes()).digest()
    assert master_secret(settings) == expected


def test_production_refuses_a_development_key_id():
    production = {
        **BASE,
        "spiegel_env": "production",
        "session_secret": "k3" * 20,
        "service_token_signing_key_file": "/k.pem",
        "smtp_host": "smtp",
        "gateway_domain": "spiegel.example",
    }
    with pytest.raises(ValidationError, match="SERVICE_TOKEN_DEV_KEY_ID"):
        GatewaySettings(**production, service_token_dev_key_id="dev-0123456789ab")
    with pytest.raises(ValidationError, match="SERVICE_TOKEN_DEV_KEY_ID"):
        GatewaySettings(**BASE, spiegel_env="development", service_token_dev_key_id="prod-key")
