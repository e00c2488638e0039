"""Configuration errors: one clear line naming the variable, non-zero exit."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from spiegel_platform.auth.service_tokens import SigningKey, jwks_of
from spiegel_platform.service import ServiceSettings
from spiegel_platform.settings import load_settings

GOOD = {
    "MONGODB_URL": "mongodb://127.0.0.1:1/",
    "MONGODB_DATABASE": "x",
    "KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:9092",
    "SERVICE_TOKEN_JWKS": json.dumps(jwks_of(SigningKey.generate("prod-1"))),
}


@pytest.fixture
def environment(monkeypatch):  # type: ignore[no-untyped-def]
    for name in [*GOOD, "SPIEGEL_ENV", "HTTP_PORT", "KAFKA_TOPIC_PARTITIONS"]:
        monkeypatch.delenv(name, raising=False)
    for name, value in GOOD.items():
        monkeypatch.setenv(name, value)
    return monkeypatch


def test_valid_settings_load(environment):  # type: ignore[no-untyped-def]
    settings = load_settings(ServiceSettings, "spiegel-test")
    assert settings.kafka_bootstrap_servers == "127.0.0.1:9092"
    assert settings.is_production


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("MONGODB_URL", None, "MONGODB_URL is not set"),
        ("KAFKA_BOOTSTRAP_SERVERS", None, "KAFKA_BOOTSTRAP_SERVERS is not set"),
        ("MONGODB_URL", "postgres://x", "MONGODB_URL: Value error, must start with mongodb://"),
        (
            "KAFKA_BOOTSTRAP_SERVERS",
            "localhost",
            "KAFKA_BOOTSTRAP_SERVERS: Value error, 'localhost' is not host:port",
        ),
        ("KAFKA_TOPIC_PARTITIONS", "many", "KAFKA_TOPIC_PARTITIONS: Input should be a valid integer"),
        ("HTTP_PORT", "70000", "HTTP_PORT: Input should be less than or equal to 65535"),
        ("SPIEGEL_ENV", "staging", "SPIEGEL_ENV: Input should be 'development', 'test' or 'production'"),
    ],
)
def test_bad_variable_named_in_one_line(environment, capsys, name, value, expected):  # type: ignore[no-untyped-def]
    if value is None:
        environment.delenv(name)
    else:
        environment.setenv(name, value)
    with pytest.raises(SystemExit) as exit_info:
        load_settings(ServiceSettings, "spiegel-test")
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("spiegel-test: configuration error: ")
    assert expected in err


def test_development_keys_refused_in_production(environment, capsys):  # type: ignore[no-untyped-def]
    environment.setenv("SERVICE_TOKEN_JWKS", json.dumps(jwks_of(SigningKey.generate("dev-abc"))))
    with pytest.raises(SystemExit):
        load_settings(ServiceSettings, "spiegel-test")
    assert "development key" in capsys.readouterr().err
    environment.setenv("SPIEGEL_ENV", "development")
    assert load_settings(ServiceSettings, "spiegel-test").spiegel_env == "development"


@pytest.mark.parametrize("process", ["api", "relay", "consumer"])
def test_service_process_with_bad_config_exits_clearly(process):  # type: ignore[no-untyped-def]
    env = {"PATH": "/usr/bin:/bin", "KAFKA_BOOTSTRAP_SERVERS": "nonsense"}
    result = subprocess.run(
        [sys.executable, "-m", "spiegel_survey", process], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "configuration error" in lines[0]
    assert "MONGODB_URL is not set" in lines[0]
    assert "KAFKA_BOOTSTRAP_SERVERS" in lines[0]
    assert "SERVICE_TOKEN_JWKS is not set" in lines[0]


def test_unknown_process_type_is_refused():  # type: ignore[no-untyped-def]
    result = subprocess.run(
        [sys.executable, "-m", "spiegel_survey", "dance"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2
    assert "usage" in result.stderr


def test_a_topic_namespace_applies_to_every_topic_of_a_deployment() -> None:
    from spiegel_platform.events.consumer import EventConsumer
    from spiegel_platform.kafka import topic_name
    from spiegel_platform.settings import KafkaSettings

    plain = KafkaSettings(kafka_bootstrap_servers="127.0.0.1:9092")
    spaced = KafkaSettings(kafka_bootstrap_servers="127.0.0.1:9092", kafka_topic_prefix="test-1.")
    assert topic_name(plain, "spiegel.survey.rounds.v1") == "spiegel.survey.rounds.v1"
    assert topic_name(spaced, "spiegel.survey.rounds.v1") == "test-1.spiegel.survey.rounds.v1"
    consumer = EventConsumer(spaced, group_id="g", handlers={}, topics=["spiegel.survey.rounds.v1"])
    assert consumer.topics == ["test-1.spiegel.survey.rounds.v1"]
    with pytest.raises(ValueError):
        KafkaSettings(kafka_bootstrap_servers="127.0.0.1:9092", kafka_topic_prefix="a b")
