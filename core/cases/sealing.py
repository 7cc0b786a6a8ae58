"""Personal data in stored forms: ID numbers, phones and prefilled identity data (names) are sealed
with the identity package's cipher before they reach the database and masked in every response."""

from __future__ import annotations

from typing import Any

from core.catalogue.forms import is_personal, mask_field
from core.catalogue.records import FormField

_MARK = "$sealed"


def _column(key: str) -> str:
    return f"cases.form.{key}"


def seal(fields: tuple[FormField, ...], data: dict[str, Any]) -> dict[str, Any]:
    from core.identity.crypto import get_cipher

    cipher = get_cipher()
    personal = {f.key for f in fields if is_personal(f)}
    out = {}
    for key, value in data.items():
        if key in personal and isinstance(value, str):
            out[key] = {_MARK: cipher.encrypt(value, column=_column(key))}
        else:
            out[key] = value
    return out


def unseal(data: dict[str, Any]) -> dict[str, Any]:
    from core.identity.crypto import get_cipher

    cipher = get_cipher()
    return {
        key: cipher.decrypt(value[_MARK], column=_column(key)) if isinstance(value, dict) and _MARK in value else value
        for key, value in data.items()
    }


def masked(fields: tuple[FormField, ...], data: dict[str, Any]) -> dict[str, Any]:
    """Values as shown in responses: sensitive ones masked, never the cipher text."""
    by_key = {f.key: f for f in fields}
    clear = unseal(data)
    return {key: mask_field(by_key.get(key), value) for key, value in clear.items()}
