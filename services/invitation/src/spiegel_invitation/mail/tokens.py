"""Link tokens: issued once per assignment, stored only as a hash and a sealed (encrypted) copy.

Why a sealed copy: reminders and the signed-in to-do list must show the same
personal link as the invitation. Re-issuing a token would invalidate the link
already in the respondent's mailbox; keeping the raw token would put a
credential in the database. Fernet (AES-128-CBC + HMAC-SHA256) with keys from
the settings (LINK_TOKEN_KEYS, newest first; MultiFernet decrypts with any of
them, so keys rotate) keeps the database alone useless to an attacker.
"""

from __future__ import annotations

from dataclasses import dataclass

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from spiegel_platform.links import hash_link_token, new_link_token


@dataclass(frozen=True)
class IssuedToken:
    token: str
    token_hash: str
    sealed: str


class LinkTokens:
    def __init__(self, keys: str) -> None:
        self._fernet = MultiFernet([Fernet(k.strip()) for k in keys.split(",") if k.strip()])

    def issue(self) -> IssuedToken:
        token = new_link_token()
        return IssuedToken(token, hash_link_token(token), self.seal(token))

    def seal(self, token: str) -> str:
        return self._fernet.encrypt(token.encode()).decode()

    def open(self, sealed: str, expected_hash: str | None = None) -> str:
        try:
            token = self._fernet.decrypt(sealed.encode()).decode()
        except InvalidToken:
            raise ValueError("the sealed link token cannot be opened with the configured keys") from None
        if expected_hash is not None and hash_link_token(token) != expected_hash:
            raise ValueError("the sealed link token does not match its hash")
        return token


def base_url(template: str, slug: str) -> str:
    return template.replace("{slug}", slug).rstrip("/")


def questionnaire_path(token: str) -> str:
    return f"/e/{token}"


def checkin_path(token: str) -> str:
    """The follow-up mail's personal check-in link (the gateway's `/a/{token}`)."""
    return f"/a/{token}"


def optout_path(token: str) -> str:
    return f"/e/{token}/afmelden"
