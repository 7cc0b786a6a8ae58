"""Personal data at rest: AES-256-GCM encryption with key rotation, and keyed-hash lookups.

Keys come from ``settings.data_keys`` (``kid:base64key,kid2:base64key``): the first key encrypts,
every listed key decrypts, so rotating means putting a new key first and re-encrypting in the
background (``zhushida identity rotate-keys``) before the old key is dropped.

A ciphertext is ``kid$base64(nonce || ciphertext+tag)``. The column name is bound in as associated
data, so a phone ciphertext pasted into the ID-number column fails to decrypt.

Lookups (``phone_hash``, ``id_number_hash``) use HMAC-SHA256 with a key derived from each data key.
Rows are hashed with the current key; queries match the hash under every listed key, so a row
written before a rotation is still found, and the rotation rewrites it under the new key.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from dataclasses import dataclass
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from core import errors
from core.settings import Settings, get_settings

DECRYPT_FAILED = errors.define(
    "identity.data_key_missing",
    500,
    "个人数据无法解密，请联系平台管理员",
    "Personal data cannot be decrypted (its key is not configured); contact the platform administrator",
)


@dataclass(frozen=True)
class _Key:
    kid: str
    aead: AESGCM
    hash_key: bytes


class Cipher:
    def __init__(self, raw_keys: str) -> None:
        keys: list[_Key] = []
        for part in raw_keys.split(","):
            kid, _, b64 = part.strip().partition(":")
            secret = base64.b64decode(b64)
            # The lookup key is derived, never the encryption key itself.
            hash_key = hmac.new(
                secret, b"zhushida/identity/lookup-hash/v1", hashlib.sha256
            ).digest()
            keys.append(_Key(kid, AESGCM(secret), hash_key))
        if not keys:
            raise ValueError("no data keys configured")
        self._keys = keys
        self._by_kid = {k.kid: k for k in keys}

    @property
    def current_kid(self) -> str:
        return self._keys[0].kid

    def encrypt(self, plaintext: str | None, *, column: str) -> str | None:
        if plaintext is None:
            return None
        key = self._keys[0]
        nonce = os.urandom(12)
        sealed = key.aead.encrypt(nonce, plaintext.encode(), column.encode())
        return f"{key.kid}${base64.b64encode(nonce + sealed).decode()}"

    def decrypt(self, token: str | None, *, column: str) -> str | None:
        if token is None:
            return None
        kid, _, b64 = token.partition("$")
        key = self._by_kid.get(kid)
        if key is None:
            raise DECRYPT_FAILED(details={"kid": kid})
        raw = base64.b64decode(b64)
        try:
            return key.aead.decrypt(raw[:12], raw[12:], column.encode()).decode()
        except InvalidTag as exc:
            raise DECRYPT_FAILED(details={"kid": kid}) from exc

    def key_of(self, token: str | None) -> str | None:
        return token.partition("$")[0] if token else None

    def lookup_hash(self, value: str, *, column: str) -> str:
        """The hash stored with a row (under the current key)."""
        return self._hash(self._keys[0], value, column)

    def lookup_hashes(self, value: str, *, column: str) -> list[str]:
        """Every hash the value may be stored under (one per configured key), for queries."""
        return [self._hash(key, value, column) for key in self._keys]

    @staticmethod
    def _hash(key: _Key, value: str, column: str) -> str:
        return hmac.new(key.hash_key, f"{column}\x00{value}".encode(), hashlib.sha256).hexdigest()


@lru_cache(maxsize=4)
def _cipher_for(raw: str) -> Cipher:
    return Cipher(raw)


_override: str | None = None


def use_data_keys(raw: str | None) -> None:
    """Use these keys instead of the settings' (key-rotation drills and tests); None restores."""
    global _override
    _override = raw


def get_cipher(settings: Settings | None = None) -> Cipher:
    if _override is not None and settings is None:
        return _cipher_for(_override)
    settings = settings or get_settings()
    if settings.data_keys is None:
        settings = settings.ensure_secrets()
    return _cipher_for(settings.data_keys.get_secret_value())  # type: ignore[union-attr]
