"""The purposes and channels that plugins registered, looked up by kind / name."""

from __future__ import annotations

from core.plugins.host import get_host
from payments import errors
from payments.contract import PaymentChannel, PaymentPurpose

_cache: dict[str, tuple[tuple, dict]] = {}


def _collect(hook: str, **kwargs) -> dict:
    host = get_host()
    # Re-collect only when the set of implementations changed (a plugin registered in tests).
    marker = tuple(impl.plugin_name for impl in getattr(host.pm.hook, hook).get_hookimpls())
    cached = _cache.get(hook)
    if cached and cached[0] == marker:
        return cached[1]
    found: dict = {}
    owners: dict[str, str] = {}
    for plugin, item in host.collect(hook, **kwargs):
        key = item.kind if isinstance(item, PaymentPurpose) else item.name
        if key in found:
            raise RuntimeError(f"{hook}: {key!r} is declared by both {owners[key]!r} and {plugin!r}")
        found[key], owners[key] = item, plugin
    _cache[hook] = (marker, found)
    return found


def purposes() -> dict[str, PaymentPurpose]:
    return _collect("zhushida_payment_purposes")


def channels() -> dict[str, PaymentChannel]:
    return _collect("zhushida_payment_channels", settings=get_host().settings)


def purpose(kind: str) -> PaymentPurpose:
    found = purposes().get(kind)
    if found is None:
        raise errors.UNKNOWN_PURPOSE(details={"purpose_kind": kind, "known": sorted(purposes())})
    return found


def channel(name: str | None) -> PaymentChannel:
    found = channels().get(name or "")
    if found is None:
        raise errors.UNKNOWN_CHANNEL(details={"channel": name, "known": sorted(channels())})
    return found
