"""Catalogue queries: list, filter, Chinese search (characters, full pinyin, pinyin initials),
item detail with every national element, and the form a citizen is shown (prefilled, with the
e-certificates that replace uploads)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from pypinyin import Style, lazy_pinyin

from core.catalogue import forms
from core.catalogue.enablement import enabled_codes
from core.catalogue.records import ITEM_TYPES, LEVEL_CODES, Bundle, ServiceItem
from core.catalogue.registry import get_registry, merged_form, workflow_of


@dataclass(frozen=True)
class SearchKeys:
    text: str  # lower-cased characters of name, keywords, category, department
    full: str  # full pinyin without tones, concatenated
    initials: str  # pinyin initials, concatenated ("gjj" for 公积金)


@lru_cache(maxsize=4096)
def _keys(*parts: str) -> SearchKeys:
    text = " ".join(p for p in parts if p).lower()
    full = "".join(lazy_pinyin(text, errors="ignore")).replace(" ", "")
    initials = "".join(lazy_pinyin(text, style=Style.FIRST_LETTER, errors="ignore")).replace(" ", "")
    return SearchKeys(text, full.lower(), initials.lower())


def _item_keys(item: ServiceItem) -> SearchKeys:
    return _keys(item.name, item.category, item.department_name, item.situation, *item.keywords)


def score(query: str, keys: SearchKeys, name: str) -> int:
    """0 = no match; higher is better: name contains > text contains > pinyin > initials."""
    q = query.strip().lower().replace(" ", "")
    if not q:
        return 1
    if q in name.lower():
        return 40
    if q in keys.text.replace(" ", ""):
        return 30
    if q.isascii() and q.isalpha():
        if keys.full.startswith(q) or q in keys.full:
            return 20
        if q in keys.initials:
            return 10
    return 0


def item_summary(item: ServiceItem) -> dict[str, Any]:
    return {
        "code": item.code, "basic_code": item.basic_code, "name": item.name, "name_en": item.name_en,
        "item_type": item.item_type, "item_type_name": ITEM_TYPES[item.item_type][0],
        "department_code": item.department_code, "department_name": item.department_name, "category": item.category,
        "case_type": item.case_type, "promised_limit_days": item.promised_limit_days, "fee_fen": item.fee_fen,
        "trips": item.trips, "online_depth": item.online_depth, "min_level": item.min_level,
    }


def item_detail(item: ServiceItem) -> dict[str, Any]:
    wf = workflow_of(item)
    return {
        **item_summary(item),
        "implementation_code": item.implementation_code, "implementing_body": item.implementing_body,
        "level_code": item.level_code, "level_name": LEVEL_CODES.get(item.level_code, ""),
        "situation": item.situation, "basis": item.basis, "conditions": item.conditions,
        "legal_limit_days": item.legal_limit_days, "fee_basis": item.fee_basis,
        "result_type": item.result_type, "result_name": item.result_name,
        "result_certificate_type": item.result_certificate_type,
        "delivery": {"window": item.delivery.window, "courier": item.delivery.courier,
                     "pickup": item.delivery.pickup, "electronic": item.delivery.electronic,
                     "fee_payer": item.delivery.fee_payer},
        "handling_forms": list(item.handling_forms), "channels": list(item.channels),
        "cross_region": item.cross_region, "place": item.place, "hours": item.hours,
        "consult_phone": item.consult_phone, "complaint_phone": item.complaint_phone,
        "faq": [{"q": q, "a": a} for q, a in item.faq], "version": item.version,
        "materials": [material_view(m) for m in item.materials],
        "form": forms.form_schema(item.form),
        "workflow": {"name": wf.name, "states": [{"name": s.name, "label": s.label, "label_en": s.label_en,
                                                  "status_code": s.status_code} for s in wf.states]},
    }


def material_view(m: Any) -> dict[str, Any]:
    return {
        "key": m.key, "name": m.name, "name_en": m.name_en or m.name, "required": m.required, "form": m.form,
        "source": m.source, "copies": m.copies, "mime_types": list(m.mime_types), "max_bytes": m.max_bytes,
        "certificate_types": list(m.certificate_types), "tolerable": m.tolerable,
        "commitment_allowed": m.commitment_allowed, "blank_form_url": m.blank_form_url, "sample_url": m.sample_url,
        "acceptance_standard": m.acceptance_standard, "basis": m.basis, "notes": m.notes,
    }


def bundle_summary(bundle: Bundle) -> dict[str, Any]:
    reg = get_registry()
    items = [reg.items[c] for c in bundle.items]
    return {
        "code": bundle.code, "name": bundle.name, "name_en": bundle.name_en, "category": bundle.category,
        "description": bundle.description, "items": [item_summary(i) for i in items],
        "fee_fen": sum(i.fee_fen for i in items), "min_level": max(i.min_level for i in items),
        "departments": sorted({i.department_name for i in items}),
    }


async def list_catalogue(
    *, region_code: str | None, channel: str | None, department: str | None = None, category: str | None = None,
    q: str | None = None, item_type: str | None = None,
) -> dict[str, Any]:
    """Items and bundles matching the filters; with a region and channel, only what is enabled
    there (what a citizen may apply for). Best search matches first."""
    reg = get_registry()
    items = list(reg.items.values())
    bundles = list(reg.bundles.values())
    if region_code is not None:
        on = await enabled_codes(region_code, channel or "*", [*reg.items, *reg.bundles])
        items = [i for i in items if i.code in on and (channel is None or channel in i.channels)]
        bundles = [b for b in bundles if b.code in on and all(reg.items[c].code in on for c in b.items)]
    if department:
        items = [i for i in items if i.department_code == department]
        bundles = [b for b in bundles if any(reg.items[c].department_code == department for c in b.items)]
    if category:
        items = [i for i in items if i.category == category]
        bundles = [b for b in bundles if b.category == category]
    if item_type:
        items = [i for i in items if i.item_type == item_type]
    ranked = [(score(q or "", _item_keys(i), i.name), i) for i in items]
    ranked_b = [(score(q or "", _keys(b.name, b.category, *b.keywords), b.name), b) for b in bundles]
    ranked = sorted((r for r in ranked if r[0]), key=lambda r: (-r[0], r[1].name))
    ranked_b = sorted((r for r in ranked_b if r[0]), key=lambda r: (-r[0], r[1].name))
    return {
        "items": [item_summary(i) for _s, i in ranked],
        "bundles": [bundle_summary(b) for _s, b in ranked_b],
        "departments": sorted({(i.department_code, i.department_name) for _s, i in ranked}),
        "categories": sorted({i.category for _s, i in ranked if i.category}),
    }


async def form_for(account_id: int, item: ServiceItem) -> dict[str, Any]:
    """The form a citizen fills: schema, prefilled values (sensitive ones masked) and, per
    material, the citizen's e-certificates that replace the upload."""
    from core.cases.application import prefill_values, reusable_certificates

    prefilled = await prefill_values(account_id, item)
    by_key = {f.key: f for f in item.form}
    materials = []
    for m in item.materials:
        certs = [c for c in await reusable_certificates(account_id, item, m) if c.valid]
        materials.append({**material_view(m), "certificates": [
            {"certificate_id": c.certificate_id, "type_code": c.type_code, "identifier": c.identifier, "title": c.title}
            for c in certs]})
    return {
        "item": item_summary(item), "fields": forms.form_schema(item.form),
        "values": {k: forms.mask_field(by_key[k], v) for k, v in prefilled.items()},
        "prefilled": sorted(prefilled), "materials": materials,
        "delivery": list(item.delivery.methods()), "pickup": item.delivery.pickup,
    }


async def bundle_form_for(account_id: int, bundle: Bundle) -> dict[str, Any]:
    reg = get_registry()
    items = [reg.items[c] for c in bundle.items]
    fields = merged_form(items, bundle.extra_fields)
    per_item = [await form_for(account_id, i) for i in items]
    values: dict[str, Any] = {}
    for f in per_item:
        for k, v in f["values"].items():
            values.setdefault(k, v)
    return {
        "bundle": bundle_summary(bundle), "fields": forms.form_schema(fields), "values": values,
        "prefilled": sorted(values),
        "items": [{"code": i.code, "name": i.name, "materials": f["materials"], "delivery": f["delivery"]}
                  for i, f in zip(items, per_item, strict=True)],
    }
