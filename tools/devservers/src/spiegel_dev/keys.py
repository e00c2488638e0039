"""Development signing keys for service tokens (kid "dev-..."; refused in production)."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

from spiegel_platform.auth.service_tokens import SigningKey, jwks_of
from spiegel_platform.settings import DEV_KEY_PREFIX

from spiegel_dev.paths import cache_dir


def dev_key() -> SigningKey:
    folder = cache_dir() / "dev-keys"
    folder.mkdir(parents=True, exist_ok=True)
    pem, kid_file = folder / "signing.pem", folder / "kid"
    if not pem.exists():
        key = SigningKey.generate(kid=f"{DEV_KEY_PREFIX}{uuid.uuid4().hex[:12]}")
        pem.write_bytes(key.private_pem)
        pem.chmod(0o600)
        kid_file.write_text(key.kid)
        (folder / "jwks.json").write_text(json.dumps(jwks_of(key)))
    return SigningKey(kid_file.read_text().strip(), pem.read_bytes())


def dev_signing_env() -> dict[str, str]:
    """The gateway's settings for signing with the development key (services trust `dev_jwks_path`).

    The services themselves never import this package: the key reaches the gateway
    through its settings, which refuse a development kid in production.
    """
    key = dev_key()
    return {
        "SERVICE_TOKEN_SIGNING_KEY_FILE": str(cache_dir() / "dev-keys" / "signing.pem"),
        "SERVICE_TOKEN_DEV_KEY_ID": key.kid,
    }


def dev_jwks_path() -> Path:
    dev_key()
    return cache_dir() / "dev-keys" / "jwks.json"


def dev_link_token_key() -> str:
    """A development Fernet key for the invitation service's sealed link tokens (kept in the cache)."""
    from cryptography.fernet import Fernet

    path = cache_dir() / "dev-keys" / "link-token.key"
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        path.write_bytes(Fernet.generate_key())
        path.chmod(0o600)
    return path.read_text().strip()


def dev_pop_keyring() -> str:
    """A development keyring (one KEK, id `dev-1`) for the action-plan service's POPs (kept in the cache)."""
    import base64
    import os

    path = cache_dir() / "dev-keys" / "pop-kek.key"
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        path.write_text(f"dev-1:{base64.urlsafe_b64encode(os.urandom(32)).decode()}")
        path.chmod(0o600)
    return path.read_text().strip()
