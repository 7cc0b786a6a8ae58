"""Citizen-card settings (prefix ``ZHUSHIDA_CARD_``), separate from the core settings so the card
package owns its own knobs: QR lifetime, limits, signature clock skew, signing keys."""

from __future__ import annotations

from functools import lru_cache

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class CardSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ZHUSHIDA_CARD_", extra="ignore")

    # Issuer prefix (4 digits) of card numbers: prefix + 14 random digits + Luhn check digit.
    number_prefix: str = "8643"
    # Dynamic QR: lifetime of a token, and how long after expiry a scanned token may still be
    # submitted by a terminal (a scan just before expiry reaching the platform a moment later).
    qr_ttl_seconds: int = 60
    qr_submit_grace_seconds: int = 15
    # Default limits in fen (a card may carry its own, lower ones).
    limit_per_payment: int = 50_000  # 500 元
    limit_per_day: int = 200_000  # 2,000 元
    # Largest single top-up in fen.
    topup_max: int = 500_000  # 5,000 元
    # Terminal request signatures: accepted clock difference in seconds.
    signature_max_skew_seconds: int = 300
    # Ed25519 signing keys for QR tokens: "base64(32-byte seed),base64(...)"; the first one signs,
    # all are published for verification. Unset in the embedded default: generated once under
    # var_dir (card_qr_keys.json, mode 0600). Required in production.
    qr_signing_keys: SecretStr | None = None


@lru_cache(maxsize=1)
def get_card_settings() -> CardSettings:
    return CardSettings()
