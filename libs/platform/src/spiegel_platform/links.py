"""Personal link tokens (invitation links): at least 128 random bits, stored only hashed."""

from __future__ import annotations

import hashlib
import hmac
import secrets

TOKEN_BYTES = 24  # 192 bits


def new_link_token() -> str:
    """A URL-safe random token for a personal link."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def hash_link_token(token: str) -> str:
    """Lowercase hex SHA-256: what services store and what events carry."""
    return hashlib.sha256(token.encode()).hexdigest()


def looks_like_link_token(token: str) -> bool:
    return 16 <= len(token) <= 128 and all(c.isalnum() or c in "-_" for c in token)


def same_hash(a: str, b: str) -> bool:
    return hmac.compare_digest(a, b)
