"""The citizen's address book: validated (phone, region in the identity region tree, street
address), encrypted at rest, masked when listed, only ever the citizen's own."""

from __future__ import annotations

from typing import Any

from core import errors
from core.db import transaction
from core.identity import api as identity
from core.identity.pii import normalize_name, normalize_phone
from core.identity.regions import normalize_code
from delivery import errors as delivery_errors
from delivery.config import delivery_settings
from delivery.models import Address
from delivery.pii import mask_detail, mask_name, mask_phone, seal, unseal

MAX_ADDRESSES = 20
ADDRESS_LEVELS = ("county", "township", "village")


def in_service_area(region_code: str) -> bool:
    return any(identity.is_region_within(region_code, root.ljust(12, "0")) for root in delivery_settings().service_area)


async def _validated(data: dict[str, Any]) -> dict[str, Any]:
    name = normalize_name(data.get("name"))
    phone = normalize_phone(data.get("phone"))
    code = normalize_code(data.get("region_code"))
    region = await identity.get_region(code)
    if region is None:
        raise delivery_errors.ADDRESS_INVALID(reason="地区代码不存在", reason_en="unknown region code",
                                              details={"field": "region_code", "code": code})
    if region.level not in ADDRESS_LEVELS:
        raise delivery_errors.ADDRESS_INVALID(reason="请选择到区县及以下", reason_en="choose a county or a lower level",
                                              details={"field": "region_code", "level": region.level})
    detail = " ".join(str(data.get("detail") or "").split())
    if not 4 <= len(detail) <= 120:
        raise delivery_errors.ADDRESS_INVALID(reason="详细地址应为 4-120 个字", reason_en="the street address needs 4-120 characters",
                                              details={"field": "detail"})
    label = str(data.get("label") or "")[:16]
    return {"name": name, "phone": phone, "region_code": code, "detail": detail, "label": label}


def _apply(address: Address, values: dict[str, Any]) -> None:
    address.label = values["label"]
    address.name_enc = seal(values["name"], column="address.name")
    address.phone_enc = seal(values["phone"], column="address.phone")
    address.region_code = values["region_code"]
    address.detail_enc = seal(values["detail"], column="address.detail")


def clear(address: Address) -> dict[str, str]:
    """The entry in clear text (for the courier order only)."""
    return {
        "name": unseal(address.name_enc, column="address.name"),
        "phone": unseal(address.phone_enc, column="address.phone"),
        "region_code": address.region_code,
        "detail": unseal(address.detail_enc, column="address.detail"),
    }


async def view(address: Address) -> dict[str, Any]:
    plain = clear(address)
    path = await identity.region_path(address.region_code)
    return {
        "id": address.id,
        "label": address.label,
        "name": mask_name(plain["name"]),
        "phone": mask_phone(plain["phone"]),
        "region_code": address.region_code,
        "region_name": "".join(r.name for r in path if r.level != "province"),
        "detail": mask_detail(plain["detail"]),
        "is_default": address.is_default,
        "in_service_area": in_service_area(address.region_code),
    }


async def list_addresses(account_id: int) -> list[Address]:
    return await Address.filter(account_id=account_id).order_by("-is_default", "id")


async def get_own(account_id: int, address_id: int) -> Address:
    address = await Address.get_or_none(id=address_id, account_id=account_id)
    if address is None:
        raise errors.NOT_FOUND()
    return address


async def create(account_id: int, data: dict[str, Any]) -> Address:
    values = await _validated(data)
    async with transaction():
        existing = await Address.filter(account_id=account_id).select_for_update().count()
        if existing >= MAX_ADDRESSES:
            raise delivery_errors.ADDRESS_BOOK_FULL(limit=MAX_ADDRESSES)
        default = bool(data.get("is_default")) or existing == 0
        if default:
            await Address.filter(account_id=account_id, is_default=True).update(is_default=False)
        address = Address(account_id=account_id, is_default=default)
        _apply(address, values)
        await address.save()
    return address


async def update(account_id: int, address_id: int, data: dict[str, Any]) -> Address:
    values = await _validated(data)
    async with transaction():
        address = await Address.filter(id=address_id, account_id=account_id).select_for_update().first()
        if address is None:
            raise errors.NOT_FOUND()
        if data.get("is_default") and not address.is_default:
            await Address.filter(account_id=account_id, is_default=True).update(is_default=False)
            address.is_default = True
        _apply(address, values)
        await address.save()
    return address


async def delete(account_id: int, address_id: int) -> None:
    """Shipments keep their own snapshot, so deleting an entry never touches a parcel."""
    async with transaction():
        address = await Address.filter(id=address_id, account_id=account_id).select_for_update().first()
        if address is None:
            raise errors.NOT_FOUND()
        await address.delete()
        if address.is_default:
            successor = await Address.filter(account_id=account_id).order_by("id").first()
            if successor is not None:
                successor.is_default = True
                await successor.save(update_fields=["is_default", "updated_at"])
