"""Catalogue HTTP API: public listing and detail, the citizen's prefilled form, and the
operators' enablement switches (guarded by region)."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request, get, put
from litestar.params import FromPath, FromQuery, JSONBody

from core import errors
from core.auth import principal_of, region_within, requires
from core.cases.errors import BUNDLE_NOT_FOUND, ITEM_NOT_FOUND
from core.catalogue import service
from core.catalogue.enablement import (
    ALL_CHANNELS,
    effective,
    lineage,
    normalise_region,
    set_enablement,
)
from core.catalogue.models import Enablement
from core.catalogue.records import CHANNELS
from core.catalogue.registry import get_registry

OPERATOR = requires("operator", "admin")
CITIZEN = requires("citizen")


class EnablementBody(msgspec.Struct, forbid_unknown_fields=True):
    code: str
    region_code: str
    enabled: bool | None
    channel: str = ALL_CHANNELS


def _region_and_channel(request: Request, region_code: str | None, channel: str | None) -> tuple[str | None, str | None]:
    """Citizens see their own region and channel unless they name another region; anonymous
    callers must name one; operators may list everything declared (no region)."""
    user = request.scope.get("user")
    if channel is not None and channel not in CHANNELS:
        raise errors.BAD_REQUEST(details={"channel": f"one of {list(CHANNELS)}"})
    if user is not None and user.kind == "citizen":
        return normalise_region(region_code or user.region_code or ""), channel or user.channel
    if user is not None and user.kind in ("operator", "admin"):
        return (normalise_region(region_code) if region_code else None), channel
    if not region_code:
        raise errors.BAD_REQUEST(details={"region_code": "required"})
    return normalise_region(region_code), channel or "app"


def catalogue_routes() -> list:
    @get("/catalogue", summary="Items and bundles for a region and channel: filter and search (汉字, pinyin, initials)")
    async def list_items(
        request: Request, region_code: FromQuery[str | None] = None, channel: FromQuery[str | None] = None,
        department: FromQuery[str | None] = None, category: FromQuery[str | None] = None,
        q: FromQuery[str | None] = None, item_type: FromQuery[str | None] = None,
    ) -> dict[str, Any]:
        region, ch = _region_and_channel(request, region_code, channel)
        return await service.list_catalogue(region_code=region, channel=ch, department=department,
                                            category=category, q=q, item_type=item_type)

    @get("/catalogue/items/{code:str}", summary="An item with all its national elements and its form schema")
    async def item_detail(code: FromPath[str]) -> dict[str, Any]:
        item = get_registry().item(code)
        if item is None:
            raise ITEM_NOT_FOUND(details={"item_code": code})
        return service.item_detail(item)

    @get("/catalogue/items/{code:str}/form", guards=[CITIZEN], summary="The citizen's form: prefilled values and reusable certificates")
    async def item_form(request: Request, code: FromPath[str]) -> dict[str, Any]:
        item = get_registry().item(code)
        if item is None:
            raise ITEM_NOT_FOUND(details={"item_code": code})
        return await service.form_for(principal_of(request).subject_id, item)

    @get("/catalogue/bundles/{code:str}", summary="A bundle (一件事) with its items")
    async def bundle_detail(code: FromPath[str]) -> dict[str, Any]:
        bundle = get_registry().bundle(code)
        if bundle is None:
            raise BUNDLE_NOT_FOUND(details={"bundle_code": code})
        return service.bundle_summary(bundle)

    @get("/catalogue/bundles/{code:str}/form", guards=[CITIZEN], summary="The bundle's one merged form, prefilled")
    async def bundle_form(request: Request, code: FromPath[str]) -> dict[str, Any]:
        bundle = get_registry().bundle(code)
        if bundle is None:
            raise BUNDLE_NOT_FOUND(details={"bundle_code": code})
        return await service.bundle_form_for(principal_of(request).subject_id, bundle)

    @put("/catalogue/enablement", guards=[OPERATOR], status_code=200,
         summary="Switch an item or bundle on/off at a region node for a channel (null: inherit)")
    async def put_enablement(request: Request, data: JSONBody[EnablementBody]) -> dict[str, Any]:
        reg = get_registry()
        if data.code not in reg.items and data.code not in reg.bundles:
            raise ITEM_NOT_FOUND(details={"item_code": data.code})
        if data.channel != ALL_CHANNELS and data.channel not in CHANNELS:
            raise errors.BAD_REQUEST(details={"channel": f"'*' or one of {list(CHANNELS)}"})
        await set_enablement(principal_of(request), data.code, data.region_code, data.channel, data.enabled)
        return {"code": data.code, "region_code": normalise_region(data.region_code), "channel": data.channel,
                "enabled": data.enabled}

    @get("/catalogue/enablement", guards=[OPERATOR], summary="Enablement rows in the operator's region, and the effective state at a region")
    async def get_enablement(request: Request, code: FromQuery[str | None] = None,
                             region_code: FromQuery[str | None] = None) -> dict[str, Any]:
        principal = principal_of(request)
        query = Enablement.all()
        if code:
            query = query.filter(item_code=code)
        if region_code:
            query = query.filter(region_code__in=lineage(region_code))
        rows = [r for r in await query.order_by("item_code", "region_code", "channel")
                if principal.kind == "admin" or region_within(r.region_code, principal.region_code)
                or (region_code and r.region_code in lineage(region_code))]
        return {"rows": [{"code": r.item_code, "region_code": r.region_code, "channel": r.channel,
                          "enabled": r.enabled, "updated_by": r.updated_by,
                          "updated_at": r.updated_at.isoformat()} for r in rows]}

    @get("/catalogue/enablement/effective", guards=[OPERATOR],
         summary="Every declared item and bundle: on or off at a region for a channel, and which setting decided")
    async def effective_enablement(request: Request, region_code: FromQuery[str],
                                   channel: FromQuery[str] = "app") -> dict[str, Any]:
        principal = principal_of(request)
        region = normalise_region(region_code)
        if principal.kind != "admin" and not region_within(region, principal.region_code):
            raise errors.NOT_FOUND()
        if channel not in CHANNELS:
            raise errors.BAD_REQUEST(details={"channel": f"one of {list(CHANNELS)}"})
        reg = get_registry()
        decided = await effective(region, channel, [*reg.items, *reg.bundles])
        return {"region_code": region, "channel": channel, "entries": [
            {"code": code, "kind": "bundle" if code in reg.bundles else "item",
             "name": (reg.bundles[code] if code in reg.bundles else reg.items[code]).name, **state}
            for code, state in decided.items()]}

    return [list_items, item_detail, item_form, bundle_detail, bundle_form, put_enablement, get_enablement,
            effective_enablement]
