"""Delivery settings (prefix ``ZHUSHIDA_DELIVERY_``), beside the platform's :mod:`core.settings`.

The embedded default needs nothing set: sandbox credentials, Hunan (43) as the service area, the
platform's public URL for courier callbacks.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Annotated

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from core.settings import get_settings


def _split(value: object) -> object:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


class DeliverySettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ZHUSHIDA_DELIVERY_", extra="ignore")

    # Region roots (12-digit codes or their significant prefix) where the platform delivers/picks up.
    service_area: Annotated[list[str], NoDecode] = Field(default_factory=lambda: ["430000000000"])
    # Base URL couriers push tracking to (``{callback_base}/delivery/webhooks/{courier}``);
    # defaults to the platform's public URL.
    callback_base: str | None = None
    http_timeout_seconds: float = 5.0
    # Placing an order with an unreachable courier: attempts, and the first back-off delay
    # (doubled on each attempt). After the last attempt the shipment is ``order_failed``.
    order_attempts: int = 5
    retry_base_seconds: float = 30.0
    retry_sweep_seconds: float = 15.0
    # Courier credentials (the sandbox accepts these embedded defaults).
    sf_partner_id: str = "ZHUSHIDA_SBOX"
    sf_checkword: SecretStr = SecretStr("sf-sandbox-checkword-0123456789ab")
    sf_monthly_card: str = "7551234567"
    ems_app_key: str = "zhushida-sandbox"
    ems_app_secret: SecretStr = SecretStr("ems-sandbox-secret-0123456789abcdef")
    # Real endpoints; redirected to the sandbox gateways when the sandbox is enabled.
    sf_base_url: str = "https://sfapi.sf-express.com"
    ems_base_url: str = "https://api.ems.com.cn"

    _split_area = field_validator("service_area", mode="before")(_split)

    @property
    def effective_callback_base(self) -> str:
        return (self.callback_base or get_settings().public_url).rstrip("/")


@lru_cache(maxsize=1)
def delivery_settings() -> DeliverySettings:
    return DeliverySettings()


def reset_delivery_settings() -> None:
    delivery_settings.cache_clear()
