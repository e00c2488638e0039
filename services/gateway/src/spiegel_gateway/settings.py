"""The gateway's settings (environment variables)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator
from spiegel_platform.service import Runtime, ServiceSettings
from spiegel_platform.settings import DEV_KEY_PREFIX

# The services behind the gateway (generated from their definitions: `make generate`).
from spiegel_gateway.routing.table import SERVICES, ServiceAddresses

__all__ = ["SERVICES", "GatewaySettings"]

PLACEHOLDER_MARKERS = ("change-me", "changeme", "development", "example", "placeholder")


class GatewaySettings(ServiceSettings, ServiceAddresses):
    mongodb_database: str = Field("spiegel_gateway", pattern=r"^[A-Za-z0-9_]{1,60}$")
    # The gateway signs service tokens; it verifies none, so it needs no JWKS.
    service_token_jwks: str = '{"keys": []}'  # noqa: S105 - no keys, not a secret

    # -- service tokens ----------------------------------------------------
    service_token_signing_key_file: str | None = Field(
        None, description="PEM of the ES256 (P-256) private key; its kid is the RFC 7638 thumbprint"
    )
    service_token_dev_key_id: str | None = Field(
        None,
        description="development and test only (`make run`, the tests): the kid (dev-...) of the development"
        " key in SERVICE_TOKEN_SIGNING_KEY_FILE, instead of its thumbprint; refused in production",
    )
    service_token_previous_keys: str = Field(
        "",
        description="public JWKs (a JSON list or a JWKS) still published during a key rotation",
    )
    service_token_lifetime_s: int = Field(60, ge=10, le=600)

    # -- the services behind the gateway: <service>_url in ServiceAddresses ---
    # The web pages are web_url (a service of their own; not under /api: the gateway passes it every
    # request no route of its own takes, with a page token). Unset: no pages but the gateway's own.
    upstream_connect_timeout_s: float = Field(2.0, gt=0, le=60)
    upstream_timeout_s: float = Field(30.0, gt=0, le=300)
    upstream_max_connections: int = Field(200, ge=1, le=10000)

    # -- tenants and public addresses ----------------------------------------
    gateway_domain: str = Field(
        "localhost", description="tenants are served at <slug>.<domain>; the bare domain is the platform"
    )
    public_scheme: Literal["https", "http"] = "https"
    public_base_url: str | None = Field(
        None,
        description="local development: links in e-mails use <public_base_url>/t/<slug>/... instead of hosts",
    )

    # -- the platform's own identity provider (operators; the bare domain) ---
    platform_oidc_issuer: str | None = Field(
        None,
        description="operators may sign in with this OpenID Connect provider (an existing operator account,"
        " matched by verified e-mail address); unset: password only",
    )
    platform_oidc_client_id: str | None = Field(None, max_length=200)
    platform_oidc_client_secret: str | None = Field(None, description="or PLATFORM_OIDC_CLIENT_SECRET_FILE")
    platform_oidc_client_secret_file: str | None = Field(
        None, description="a file holding the client secret (a mounted Secret)"
    )
    platform_oidc_scopes: str = Field(
        "openid,email,profile", description="comma-separated; must include openid"
    )

    # -- sessions, cookies, secrets -----------------------------------------
    session_secret: str | None = Field(
        None, description="at least 32 characters; encrypts stored client secrets and signs flow cookies"
    )
    session_cookie_secure: bool | None = Field(
        None, description="Secure cookies; default: on in production, off in development and test"
    )
    session_lifetime_h: float = Field(12.0, gt=0, le=24 * 30)
    session_cache_seconds: float = Field(
        2.0, ge=0, le=60, description="how long a replica trusts a session it read (revocation elsewhere)"
    )
    respondent_session_lifetime_h: float = Field(8.0, gt=0, le=24 * 7)
    api_token_max_days: int = Field(365, ge=1, le=3650)
    trusted_proxies: str = Field(
        "", description="comma-separated addresses or networks whose X-Forwarded-For/-Proto are believed"
    )
    cors_allowed_origins: str = Field("", description="comma-separated origins; empty: CORS closed")
    max_request_bytes: int = Field(1_048_576, ge=1024, le=100 * 1_048_576)

    # -- mail ---------------------------------------------------------------
    smtp_host: str | None = None
    smtp_port: int = Field(587, ge=1, le=65535)
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_tls: Literal["starttls", "tls", "none"] = "starttls"
    smtp_timeout_s: float = Field(10.0, gt=0, le=120)
    mail_from: str = "Spiegel <no-reply@spiegel.localhost>"

    # -- rate limits (per gateway replica) -----------------------------------
    rate_limit_signin_per_ip: int = Field(20, ge=1, description="sign-in attempts per IP per 5 minutes")
    rate_limit_signin_per_account: int = Field(
        10, ge=1, description="sign-in attempts per account per 15 minutes"
    )
    rate_limit_reset_per_ip: int = Field(10, ge=1, description="password reset requests per IP per hour")
    rate_limit_link_per_ip: int = Field(60, ge=1, description="invitation-link requests per IP per minute")
    rate_limit_link_failures_per_ip: int = Field(
        20, ge=1, description="unknown invitation links per IP per hour"
    )
    rate_limit_link_per_token: int = Field(30, ge=1, description="requests per invitation link per minute")
    rate_limit_confirm_per_account: int = Field(
        5, ge=1, description="wrong passwords when signing (a declaration) per person per 15 minutes"
    )
    rate_limit_verify_failures_per_ip: int = Field(
        20, ge=1, description="unknown declaration codes per IP per hour (the public verification page)"
    )

    @field_validator("gateway_domain")
    @classmethod
    def _domain(cls, value: str) -> str:
        value = value.strip().lower().rstrip(".")
        if not value or "/" in value or ":" in value:
            raise ValueError("a host name without scheme or port, e.g. spiegel.example")
        return value

    @field_validator("platform_oidc_issuer")
    @classmethod
    def _issuer(cls, value: str | None) -> str | None:
        return value.strip().rstrip("/") if value else None

    @model_validator(mode="after")
    def _platform_identity_provider(self) -> GatewaySettings:
        if self.platform_oidc_issuer is None and self.platform_oidc_client_id is None:
            return self
        issuer = self.platform_oidc_issuer or ""
        if not issuer.startswith(("https://", "http://")) or not self.platform_oidc_client_id:
            raise ValueError("PLATFORM_OIDC_ISSUER (an http(s) URL) and PLATFORM_OIDC_CLIENT_ID go together")
        if self.is_production and not issuer.startswith("https://"):
            raise ValueError("PLATFORM_OIDC_ISSUER must be https in production")
        if bool(self.platform_oidc_client_secret) == bool(self.platform_oidc_client_secret_file):
            raise ValueError("one of PLATFORM_OIDC_CLIENT_SECRET and PLATFORM_OIDC_CLIENT_SECRET_FILE")
        if "openid" not in self.split(self.platform_oidc_scopes):
            raise ValueError("PLATFORM_OIDC_SCOPES must include openid")
        return self

    def platform_identity_provider(self) -> dict[str, Any] | None:
        """The platform's provider, shaped as a hospital's (`Tenant.identity_provider`); None: unset."""
        if not self.platform_oidc_issuer or not self.platform_oidc_client_id:
            return None
        return {
            "issuer": self.platform_oidc_issuer,
            "client_id": self.platform_oidc_client_id,
            "scopes": self.split(self.platform_oidc_scopes),
        }

    def platform_client_secret(self) -> str | None:
        if self.platform_oidc_client_secret_file:
            return Path(self.platform_oidc_client_secret_file).read_text().strip()
        return self.platform_oidc_client_secret

    @model_validator(mode="after")
    def _production_secrets(self) -> GatewaySettings:
        if self.is_production:
            secret = self.session_secret or ""
            if len(secret) < 32 or any(m in secret.lower() for m in PLACEHOLDER_MARKERS):
                raise ValueError("SESSION_SECRET must be a random secret of at least 32 characters")
            if not self.service_token_signing_key_file:
                raise ValueError("SERVICE_TOKEN_SIGNING_KEY_FILE is required in production")
            if self.service_token_dev_key_id is not None:
                raise ValueError("SERVICE_TOKEN_DEV_KEY_ID: a development key is refused in production")
            if not self.smtp_host:
                raise ValueError("SMTP_HOST is required in production (verification and reset e-mails)")
            if self.gateway_domain == "localhost":
                raise ValueError("GATEWAY_DOMAIN is required in production (hospitals are <slug>.<domain>)")
        elif self.session_secret is not None and len(self.session_secret) < 32:
            raise ValueError("SESSION_SECRET must be at least 32 characters")
        if self.service_token_dev_key_id is not None and not self.service_token_dev_key_id.startswith(
            DEV_KEY_PREFIX
        ):
            raise ValueError(f"SERVICE_TOKEN_DEV_KEY_ID must start with {DEV_KEY_PREFIX!r}")
        return self

    @property
    def cookies_secure(self) -> bool:
        return self.is_production if self.session_cookie_secure is None else self.session_cookie_secure

    def service_url(self, service: str) -> str | None:
        field = "web_url" if service == "web" else SERVICES.get(service)
        value = getattr(self, field) if field else None
        return value.rstrip("/") if value else None

    @staticmethod
    def split(value: str) -> list[str]:
        return [part.strip() for part in value.split(",") if part.strip()]


# The runtime of this service: `runtime.settings` is a GatewaySettings (typed, no casts).
GatewayRuntime = Runtime[GatewaySettings]
