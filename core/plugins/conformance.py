"""The conformance kit behind ``zhushida plugins check NAME``.

The start of the kit: the plugin loads, declares a compatible contract, implements only known hooks
with known arguments, every start-up hook answers in time with the records the contract names,
its models import and its migrations package exists and covers its models, per-request hooks
answer within the budget, and the plugin's package imports only the platform's public surfaces
(``PUBLIC_MODULES``). Later hook families add their own checks here.
"""

from __future__ import annotations

import ast
import asyncio
import importlib
import importlib.util
import inspect
import time
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from pathlib import Path
from types import ModuleType
from typing import Any

from core.plugins.host import ENTRY_POINT_GROUP, PluginHost
from core.plugins.records import ModelsSpec, PeriodicTask, ReadinessCheck, Routes
from core.settings import Settings

START_UP_BUDGET = 2.0

# What a department plugin may import from the platform (docs/plugin-guide.md, "Public surfaces"):
# module -> the names it offers plugins (None: all of them). Every ``core.<area>.api`` module and
# ``payments.api`` are public too. Anything else of these packages is an internal that may change.
PUBLIC_MODULES: dict[str, frozenset[str] | None] = {
    "core.hooks": None,
    "core.errors": None,
    "core.auth": None,
    "core.tasks": None,
    "core.db": frozenset({"transaction", "on_commit"}),
    "core.stores": None,
    "core.feeds": None,
    "core.feeds.parsers": None,
    "core.feeds.pii": None,
    "core.feeds.synthetic": None,
    "payments.api": None,
}
PLATFORM_PACKAGES = ("core", "payments", "delivery", "citizen_card", "miniapp_bff")
# Each import of a platform internal or of another plugin is a FAIL (False: report-only WARN lines).
BOUNDARY_ENFORCED = True


@dataclass
class Report:
    plugin: str
    results: list[tuple[bool, str, str]] = field(default_factory=list)

    warnings: list[tuple[str, str]] = field(default_factory=list)

    def add(self, ok: bool, check: str, detail: str = "") -> None:
        self.results.append((ok, check, detail))

    def warn(self, check: str, detail: str = "") -> None:
        """A finding that does not fail the kit (yet)."""
        self.warnings.append((check, detail))

    @property
    def ok(self) -> bool:
        return all(ok for ok, _c, _d in self.results)

    def lines(self) -> list[str]:
        out = [f"conformance of plugin {self.plugin!r}"]
        for ok, check, detail in self.results:
            out.append(f"  [{'PASS' if ok else 'FAIL'}] {check}" + (f" — {detail}" if detail else ""))
        for check, detail in self.warnings:
            out.append(f"  [WARN] {check}" + (f" — {detail}" if detail else ""))
        failed = sum(1 for ok, _c, _d in self.results if not ok)
        out.append(f"{len(self.results) - failed} passed, {failed} failed"
                   + (f", {len(self.warnings)} warnings" if self.warnings else ""))
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
    check_boundary(report, module)

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
                         "zhushida_form_prefill", "zhushida_material_certificates", "zhushida_account_merged",
                         "zhushida_case_charges"):
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
    return [p for path in getattr(module, "__path__", []) for p in Path(path).iterdir()]


# ---- the boundary: public surfaces only, never another plugin --------------------------------------

@dataclass(frozen=True)
class ForeignImport:
    """One import in a plugin's source of something it must not use."""

    path: str  # the file, relative to the plugin's package
    line: int
    imported: str  # "core.cases.models.Case", "plugins.real_estate.service"
    reason: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line} {self.imported} ({self.reason})"


def check_boundary(report: Report, module: ModuleType) -> None:
    """Adds the boundary result: a FAIL per foreign import when enforced, a WARN each until then."""
    check = "imports only the hook contract and the platform's public surfaces"
    package = _package_of(module)
    if package.split(".")[0] in PLATFORM_PACKAGES:
        report.add(True, check, "platform package: the boundary binds department plugins")
        return
    found = foreign_imports(package, _other_plugin_packages(package))
    if not found:
        report.add(True, check)
    for item in found:
        if BOUNDARY_ENFORCED:
            report.add(False, check, str(item))
        else:
            report.warn(check, str(item))


def foreign_imports(package: str, other_plugins: tuple[str, ...] = ()) -> list[ForeignImport]:
    """Every import in ``package``'s source (parsed, not run) of a platform module that is not in
    ``PUBLIC_MODULES`` or an ``api`` module, or of a name such a module does not offer, or of one of
    ``other_plugins`` (package names)."""
    found: list[ForeignImport] = []
    for path, root in _source_files(package):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            for imported, reason in _judge(node, package, other_plugins):
                found.append(ForeignImport(str(path.relative_to(root)), node.lineno, imported, reason))
    return sorted(found, key=lambda f: (f.path, f.line, f.imported))


def is_public_module(name: str) -> bool:
    parts = name.split(".")
    return name in PUBLIC_MODULES or (len(parts) == 3 and parts[0] == "core" and parts[2] == "api")


def _judge(node: ast.AST, own: str, other_plugins: tuple[str, ...]) -> list[tuple[str, str]]:
    if isinstance(node, ast.Import):
        return [v for alias in node.names if (v := _judge_module(alias.name, own, other_plugins))]
    if not isinstance(node, ast.ImportFrom) or node.level or not node.module:
        return []  # relative imports stay inside the plugin's own package
    found = []
    for alias in node.names:
        name = f"{node.module}.{alias.name}"
        if is_public_module(name):  # ``from core.cases import api``: the module itself
            verdict = _judge_module(name, own, other_plugins)
        else:
            verdict = _judge_module(node.module, own, other_plugins, whole_module=False)
            offered = PUBLIC_MODULES.get(node.module)
            if verdict is None and offered is not None and alias.name not in offered:
                verdict = name, f"{node.module} offers plugins only {', '.join(sorted(offered))}"
        if verdict is not None:
            found.append((name, verdict[1]))
    return found


def _judge_module(name: str, own: str, other_plugins: tuple[str, ...], *,
                  whole_module: bool = True) -> tuple[str, str] | None:
    """Why importing module ``name`` is foreign (None: it is not)."""
    if _within(name, own):
        return None
    for other in other_plugins:
        if _within(name, other):
            return name, f"another plugin ({other}): plugins never import each other"
    if name.split(".")[0] not in PLATFORM_PACKAGES:
        return None  # the standard library and third-party packages
    if not is_public_module(name):
        return name, "not a public surface of the platform"
    offered = PUBLIC_MODULES.get(name)
    if whole_module and offered is not None:
        return name, f"import the names: from {name} import {', '.join(sorted(offered))}"
    return None


def _within(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def _package_of(module: ModuleType) -> str:
    return module.__name__ if hasattr(module, "__path__") else (module.__name__.rpartition(".")[0] or module.__name__)


def _source_files(package: str) -> list[tuple[Path, Path]]:
    """(file, the directory paths are shown relative to) for every module of ``package``."""
    spec = importlib.util.find_spec(package)
    if spec is None:
        return []
    if spec.submodule_search_locations:
        return [(f, Path(d)) for d in spec.submodule_search_locations for f in sorted(Path(d).rglob("*.py"))]
    return [(Path(spec.origin), Path(spec.origin).parent)] if spec.origin else []


def _other_plugin_packages(own: str) -> tuple[str, ...]:
    """The packages of the other department plugins installed (entry points outside the platform)."""
    out = []
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        module = ep.value.split(":")[0]
        if module.split(".")[0] in PLATFORM_PACKAGES:
            continue
        package = module.rpartition(".")[0] or module
        if package != own and not _within(own, package):
            out.append(package)
    return tuple(sorted(set(out)))
