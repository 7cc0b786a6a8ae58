"""The catalogue of declared items and bundles, collected from every plugin's hooks once.

``get_registry()`` asks ``zhushida_services`` and ``zhushida_bundles`` of every enabled plugin,
checks each declaration (``validate_item``) and indexes it. A plugin that declares an invalid item
or claims an implementation code another plugin already declared fails with its name — the same
rule the host applies to any other hook error (a department plugin is disabled, a platform package
stops start-up). ``reload_registry()`` forgets the cache (a plugin registered later, tests).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field

from stdnum.cn import uscc

from core.catalogue.records import (
    APPLICABLE_ITEM_TYPES,
    CHANNELS,
    FIELD_TYPES,
    HANDLING_FORMS,
    ITEM_TYPES,
    LEVEL_CODES,
    Bundle,
    FormField,
    ServiceItem,
    Workflow,
)
from core.catalogue.workflows import instant_workflow, standard_workflow, validate_workflow
from core.plugins.host import PluginError, PluginHost, get_host

log = logging.getLogger("zhushida.catalogue")

_BASIC_CODE = re.compile(r"^[0-9A-Z]{10}([0-9A-Z]{2})?$")


def validate_item(item: ServiceItem) -> list[str]:
    """Every element the national standard requires, in the shape the engine relies on."""
    p: list[str] = []
    if not _BASIC_CODE.match(item.basic_code):
        p.append(f"basic_code {item.basic_code!r}: 10 or 12 digits/capitals expected")
    elif len(item.basic_code) == 12 and item.basic_code[2:4] != item.item_type:
        p.append(f"basic_code {item.basic_code!r}: characters 3-4 must be the item type {item.item_type!r}")
    if not item.implementation_code.endswith(item.basic_code):
        p.append("implementation_code must end with the basic_code")
    else:
        body = item.implementing_body
        if not uscc.is_valid(body):
            p.append(f"implementation_code: {body!r} is not a valid unified social credit code")
        if item.level_code not in LEVEL_CODES:
            p.append(f"implementation_code: level code {item.level_code!r} unknown")
    if item.item_type not in ITEM_TYPES:
        p.append(f"item_type {item.item_type!r} unknown")
    elif item.item_type not in APPLICABLE_ITEM_TYPES:
        p.append(f"item_type {item.item_type!r} ({ITEM_TYPES[item.item_type][0]}) is not applied for by citizens")
    for name in ("name", "name_en", "department_code", "department_name"):
        if not getattr(item, name):
            p.append(f"{name} is required")
    if item.case_type not in ("instant", "promised"):
        p.append("case_type must be instant or promised")
    if item.legal_limit_days < 0 or item.promised_limit_days < 0:
        p.append("time limits cannot be negative")
    if item.case_type == "promised" and item.promised_limit_days <= 0:
        p.append("a promised item needs promised_limit_days > 0")
    if item.legal_limit_days and item.promised_limit_days > item.legal_limit_days:
        p.append("promised_limit_days cannot exceed legal_limit_days")
    if not isinstance(item.fee_fen, int) or item.fee_fen < 0:
        p.append("fee_fen must be a non-negative integer (fen)")
    if not 1 <= item.online_depth <= 4:
        p.append("online_depth must be 1-4")
    if item.min_level < 0:
        p.append("min_level cannot be negative")
    if item.trips < 0:
        p.append("trips cannot be negative")
    if any(f not in HANDLING_FORMS for f in item.handling_forms):
        p.append(f"handling_forms must be among {HANDLING_FORMS}")
    if not item.channels or any(c not in CHANNELS for c in item.channels):
        p.append(f"channels must be a non-empty subset of {CHANNELS}")
    if item.delivery.fee_payer not in ("citizen", "department"):
        p.append("delivery.fee_payer must be citizen or department")
    if item.result_type == "certificate" and not item.result_certificate_type:
        p.append("result_type certificate needs result_certificate_type")
    keys = [m.key for m in item.materials]
    if len(set(keys)) != len(keys):
        p.append("duplicate material keys")
    for m in item.materials:
        if not m.key or not m.name:
            p.append("every material needs key and name")
        if m.max_bytes <= 0 or not m.mime_types:
            p.append(f"material {m.key!r}: mime_types and a positive max_bytes are required")
        if m.copies < 1:
            p.append(f"material {m.key!r}: copies must be >= 1")
    p.extend(validate_form(item.form))
    wf = workflow_of(item)
    p.extend(f"workflow: {problem}" for problem in validate_workflow(wf))
    return p


def validate_form(fields: tuple[FormField, ...]) -> list[str]:
    p: list[str] = []
    keys = [f.key for f in fields]
    if len(set(keys)) != len(keys):
        p.append("duplicate form field keys")
    for f in fields:
        if not f.key or not f.label:
            p.append("every form field needs key and label")
        if f.type not in FIELD_TYPES:
            p.append(f"field {f.key!r}: unknown type {f.type!r}")
        if f.type in ("select", "multiselect") and not f.options:
            p.append(f"field {f.key!r}: a {f.type} needs options")
        if f.when is not None and f.when.field not in keys:
            p.append(f"field {f.key!r}: condition on unknown field {f.when.field!r}")
        if f.pattern:
            try:
                re.compile(f.pattern)
            except re.error:
                p.append(f"field {f.key!r}: invalid pattern")
    return p


def workflow_of(item: ServiceItem) -> Workflow:
    if item.workflow is not None:
        return item.workflow
    return instant_workflow() if item.case_type == "instant" else standard_workflow()


def merged_form(items: list[ServiceItem], extra: tuple[FormField, ...] = ()) -> tuple[FormField, ...]:
    """The bundle's one form: every field once by key (first declaration wins, required if any
    item requires it), then the bundle's own fields."""
    out: dict[str, FormField] = {}
    for f in [*extra, *(f for it in items for f in it.form)]:
        seen = out.get(f.key)
        if seen is None:
            out[f.key] = f
        elif f.required and not seen.required:
            from dataclasses import replace

            out[f.key] = replace(seen, required=True)
    return tuple(out.values())


def validate_bundle(bundle: Bundle, items: dict[str, ServiceItem]) -> list[str]:
    p: list[str] = []
    if not bundle.code or not bundle.name or not bundle.name_en:
        p.append("code, name and name_en are required")
    if len(bundle.items) < 2:
        p.append("a bundle joins at least two items")
    missing = [code for code in bundle.items if code not in items]
    if missing:
        p.append(f"unknown items {missing}")
        return p
    by_key: dict[str, FormField] = {}
    for f in [*bundle.extra_fields, *(f for code in bundle.items for f in items[code].form)]:
        other = by_key.setdefault(f.key, f)
        if other.type != f.type:
            p.append(f"field {f.key!r} has type {other.type!r} in one item and {f.type!r} in another")
    p.extend(validate_form(merged_form([items[c] for c in bundle.items], bundle.extra_fields)))
    return p


@dataclass
class Registry:
    items: dict[str, ServiceItem] = field(default_factory=dict)
    bundles: dict[str, Bundle] = field(default_factory=dict)
    owner: dict[str, str] = field(default_factory=dict)  # implementation/bundle code -> plugin

    def item(self, code: str) -> ServiceItem | None:
        return self.items.get(code)

    def bundle(self, code: str) -> Bundle | None:
        return self.bundles.get(code)


def build_registry(host: PluginHost) -> Registry:
    """Index every plugin's declarations; a plugin with any invalid one contributes none."""
    reg = Registry()
    for plugin, declared in _by_plugin(host.collect("zhushida_services")):
        problems = [p for item in declared if (p := _item_problem(item, reg))]
        codes = [getattr(item, "code", None) for item in declared]
        if len(set(codes)) != len(codes):
            problems.append("the same implementation code declared twice")
        if problems:
            _refuse(host, plugin, "zhushida_services", " | ".join(problems))
            continue
        for item in declared:
            reg.items[item.code] = item
            reg.owner[item.code] = plugin
    for plugin, declared in _by_plugin(host.collect("zhushida_bundles")):
        problems = []
        for bundle in declared:
            if not isinstance(bundle, Bundle):
                problems.append(f"returned {type(bundle).__name__}, expected Bundle")
                continue
            found = validate_bundle(bundle, reg.items)
            if bundle.code in reg.bundles:
                found.append(f"bundle code already declared by {reg.owner[bundle.code]!r}")
            if found:
                problems.append(f"bundle {bundle.code!r}: " + "; ".join(found))
        if problems:
            _refuse(host, plugin, "zhushida_bundles", " | ".join(problems))
            continue
        for bundle in declared:
            reg.bundles[bundle.code] = bundle
            reg.owner[bundle.code] = plugin
    return reg


def _by_plugin(pairs: list[tuple[str, object]]) -> list[tuple[str, list]]:
    grouped: dict[str, list] = {}
    for plugin, value in pairs:
        grouped.setdefault(plugin, []).append(value)
    return list(grouped.items())


def _item_problem(item: object, reg: Registry) -> str | None:
    if not isinstance(item, ServiceItem):
        return f"returned {type(item).__name__}, expected ServiceItem"
    problems = validate_item(item)
    if item.code in reg.items:
        problems.append(f"implementation code already declared by {reg.owner[item.code]!r}")
    if problems:
        return f"item {item.implementation_code!r}: " + "; ".join(problems)
    return None


def _refuse(host: PluginHost, plugin: str, hook: str, problem: str) -> None:
    record = host.records.get(plugin)
    if record is not None:
        host._fail(record, PluginError(plugin, hook, problem))
    else:  # pragma: no cover - every caller comes from the host
        log.error("plugin %r: %s", plugin, problem)


_registry: Registry | None = None


def get_registry() -> Registry:
    global _registry
    if _registry is None:
        _registry = build_registry(get_host())
    return _registry


def reload_registry() -> Registry:
    global _registry
    _registry = None
    return get_registry()
