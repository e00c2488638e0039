"""The invitation service's settings: SMTP, public links, the link-token key, schedules."""

from __future__ import annotations

import socket

from cryptography.fernet import Fernet
from pydantic import Field, field_validator, model_validator
from spiegel_platform.service import Runtime, ServiceSettings


class InvitationSettings(ServiceSettings):
    mongodb_database: str = Field("spiegel_invitation", pattern=r"^[A-Za-z0-9_]{1,60}$")

    # -- SMTP (aiosmtplib); a local mail catcher needs no login ----------------
    smtp_host: str = "127.0.0.1"
    smtp_port: int = Field(25, ge=1, le=65535)
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = False
    smtp_timeout_s: float = Field(30.0, gt=0, le=300)
    smtp_connections: int = Field(8, ge=1, le=64, description="parallel SMTP connections of the mailer")
    mail_from: str = Field("Spiegel <noreply@spiegel.example>", min_length=3)

    # -- links in e-mails ------------------------------------------------------
    public_base_url_template: str = Field(
        "https://{slug}.spiegel.example",
        description='base URL of a tenant\'s pages, e.g. "http://127.0.0.1:8100/t/{slug}" locally',
    )
    # Fernet keys (comma-separated, newest first) that encrypt the copy of each
    # link token kept for reminders and the signed-in to-do list. The raw token
    # is never stored; its SHA-256 is what events carry.
    link_token_keys: str = Field(
        ...,
        description="Fernet key(s), comma-separated; the first encrypts",
        # The form only (32 zero bytes): what the generated reference is built with.
        examples=["AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="],
    )

    # -- mailer ------------------------------------------------------------------
    mailer_worker_id: str = Field("", description="stable id of this sender (default: host + database)")
    mailer_journal_dir: str = Field("", description="folder for the sender's local journal")
    mailer_batch: int = Field(200, ge=1, le=2000)
    mailer_max_attempts: int = Field(6, ge=1, le=20)
    mailer_retry_base_s: float = Field(30.0, gt=0, description="first retry delay; doubles per attempt")
    mailer_lease_s: float = Field(180.0, ge=5, description="a claim older than this may be taken over")
    mailer_poll_s: float = Field(0.5, gt=0, le=60)
    mailer_suspended_hold_s: float = Field(
        300.0,
        gt=0,
        le=86400,
        description="a suspended hospital's mail is held this long before the mailer looks again "
        "(its reactivation releases it at once)",
    )

    # -- reminders -----------------------------------------------------------
    scheduler_interval_s: float = Field(60.0, gt=0, le=3600)

    @field_validator("public_base_url_template")
    @classmethod
    def _has_slug(cls, value: str) -> str:
        if "{slug}" not in value or not value.startswith(("http://", "https://")):
            raise ValueError('must be an http(s) URL containing "{slug}"')
        return value.rstrip("/")

    @field_validator("link_token_keys")
    @classmethod
    def _fernet_keys(cls, value: str) -> str:
        keys = [k.strip() for k in value.split(",") if k.strip()]
        if not keys:
            raise ValueError("needs at least one Fernet key")
        for key in keys:
            try:
                Fernet(key)
            except (ValueError, TypeError):
                raise ValueError("is not a comma-separated list of Fernet keys") from None
        return ",".join(keys)

    @model_validator(mode="after")
    def _defaults(self) -> InvitationSettings:
        if not self.mailer_worker_id:
            object.__setattr__(self, "mailer_worker_id", f"{socket.gethostname()}-{self.mongodb_database}")
        if not self.mailer_journal_dir:
            import tempfile
            from pathlib import Path

            folder = Path(tempfile.gettempdir()) / "spiegel-invitation-mailer" / self.mongodb_database
            object.__setattr__(self, "mailer_journal_dir", str(folder))
        return self


# The runtime of this service: `runtime.settings` is a InvitationSettings (typed, no casts).
InvitationRuntime = Runtime[InvitationSettings]
