"""Which couriers the platform can use: every gateway contributed through
``zhushida_courier_gateways`` (this package contributes EMS and SF)."""

from __future__ import annotations

from core import errors
from core.plugins.host import get_host
from delivery.couriers.base import CourierGateway

UNKNOWN_COURIER = errors.define(
    "delivery.unknown_courier", 400, "不支持该快递公司", "This courier is not available"
)

_cache: dict[str, CourierGateway] | None = None


def gateways() -> dict[str, CourierGateway]:
    global _cache
    if _cache is None:
        host = get_host()
        found: dict[str, CourierGateway] = {}
        for plugin, gateway in host.collect("zhushida_courier_gateways", settings=host.settings):
            if not isinstance(gateway, CourierGateway):
                raise TypeError(f"plugin {plugin!r} returned {gateway!r}, not a CourierGateway")
            if gateway.code in found:
                raise RuntimeError(f"courier code {gateway.code!r} contributed twice (second by {plugin!r})")
            found[gateway.code] = gateway
        _cache = found
    return _cache


def gateway(code: str) -> CourierGateway:
    found = gateways().get(code)
    if found is None:
        raise UNKNOWN_COURIER(details={"courier": code, "available": sorted(gateways())})
    return found


def reset_gateways() -> None:
    global _cache
    _cache = None
