"""The region tree (city → county/district → township/street → village/community) by 12-digit code.

Codes follow GB/T 2260 for the first six digits and the national statistical division codes for
the rest: ``430281000000`` 醴陵市, ``430281001000`` one of its streets, ``430281001001`` a
community under it. A code's level is read from its trailing zeros.
"""

from __future__ import annotations

import re

from core import errors
from core.auth import region_within
from core.identity.models import Region, RegionLevel

CODE = re.compile(r"^\d{12}$")

REGION_NOT_FOUND = errors.define(
    "identity.region_not_found",
    404,
    "所选地区不存在，请从地区列表中重新选择",
    "The region does not exist; choose one from the region list",
)
BAD_REGION_CODE = errors.define(
    "identity.region_code_invalid",
    400,
    "地区代码格式不正确（应为 6 位或 12 位数字）",
    "The region code is malformed (6 or 12 digits expected)",
)


def normalize_code(value: object) -> str:
    """A 12-digit code from a 6- or 12-digit input."""
    raw = str(value or "").strip()
    if re.fullmatch(r"\d{6}", raw):
        raw += "000000"
    if not CODE.match(raw):
        raise BAD_REGION_CODE(details={"code": raw[:32]})
    return raw


def level_of(code: str) -> RegionLevel:
    if code[2:] == "0" * 10:
        return RegionLevel.PROVINCE
    if code[4:] == "0" * 8:
        return RegionLevel.CITY
    if code[6:] == "0" * 6:
        return RegionLevel.COUNTY
    if code[9:] == "000":
        return RegionLevel.TOWNSHIP
    return RegionLevel.VILLAGE


def parent_of(code: str) -> str | None:
    level = level_of(code)
    if level is RegionLevel.PROVINCE:
        return None
    if level is RegionLevel.CITY:
        return code[:2] + "0" * 10
    if level is RegionLevel.COUNTY:
        return code[:4] + "0" * 8
    if level is RegionLevel.TOWNSHIP:
        return code[:6] + "0" * 6
    return code[:9] + "000"


async def require_region(value: object) -> Region:
    """The region for an input code, or a 4xx the person can act on."""
    code = normalize_code(value)
    region = await Region.get_or_none(code=code)
    if region is None:
        raise REGION_NOT_FOUND(details={"code": code})
    return region


async def ancestors(code: str) -> list[Region]:
    """The region and every region above it that exists, from the top down."""
    chain: list[str] = []
    current: str | None = code
    while current:
        chain.append(current)
        current = parent_of(current)
    found = {r.code: r for r in await Region.filter(code__in=chain)}
    return [found[c] for c in reversed(chain) if c in found]


async def children(code: str) -> list[Region]:
    return await Region.filter(parent_code=code).order_by("code")


def is_within(code: str | None, root: str | None) -> bool:
    return region_within(code, root)


async def upsert(
    code: str, name: str, *, level: RegionLevel | None = None, parent_code: str | None = None
) -> Region:
    code = normalize_code(code)
    level = level or level_of(code)
    parent_code = parent_code if parent_code is not None else parent_of(code)
    region = await Region.get_or_none(code=code)
    if region is None:
        return await Region.create(code=code, name=name, level=level, parent_code=parent_code)
    if (region.name, region.level, region.parent_code) != (name, level, parent_code):
        region.name, region.level, region.parent_code = name, level, parent_code
        await region.save()
    return region
