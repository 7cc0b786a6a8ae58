"""Personal data of delivery rows: sealed with the identity cipher, masked for display."""

from __future__ import annotations

from core.identity.crypto import get_cipher
from core.identity.pii import mask_name, mask_phone


def seal(value: str, *, column: str) -> str:
    return get_cipher().encrypt(value, column=f"delivery.{column}") or ""


def unseal(token: str, *, column: str) -> str:
    return get_cipher().decrypt(token, column=f"delivery.{column}") or ""


def mask_detail(detail: str) -> str:
    """Keep the head of the street address, hide the house number and room: 建设路88号3栋 → 建设路****."""
    keep = max(2, min(6, len(detail) // 3))
    return detail[:keep] + "****"


__all__ = ["mask_detail", "mask_name", "mask_phone", "seal", "unseal"]
