"""Which items are switched on where: per region node and channel, inherited down the tree.

Region codes are 12-digit statistical codes; a node's ancestors are its significant prefixes
(province 2, city 4, county 6, township 9 digits), so inheritance needs no table walk. The
nearest setting wins; at one node a channel-specific row beats the all-channels row ("*").
"""

from __future__ import annotations

from core import errors
from core.auth import Principal, region_within, significant_prefix
from core.catalogue.models import Enablement

ALL_CHANNELS = "*"

REGION_INVALID = errors.define(
    "catalogue.region_invalid", 422, "行政区划代码不正确", "Region code must be 6 or 12 digits"
)


def normalise_region(code: str) -> str:
    if not isinstance(code, str) or not code.isdigit() or len(code) not in (6, 12):
        raise REGION_INVALID(details={"region_code": code})
    return code.ljust(12, "0")


def lineage(region_code: str) -> list[str]:
    """The node itself first, then each ancestor up to the province, as 12-digit codes."""
    code = normalise_region(region_code)
    own = significant_prefix(code)
    out = [code]
    for length in (9, 6, 4, 2):
        if length < len(own):
            ancestor = code[:length].ljust(12, "0")
            if ancestor not in out:
                out.append(ancestor)
    return out


def _decide(rows: list[tuple[str, str, str, bool]], chain: list[str], channel: str) -> dict[str, bool]:
    """rows: (item, region, channel, enabled) → the decision per item for ``channel``."""
    rank = {region: i for i, region in enumerate(chain)}
    best: dict[str, tuple[int, int, bool]] = {}
    for item, region, ch, enabled in rows:
        if ch not in (channel, ALL_CHANNELS):
            continue
        key = (rank[region], 0 if ch == channel else 1, enabled)
        if item not in best or key[:2] < best[item][:2]:
            best[item] = key
    return {item: decision[2] for item, decision in best.items()}


async def effective(region_code: str, channel: str, codes: list[str]) -> dict[str, dict[str, object]]:
    """For each code: whether it is on at ``region_code`` for ``channel`` and which setting
    decided it (region node and channel), or that nothing did (off by default)."""
    chain = lineage(region_code)
    rank = {region: i for i, region in enumerate(chain)}
    rows = await Enablement.filter(region_code__in=chain, item_code__in=codes).values_list(
        "item_code", "region_code", "channel", "enabled")
    out: dict[str, dict[str, object]] = {c: {"enabled": False, "decided_by": None} for c in codes}
    best: dict[str, tuple[int, int]] = {}
    for item, region, ch, enabled in rows:
        if ch not in (channel, ALL_CHANNELS):
            continue
        key = (rank[region], 0 if ch == channel else 1)
        if item not in best or key < best[item]:
            best[item] = key
            out[item] = {"enabled": enabled, "decided_by": {"region_code": region, "channel": ch}}
    return out


async def enabled_codes(region_code: str, channel: str, codes: list[str] | None = None) -> set[str]:
    """Item (and bundle) codes enabled for ``region_code`` and ``channel``."""
    chain = lineage(region_code)
    query = Enablement.filter(region_code__in=chain)
    if codes is not None:
        query = query.filter(item_code__in=codes)
    rows = await query.values_list("item_code", "region_code", "channel", "enabled")
    return {item for item, on in _decide(list(rows), chain, channel).items() if on}


async def is_enabled(code: str, region_code: str, channel: str) -> bool:
    return code in await enabled_codes(region_code, channel, [code])


async def set_enablement(
    principal: Principal, code: str, region_code: str, channel: str, enabled: bool | None
) -> None:
    """Switch ``code`` on/off at ``region_code`` for ``channel`` ("*" for all); None removes the
    node's own setting so the parent's applies again. Operators only inside their region."""
    region = normalise_region(region_code)
    if principal.kind != "admin" and not region_within(region, principal.region_code):
        raise errors.FORBIDDEN(details={"reason": "region outside your scope", "region_code": region})
    if enabled is None:
        await Enablement.filter(item_code=code, region_code=region, channel=channel).delete()
        await _announce_change(code, region, channel)
        return
    updated = await Enablement.filter(item_code=code, region_code=region, channel=channel).update(
        enabled=enabled, updated_by=principal.account_id
    )
    if not updated:
        from tortoise.exceptions import IntegrityError

        try:
            await Enablement.create(
                item_code=code, region_code=region, channel=channel, enabled=enabled, updated_by=principal.account_id
            )
        except IntegrityError:  # a concurrent first write: apply ours over it
            await Enablement.filter(item_code=code, region_code=region, channel=channel).update(
                enabled=enabled, updated_by=principal.account_id
            )
    await _announce_change(code, region, channel)


async def _announce_change(code: str, region_code: str, channel: str) -> None:
    """Tell listeners (e.g. the BFF's shared catalogue cache) after the change is stored."""
    from core.plugins.host import get_host

    await get_host().broadcast("zhushida_catalogue_changed", codes=[code], region_code=region_code, channel=channel)
