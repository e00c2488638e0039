"""Envelope encryption of POPs (AES-256-GCM, `cryptography`): pure, no I/O.

- Each owner has one *data key* (32 random bytes). It encrypts the content of every POP of
  that owner; it is stored only *wrapped* (encrypted) by a key encryption key (KEK).
- The KEKs come from the service's settings (a keyring: several, each with an id, newest
  first). The newest wraps; every KEK listed unwraps, so a new KEK can be put in front, the
  data keys re-wrapped (rotation.py), and the old KEK removed afterwards. The plan documents
  themselves are never re-encrypted by a rotation.
- Deleting an owner's wrapped data key makes every POP of that owner unreadable (crypto-erasure),
  wherever a copy of the POP documents lives.
- The associated data binds each ciphertext to where it belongs: a wrapped data key to its
  tenant, owner and data key id; a POP's content to its tenant, owner and plan id. A ciphertext
  copied to another owner's or another plan's document does not decrypt.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

NONCE_BYTES = 12  # AES-GCM's standard nonce; random per encryption (a key seals far fewer than 2^32 texts)
KEY_BYTES = 32
_KEK_ID = re.compile(r"^[A-Za-z0-9._-]{1,40}$")


class Unreadable(Exception):
    """A ciphertext that does not open: an unknown KEK, a wrong key, a tampered or moved text."""


@dataclass(frozen=True)
class Wrapped:
    """A data key as stored: which KEK wrapped it, and the nonce + ciphertext."""

    kek_id: str
    blob: bytes


def new_data_key() -> bytes:
    return AESGCM.generate_key(bit_length=256)


def seal(key: bytes, plaintext: bytes, associated: bytes) -> bytes:
    nonce = os.urandom(NONCE_BYTES)
    return nonce + AESGCM(key).encrypt(nonce, plaintext, associated)


def open_sealed(key: bytes, blob: bytes, associated: bytes) -> bytes:
    if len(blob) < NONCE_BYTES + 16:
        raise Unreadable("too short")
    try:
        return AESGCM(key).decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:], associated)
    except InvalidTag:
        raise Unreadable("the ciphertext does not open with this key") from None


class Keyring:
    """The KEKs from the settings: `id:urlsafe-base64(32 bytes)`, comma-separated, newest first."""

    def __init__(self, keys: list[tuple[str, bytes]]) -> None:
        if not keys:
            raise ValueError("needs at least one key encryption key")
        self._keys = dict(keys)
        self.newest = keys[0][0]
        self.ids = tuple(kek_id for kek_id, _ in keys)

    @classmethod
    def parse(cls, text: str) -> Keyring:
        keys: list[tuple[str, bytes]] = []
        for position, item in enumerate(part.strip() for part in text.split(",")):
            if not item:
                continue
            kek_id, colon, encoded = item.partition(":")
            if not colon or not _KEK_ID.match(kek_id):
                raise ValueError(f"key {position + 1}: write it as id:key (id of letters, digits, . _ -)")
            try:
                key = base64.urlsafe_b64decode(encoded.strip().encode("ascii"))
            except (binascii.Error, ValueError, UnicodeEncodeError):
                raise ValueError(f"key {kek_id!r}: not base64") from None
            if len(key) != KEY_BYTES:
                raise ValueError(f"key {kek_id!r}: must be {KEY_BYTES} bytes, not {len(key)}")
            if any(kek_id == known for known, _ in keys):
                raise ValueError(f"key {kek_id!r} is listed twice")
            keys.append((kek_id, key))
        return cls(keys)

    @staticmethod
    def generate(kek_id: str) -> str:
        """A new keyring entry (`id:key`) for the settings."""
        return f"{kek_id}:{base64.urlsafe_b64encode(os.urandom(KEY_BYTES)).decode()}"

    def wrap(self, data_key: bytes, associated: bytes) -> Wrapped:
        return Wrapped(self.newest, seal(self._keys[self.newest], data_key, associated))

    def unwrap(self, wrapped: Wrapped, associated: bytes) -> bytes:
        kek = self._keys.get(wrapped.kek_id)
        if kek is None:
            raise Unreadable(f"key encryption key {wrapped.kek_id!r} is not in the keyring")
        return open_sealed(kek, wrapped.blob, associated)

    def needs_rewrap(self, wrapped: Wrapped) -> bool:
        return wrapped.kek_id != self.newest


def key_context(tenant_id: str, owner_id: str, data_key_id: str) -> bytes:
    return f"spiegel-pop-key\x00{tenant_id}\x00{owner_id}\x00{data_key_id}".encode()


def plan_context(tenant_id: str, owner_id: str, plan_id: str) -> bytes:
    return f"spiegel-pop\x00{tenant_id}\x00{owner_id}\x00{plan_id}".encode()
