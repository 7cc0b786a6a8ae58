"""Checks of the service declarations for the conformance kit (``zhushida plugins check``).

``service_checks(items, bundles)`` takes what a plugin's ``zhushida_services`` and
``zhushida_bundles`` returned and answers ``(ok, check, detail)`` rows in the kit's format:
every item has the national elements and a runnable workflow, every form validates its own
example of empty input with field errors (not an exception), and every bundle's items are known
(its own or, by code, the platform's).
"""

from __future__ import annotations

from typing import Any

from core.catalogue import forms
from core.catalogue.records import Bundle, ServiceItem
from core.catalogue.registry import get_registry, validate_bundle, validate_item


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def service_checks(items: Any, bundles: Any = None) -> list[tuple[bool, str, str]]:
    rows: list[tuple[bool, str, str]] = []
    declared: dict[str, ServiceItem] = {}
    for item in _as_list(items):
        if not isinstance(item, ServiceItem):
            rows.append((False, "zhushida_services returns ServiceItem", type(item).__name__))
            continue
        problems = validate_item(item)
        rows.append((not problems, f"item {item.code} has the national elements and a runnable workflow",
                     "; ".join(problems)))
        try:
            _cleaned, errors = forms.validate(item.form, {})
            required = {f.key for f in item.form if f.required and f.when is None}
            missing = required - {e.field for e in errors}
            rows.append((not missing, f"item {item.code} form validates (empty input lists every required field)",
                         f"not reported: {sorted(missing)}" if missing else ""))
        except Exception as exc:  # a form that crashes the validator is a broken declaration
            rows.append((False, f"item {item.code} form validates", f"{type(exc).__name__}: {exc}"))
        declared[item.code] = item
    known = {**get_registry().items, **declared}
    for bundle in _as_list(bundles):
        if not isinstance(bundle, Bundle):
            rows.append((False, "zhushida_bundles returns Bundle", type(bundle).__name__))
            continue
        problems = validate_bundle(bundle, known)
        rows.append((not problems, f"bundle {bundle.code} is consistent", "; ".join(problems)))
    return rows
