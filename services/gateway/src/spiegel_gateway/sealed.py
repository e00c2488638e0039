"""Secrets the gateway stores (a hospital's OIDC client secret) sealed with SESSION_SECRET.

Fernet (AES-128-CBC + HMAC-SHA256, from `cryptography`) with a key derived by
HKDF from SESSION_SECRET; HMAC keys for other purposes derive from it too. In
development and test without SESSION_SECRET the secret is derived from the
signing key (SERVICE_TOKEN_SIGNING_KEY_FILE, the development key of `make run`),
so it is stable across restarts of `make run`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from spiegel_gateway.settings import GatewaySettings


class SealError(ValueError):
    """A sealed value that cannot be opened (wrong SESSION_SECRET, or tampered)."""


def master_secret(settings: GatewaySettings) -> bytes:
    if settings.session_secret:
        return settings.session_secret.encode()
    if settings.is_production:
        raise ValueError("SESSION_SECRET is required in production")
    if not settings.service_token_signing_key_file:
        raise ValueError("SESSION_SECRET is not set, nor SERVICE_TOKEN_SIGNING_KEY_FILE to derive one from")
    pem = Path(settings.service_token_signing_key_file).read_bytes()
    return hashlib.sha256(b"spiegel-dev-session-secret" + pem).digest()


def _derive(secret: bytes, purpose: str) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose.encode()).derive(secret)


class Sealer:
    def __init__(self, secret: bytes) -> None:
        self._fernet = Fernet(base64.urlsafe_b64encode(_derive(secret, "spiegel-gateway/seal")))
        self._mac_key = _derive(secret, "spiegel-gateway/mac")

    def seal(self, plain: str) -> str:
        return self._fernet.encrypt(plain.encode()).decode()

    def open(self, sealed: str) -> str:
        try:
            return self._fernet.decrypt(sealed.encode()).decode()
        except InvalidToken:
            raise SealError("cannot open a sealed secret: was SESSION_SECRET changed?") from None

    def mac(self, value: str) -> str:
        return hmac.new(self._mac_key, value.encode(), hashlib.sha256).hexdigest()


def resolve_secret_ref(ref: str) -> str:
    """env:VARIABLE or file:/path (a mounted Secret) -> the secret."""
    kind, _, where = ref.partition(":")
    if kind == "env":
        value = os.environ.get(where)
        if not value:
            raise SealError(f"the environment variable {where} is not set")
        return value
    if kind == "file":
        return Path(where).read_text().strip()
    raise SealError(f"unknown secret reference {ref!r}")
