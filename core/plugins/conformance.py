"""The conformance kit behind ``zhushida plugins check NAME``.

The start of the kit: the plugin loads, declares a compatible contract, implements only known hooks
with known arguments, every start-up hook answers in time with the records the contract names,
its models import and its migrations package exists and covers its models, per-request hooks
answer within the budget. Later hook families add their own checks here.
"""

from __future__ import annotations

import asyncio
import importlib
import inspect
import time
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from types import ModuleType
from typing import Any

from core.plugins.host import ENTRY_POINT_GROUP, PluginHost
from core.plugins.records import ModelsSpec, PeriodicTask, ReadinessCheck, Routes
from core.settings import Settings

START_UP_BUDGET = 2.0


@dataclass
class Report:
    plugin: str
    results: list[tuple[bool, str, str]] = field(default_factory=list)

    def add(self, ok: bool, check: str, detail: str = "") -> None:
        self.results.append((ok, check, detail))

    @property
    def ok(self) -> bool:
        return all(ok for ok, _c, _d in self.results)

    def lines(self) -> list[str]:
        out = [f"conformance of plugin {self.plugin!r}"]
        for ok, check, detail in self.results:
            out.append(f"  [{'PASS' if ok else 'FAIL'}] {check}" + (f" — {detail}" if detail else ""))
        failed = sum(1 for ok, _c, _d in self.results if not ok)
        out.append(f"{len(self.results) - failed} passed, {failed} failed")
        return out


def _resolve(name: str) -> ModuleType:
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        if ep.name == name:
            return ep.load()
    return importlib.import_module(name)


EXPECTED: dict[str, tuple[type, ...]] = {
    "zhushida_models": (ModelsSpec,),
    "zhushida_routes": (Routes, list, tuple),
    "zhushida_periodic_tasks": (PeriodicTask,),
    "zhushida_readiness_checks": (ReadinessCheck,),
}


async def check_plugin(settings: Settings, name: str) -> Report:
    report = Report(name)
    try:
        module = _resolve(name)
    except Exception as exc:
        report.add(False, "imports", f"{type(exc).__name__}: {exc}")
        return report
    report.add(True, "imports", module.__name__)

    host = PluginHost(settings)
    problem = host.validate_module(module)
    report.add(problem is None, "declares a compatible contract and only known hooks", problem or "")
    if problem:
        return report
    try:
        host.pm.register(module, name=name.rsplit(".", 1)[-1])
        report.add(True, "hook arguments match the specs")
    except Exception as exc:
        report.add(False, "hook arguments match the specs", str(exc))
        return report
    plugin_name = name.rsplit(".", 1)[-1]
    impls = {hook.name: hook for hook in host.pm.get_hookcallers(module) or []}

    args = {"settings": settings, "user": None, "region": None, "channel": "miniapp", "app": None}
    for hook_name in sorted(impls):
        impl = next(i for i in impls[hook_name].get_hookimpls() if i.plugin_name == plugin_name)
        if hook_name in ("zhushida_startup", "zhushida_shutdown", "zhushida_seed_demo", "zhushida_case_event",
                         "zhushida_form_prefill", "zhushida_material_certificates", "zhushida_account_merged"):
            continue  # events, seeding and per-citizen lookups touch live state; covered by the plugin's own tests
        started = time.perf_counter()
        try:
            value = impl.function(*[args[a] for a in impl.argnames])
            if inspect.isawaitable(value):
                value = await asyncio.wait_for(value, settings.plugin_timeout_seconds)
        except Exception as exc:
            report.add(False, f"{hook_name} answers", f"{type(exc).__name__}: {exc}")
            continue
        elapsed = time.perf_counter() - started
        budget = settings.plugin_timeout_seconds if hook_name == "zhushida_home_widgets" else START_UP_BUDGET
        report.add(elapsed <= budget, f"{hook_name} answers in time", f"{elapsed * 1000:.0f} ms")
        expected = EXPECTED.get(hook_name)
        if expected and value is not None:
            items = value if isinstance(value, list | tuple) and expected[0] is not Routes else [value]
            wrong = [type(i).__name__ for i in items if not isinstance(i, expected)]
            report.add(not wrong, f"{hook_name} returns {expected[0].__name__}", ", ".join(wrong))
        if hook_name == "zhushida_models" and value is not None:
            for spec in value if isinstance(value, list | tuple) else [value]:
                if isinstance(spec, ModelsSpec):
                    _check_models(report, spec)
    return report


def _check_models(report: Report, spec: ModelsSpec) -> None:
    from tortoise.models import Model

    models: list[type[Model]] = []
    for module_name in spec.modules:
        try:
            module = importlib.import_module(module_name)
        except Exception as exc:
            report.add(False, f"model module {module_name} imports", f"{type(exc).__name__}: {exc}")
            continue
        models += [
            obj for obj in vars(module).values()
            if isinstance(obj, type) and issubclass(obj, Model) and obj is not Model
            and obj.__module__ == module.__name__ and not obj._meta.abstract
        ]
    if spec.table_prefix:
        bad = [m.__name__ for m in models if not (m._meta.db_table or "").startswith(spec.table_prefix)]
        report.add(not bad, f"tables of {spec.app_label} start with {spec.table_prefix!r}", ", ".join(bad))
    try:
        migrations = importlib.import_module(spec.migrations)
        has_any = any(p.suffix == ".py" and p.stem[:4].isdigit() for p in _package_files(migrations))
        report.add(has_any, f"migrations package {spec.migrations} has migrations", "" if has_any else "empty: run `zhushida db makemigrations`")
    except Exception as exc:
        report.add(False, f"migrations package {spec.migrations} imports", f"{type(exc).__name__}: {exc}")


def _package_files(module: ModuleType) -> list[Any]:
    from pathlib import Path

    return [p for path in getattr(module, "__path__", []) for p in Path(path).iterdir()]
