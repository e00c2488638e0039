"""Settings from environment variables, one pydantic-settings class per adapter.

A service combines the classes it needs. `load_settings` turns a missing or
invalid variable into one clear line on stderr naming it, and exits non-zero,
so a malformed configuration never starts a half-working service.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Literal, TypeVar

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

Environment = Literal["development", "test", "production"]

DEV_KEY_PREFIX = "dev-"


class CommonSettings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", frozen=True)

    spiegel_env: Environment = Field(
        "production", description="development and test allow generated development keys"
    )
    log_format: Literal["json", "console"] = "json"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    http_host: str = "127.0.0.1"
    http_port: int = Field(8000, ge=0, le=65535)

    @property
    def is_production(self) -> bool:
        return self.spiegel_env == "production"


class MongoSettings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", frozen=True)

    mongodb_url: str = Field(..., description="mongodb:// URL of a replica set (or FerretDB locally)")
    mongodb_database: str = Field(..., pattern=r"^[A-Za-z0-9_]{1,60}$")
    mongodb_timeout_ms: int = Field(5000, ge=100)

    @field_validator("mongodb_url")
    @classmethod
    def _mongodb_scheme(cls, value: str) -> str:
        if not value.startswith(("mongodb://", "mongodb+srv://")):
            raise ValueError("must start with mongodb:// or mongodb+srv://")
        return value


class KafkaSettings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", frozen=True)

    kafka_bootstrap_servers: str = Field(..., description="host:port[,host:port...]")
    kafka_topic_partitions: int = Field(6, ge=1, le=1000)
    kafka_topic_prefix: str = Field(
        "",
        pattern=r"^[A-Za-z0-9._-]{0,100}$",
        description="a namespace put before every topic name (several deployments on one cluster, tests)",
    )
    kafka_replication_factor: int = Field(1, ge=1, le=10)
    kafka_consumer_max_retries: int = Field(5, ge=0, le=100)
    kafka_request_timeout_ms: int = Field(30000, ge=1000)
    backlog_metrics_interval_s: float = Field(
        15.0,
        gt=0,
        le=3600,
        description="how often the api process reads its consumer groups' lag, its dead letters and its "
        "outbox backlog from the broker and the database (/metrics: spiegel_backlog_*)",
    )

    @field_validator("kafka_bootstrap_servers")
    @classmethod
    def _host_ports(cls, value: str) -> str:
        for part in value.split(","):
            host, _, port = part.strip().rpartition(":")
            if not host or not port.isdigit():
                raise ValueError(f"{part!r} is not host:port")
        return value


class ServiceTokenSettings(BaseSettings):
    """Verification of the short-lived tokens the gateway signs for each call."""

    model_config = SettingsConfigDict(extra="ignore", frozen=True)

    spiegel_env: Environment = "production"
    service_token_jwks: str = Field(
        ..., description="JWKS with the gateway's public keys: JSON text, a file path or an https URL"
    )
    service_token_issuer: str = "spiegel-gateway"  # noqa: S105 - an issuer name, not a secret
    service_token_leeway_s: int = Field(5, ge=0, le=60)

    @model_validator(mode="after")
    def _no_development_keys_in_production(self) -> ServiceTokenSettings:
        if self.spiegel_env == "production" and not self.service_token_jwks.startswith("http"):
            text = self.service_token_jwks
            if not text.lstrip().startswith("{") and Path(text).exists():
                text = Path(text).read_text()
            try:
                keys = json.loads(text).get("keys", [])
            except (ValueError, AttributeError):
                return self
            if any(str(k.get("kid", "")).startswith(DEV_KEY_PREFIX) for k in keys):
                raise ValueError("contains a development key (kid dev-...) in production")
        return self


S = TypeVar("S", bound=BaseSettings)


def describe_errors(error: ValidationError) -> str:
    parts = []
    for problem in error.errors():
        name = str(problem["loc"][0]).upper() if problem["loc"] else "settings"
        if problem["type"] == "missing":
            parts.append(f"{name} is not set")
        else:
            value = problem.get("input")
            shown = (
                f" (got {value!r})" if isinstance(value, str | int) and name != "SERVICE_TOKEN_JWKS" else ""
            )
            parts.append(f"{name}: {problem['msg']}{shown}")
    return "; ".join(parts)


def load_settings(cls: type[S], program: str) -> S:
    """Read settings or exit with status 2 and one line naming what is wrong."""
    try:
        return cls()
    except ValidationError as error:
        print(f"{program}: configuration error: {describe_errors(error)}", file=sys.stderr)
        raise SystemExit(2) from None
