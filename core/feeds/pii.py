"""Personal data in feeds, protected with the identity package's cipher (core.identity.crypto).

A resident ID is kept only as a keyed hash (lookup) and a mask (display); names and phone numbers
are encrypted at rest (AES-256-GCM, the column bound in) and masked in every response. Lookups
try the hash under every configured data key, so rows imported before a key rotation are found.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

PERSON_COLUMN = "feeds.person_key"


def _cipher():
    from core.identity.crypto import get_cipher

    return get_cipher()


def person_key(id_number: str) -> str:
    """The lookup key stored with a row: HMAC-SHA256 (hex, 64 chars) under the current data key."""
    return _person_key(_cipher(), id_number.upper())


@lru_cache(maxsize=16384)  # bounded: memory stays flat on any file size
def _person_key(cipher, id_number: str) -> str:
    # Keyed by the cipher too: after a key rotation in this process, new keys are computed.
    return cipher.lookup_hash(id_number, column=PERSON_COLUMN)


def person_key_column(id_numbers: Sequence[str]) -> list[str]:
    """``person_key`` of every ID of a batch column, computed once per distinct ID."""
    cipher = _cipher()
    keys = {v: _person_key(cipher, v.upper()) for v in set(id_numbers)}
    return list(map(keys.__getitem__, id_numbers))


def person_keys(id_number: str) -> list[str]:
    """Every key a person's rows may be stored under (one per configured data key), for queries."""
    return _cipher().lookup_hashes(id_number.upper(), column=PERSON_COLUMN)


def encrypt(value: str | None, column: str) -> str | None:
    return _cipher().encrypt(value, column=column)


def decrypt(token: str | None, column: str) -> str | None:
    return _cipher().decrypt(token, column=column)


def mask_id(id_number: str) -> str:
    from core.identity.pii import mask_id_number

    return mask_id_number(id_number) or ""


def mask_name(name: str | None) -> str:
    from core.identity.pii import mask_name as mask

    return mask(name) or ""


def mask_phone(phone: str | None) -> str:
    from core.identity.pii import mask_phone as mask

    return mask(phone) or ""
