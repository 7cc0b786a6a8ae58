"""Loads plugins from the ``zhushida.plugins`` entry points and calls their hooks safely.

The platform's own packages are plugins too (as pytest loads its own modules), so the kernel
never names them. Every call goes through this host, which knows which plugin answered what: an
error always names the plugin, a failing third-party plugin is isolated, and per-request hooks are
awaited concurrently under a per-plugin time budget.
"""

from __future__ import annotations

import asyncio
import importlib
import inspect
import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib.metadata import EntryPoint, entry_points
from types import ModuleType
from typing import Any, Literal

import pluggy

from core.plugins import hookspecs
from core.plugins.records import CONTRACT_VERSION
from core.settings import Settings

log = logging.getLogger("zhushida.plugins")

ENTRY_POINT_GROUP = "zhushida.plugins"
# Platform packages: a failure in one of them is a platform failure and stops start-up.
PLATFORM_PACKAGES = frozenset({"core", "payments", "citizen_card", "delivery", "miniapp_bff"})


class PluginError(RuntimeError):
    """A plugin failed; the message names it and the hook."""

    def __init__(self, plugin: str, hook: str, cause: BaseException | str) -> None:
        self.plugin, self.hook, self.cause = plugin, hook, cause
        reason = cause if isinstance(cause, str) else f"{type(cause).__name__}: {cause}"
        super().__init__(f"plugin {plugin!r} failed in {hook}: {reason}")


@dataclass
class PluginRecord:
    name: str
    source: str  # "module:attr" or the module path
    version: str = "0"
    distribution: str | None = None
    state: Literal["enabled", "disabled", "failed"] = "enabled"
    error: str | None = None
    module: ModuleType | None = None
    hooks: list[str] = field(default_factory=list)

    @property
    def platform(self) -> bool:
        return self.name.split(".", 1)[0] in PLATFORM_PACKAGES


def _contract_major(version: str) -> str:
    return str(version).split(".", 1)[0]


class PluginHost:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.pm = pluggy.PluginManager("zhushida")
        self.pm.add_hookspecs(hookspecs)
        self.records: dict[str, PluginRecord] = {}

    # ---- loading --------------------------------------------------------------------------

    def load_entry_points(self, eps: Iterable[EntryPoint] | None = None) -> PluginHost:
        eps = list(entry_points(group=ENTRY_POINT_GROUP) if eps is None else eps)
        for ep in sorted(eps, key=lambda e: (e.name.split(".", 1)[0] not in PLATFORM_PACKAGES, e.name)):
            dist = getattr(ep, "dist", None)
            record = PluginRecord(
                name=ep.name,
                source=ep.value,
                version=dist.version if dist else "0",
                distribution=dist.metadata["Name"] if dist else None,
            )
            if ep.name in self.records:
                other = self.records[ep.name]
                record.state, record.error = "failed", (
                    f"name {ep.name!r} is claimed by both {other.distribution or other.source} "
                    f"and {record.distribution or record.source}"
                )
                log.error("plugin name clash: %s", record.error)
                self.records[f"{ep.name}@{record.distribution}"] = record
                continue
            if ep.name in self.settings.plugins_disabled:
                record.state = "disabled"
                self.records[ep.name] = record
                continue
            try:
                module = ep.load()
            except Exception as exc:  # a broken distribution must not stop the platform
                self._fail(record, PluginError(ep.name, "import", exc))
                self.records[ep.name] = record
                continue
            self._register(record, module)
        return self

    def register_module(self, name: str, module: ModuleType | str, version: str = "0") -> PluginRecord:
        """Register a module directly (tests, and ``plugins check`` of a module path)."""
        if isinstance(module, str):
            module = importlib.import_module(module)
        record = PluginRecord(name=name, source=module.__name__, version=version)
        self._register(record, module)
        return record

    def _register(self, record: PluginRecord, module: ModuleType) -> None:
        self.records[record.name] = record
        record.module = module
        problem = self.validate_module(module)
        if problem:
            self._fail(record, PluginError(record.name, "load", problem))
            return
        try:
            self.pm.register(module, name=record.name)
        except Exception as exc:  # pluggy validates argument names against the specs
            self._fail(record, PluginError(record.name, "load", exc))
            return
        record.hooks = sorted(
            hook.name for hook in self.pm.get_hookcallers(module) or [] if hook.name.startswith("zhushida_")
        )

    def validate_module(self, module: ModuleType) -> str | None:
        """Contract version declared and compatible, and no misspelled hook names."""
        declared = getattr(module, "ZHUSHIDA_CONTRACT", None)
        if declared is None:
            return "declares no ZHUSHIDA_CONTRACT (the hook contract version it was written for)"
        if _contract_major(declared) != _contract_major(CONTRACT_VERSION):
            return f"written for contract {declared}, the platform speaks {CONTRACT_VERSION}"
        known = {name for name in dir(hookspecs) if name.startswith("zhushida_")}
        unknown = sorted(
            name
            for name in dir(module)
            if name.startswith("zhushida_") and callable(getattr(module, name)) and name not in known
        )
        if unknown:
            return f"unknown hook(s) {', '.join(unknown)} (misspelled, or newer than contract {CONTRACT_VERSION}?)"
        return None

    def _fail(self, record: PluginRecord, error: PluginError) -> None:
        if record.platform:
            raise error
        record.state, record.error = "failed", str(error.cause) if not isinstance(error.cause, str) else error.cause
        if record.module is not None and self.pm.is_registered(record.module):
            self.pm.unregister(record.module)
        log.error("%s — plugin disabled", error)

    def enabled(self) -> list[PluginRecord]:
        return [r for r in self.records.values() if r.state == "enabled"]

    # ---- calling --------------------------------------------------------------------------

    def _impls(self, hook_name: str) -> list[tuple[str, Any]]:
        caller = getattr(self.pm.hook, hook_name)
        # pluggy calls the last registered first; keep its order (tryfirst/trylast honoured).
        return [(impl.plugin_name, impl) for impl in reversed(caller.get_hookimpls())]

    @staticmethod
    def _invoke(impl: Any, kwargs: dict[str, Any]) -> Any:
        return impl.function(*[kwargs[name] for name in impl.argnames])

    def call(self, hook_name: str, **kwargs: Any) -> list[tuple[str, Any]]:
        """Call a start-up hook synchronously; returns ``(plugin, result)`` for non-None results.

        A third-party plugin that raises is disabled and logged; a platform package raises.
        """
        results = []
        for plugin_name, impl in self._impls(hook_name):
            try:
                value = self._invoke(impl, kwargs)
            except Exception as exc:
                self._fail(self.records[plugin_name], PluginError(plugin_name, hook_name, exc))
                continue
            if value is not None:
                results.append((plugin_name, value))
        return results

    def collect(self, hook_name: str, **kwargs: Any) -> list[tuple[str, Any]]:
        """Like :meth:`call`, with list results flattened into one ``(plugin, item)`` each."""
        items = []
        for plugin_name, value in self.call(hook_name, **kwargs):
            values = value if isinstance(value, list | tuple) else [value]
            items.extend((plugin_name, item) for item in values if item is not None)
        return items

    async def gather(
        self, hook_name: str, *, timeout: float | None = None, **kwargs: Any
    ) -> list[tuple[str, Any]]:
        """Call a per-request hook; await every plugin's answer concurrently.

        A plugin that raises or exceeds ``timeout`` seconds is logged and left out, so one slow
        or broken plugin costs its own contribution and never the response.
        """
        budget = self.settings.plugin_timeout_seconds if timeout is None else timeout

        async def one(plugin_name: str, impl: Any) -> tuple[str, Any, BaseException | None]:
            started = time.perf_counter()
            try:
                value = self._invoke(impl, kwargs)
                if inspect.isawaitable(value):
                    value = await asyncio.wait_for(value, budget)
                return plugin_name, value, None
            except Exception as exc:  # isolation is the point: log, count, leave it out
                elapsed = time.perf_counter() - started
                if str(exc):
                    why = f"{type(exc).__name__}: {exc}"
                else:  # asyncio.wait_for's timeout carries no message
                    why = "over its time budget" if isinstance(exc, TimeoutError) else type(exc).__name__
                log.warning("plugin %r dropped from %s after %.3fs: %s", plugin_name, hook_name, elapsed, why)
                from core.web import metrics

                metrics.PLUGIN_FAILURES.labels(plugin=plugin_name, hook=hook_name).inc()
                return plugin_name, None, exc

        answers = await asyncio.gather(*(one(n, i) for n, i in self._impls(hook_name)))
        return [(name, value) for name, value, error in answers if error is None and value is not None]

    async def broadcast(self, hook_name: str, **kwargs: Any) -> None:
        """Call an event hook; await awaitables in order; a third-party failure is only logged."""
        for plugin_name, impl in self._impls(hook_name):
            try:
                value = self._invoke(impl, kwargs)
                if inspect.isawaitable(value):
                    await value
            except Exception as exc:
                if self.records[plugin_name].platform:
                    raise PluginError(plugin_name, hook_name, exc) from exc
                log.exception("plugin %r failed in %s", plugin_name, hook_name)


_host: PluginHost | None = None


def get_host(settings: Settings | None = None) -> PluginHost:
    """The process-wide host, loaded from entry points on first use."""
    global _host
    if _host is None:
        from core.settings import get_settings

        _host = PluginHost(settings or get_settings()).load_entry_points()
    return _host


def set_host(host: PluginHost | None) -> None:
    global _host
    _host = host
