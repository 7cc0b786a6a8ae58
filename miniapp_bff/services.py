"""The service detail screen (办事指南 + 表单): elements, the form schema with what the platform
already knows filled in (免填写), and per material the citizen's e-certificates that replace the
upload (免提交) — one request before the "apply" button."""

from __future__ import annotations

from typing import Any

from core import errors
from core.auth import Principal
from miniapp_bff.channels import Screen
from miniapp_bff.errors import SERVICE_NOT_OFFERED
from miniapp_bff.usage import note_use


def _localise_fields(fields: list[dict[str, Any]], screen: Screen) -> list[dict[str, Any]]:
    out = []
    for f in fields:
        f = dict(f)
        if screen.english and f.get("label_en"):
            f["label"] = f["label_en"]
        if screen.english and f.get("help_en"):
            f["help"] = f["help_en"]
        if f.get("options"):
            f["options"] = [{**o, "label": o.get("label_en") or o["label"]} if screen.english else o for o in f["options"]]
        out.append(f)
    return out


def _localise_materials(materials: list[dict[str, Any]], screen: Screen) -> list[dict[str, Any]]:
    out = []
    for m in materials:
        m = dict(m)
        if screen.english:
            m["name"] = m.get("name_en") or m["name"]
        m["covered_by_certificate"] = bool(m.get("certificates"))
        out.append(m)
    return out


async def _offered(code: str, region: str | None, channel: str) -> bool:
    if region is None:
        return False
    from core.catalogue.enablement import enabled_codes

    return code in await enabled_codes(region, channel, [code])


async def service_screen(principal: Principal, region: str | None, code: str, screen: Screen) -> dict[str, Any]:
    """An item or a bundle (bundle codes and item codes never collide: different shapes)."""
    from core.catalogue import service
    from core.catalogue.registry import get_registry

    registry = get_registry()
    item, bundle = registry.item(code), registry.bundle(code)
    if item is None and bundle is None:
        raise errors.NOT_FOUND(details={"code": code[:80]})
    if not await _offered(code, region, screen.channel) or (item is not None and screen.channel not in item.channels):
        raise SERVICE_NOT_OFFERED(details={"code": code, "region_code": region, "channel": screen.channel})
    subject = principal.subject_id
    if item is not None:
        detail = service.item_detail(item)
        form = await service.form_for(subject, item)
        body: dict[str, Any] = {
            "kind": "item",
            "code": code,
            "name": screen.text(item.name, item.name_en),
            "detail": detail,
            "fields": _localise_fields(form["fields"], screen),
            "values": form["values"],
            "prefilled": form["prefilled"],
            "materials": _localise_materials(form["materials"], screen),
            "delivery": form["delivery"],
            "pickup": form["pickup"],
            "min_level": item.min_level,
        }
        min_level = item.min_level
    else:
        form = await service.bundle_form_for(subject, bundle)
        body = {
            "kind": "bundle",
            "code": code,
            "name": screen.text(bundle.name, bundle.name_en),
            "detail": form["bundle"],
            "fields": _localise_fields(form["fields"], screen),
            "values": form["values"],
            "prefilled": form["prefilled"],
            "items": [{**entry, "materials": _localise_materials(entry["materials"], screen)} for entry in form["items"]],
        }
        min_level = form["bundle"]["min_level"]
        body["min_level"] = min_level
    body["can_apply"] = principal.level >= min_level
    body["acting_for"] = principal.acting_for
    if principal.acting_for is not None and principal.proxy_scope is not None and item is not None:
        body["can_apply"] = body["can_apply"] and item.basic_code in principal.proxy_scope
    await note_use(subject, code)
    return body
