"""The certificate types every plugin declares through ``zhushida_certificate_types``."""

from __future__ import annotations

from core.certificates.records import CertificateType
from core.plugins.host import PluginError, PluginHost, get_host

_types: dict[str, CertificateType] | None = None
_owners: dict[str, str] = {}


def load(host: PluginHost | None = None) -> dict[str, CertificateType]:
    """Collect and check every declared type once (a bad one names its plugin)."""
    global _types
    host = host or get_host()
    found: dict[str, CertificateType] = {}
    owners: dict[str, str] = {}
    for plugin, item in host.collect("zhushida_certificate_types"):
        if not isinstance(item, CertificateType):
            raise PluginError(plugin, "zhushida_certificate_types", f"returned {type(item).__name__}, not CertificateType")
        problems = item.problems()
        if problems:
            raise PluginError(plugin, "zhushida_certificate_types", f"type {item.code}: " + "; ".join(problems))
        if item.code in found:
            raise PluginError(plugin, "zhushida_certificate_types",
                              f"type code {item.code} is already declared by plugin {owners[item.code]!r}")
        found[item.code] = item
        owners[item.code] = plugin
    _types = found
    _owners.clear()
    _owners.update(owners)
    return found


def types() -> dict[str, CertificateType]:
    return _types if _types is not None else load()


def get(code: str) -> CertificateType | None:
    return types().get(code)


def owner(code: str) -> str | None:
    types()
    return _owners.get(code)




def reset() -> None:
    global _types
    _types = None
    _owners.clear()
