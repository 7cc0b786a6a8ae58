"""The catalogue screen: items and bundles offered in one region on one channel, grouped by
theme, with search by name, keyword, department or pinyin initials (e.g. ``gjj`` → 公积金).

The list for a (region, channel, language) is built from the catalogue registry and the
operators' enablement, cached through :mod:`miniapp_bff.catalogue_cache`, and shared by every
user of that region; what is personal (the "frequent" group) is laid over it per request.
"""

from __future__ import annotations

from typing import Any

from pypinyin import Style, lazy_pinyin

from miniapp_bff import catalogue_cache
from miniapp_bff.channels import Screen
from miniapp_bff.errors import BAD_QUERY
from miniapp_bff.usage import recent_codes

MAX_QUERY = 30
ELDER_ENTRIES = 8
FREQUENT = 4
OTHER_CATEGORY = ("其他", "Other")


def _initials(text: str) -> str:
    return "".join(part[0] for part in lazy_pinyin(text, style=Style.FIRST_LETTER) if part).lower()


def _item_entry(item: Any, english: bool) -> dict[str, Any]:
    return {
        "code": item.code,
        "kind": "item",
        "name": item.name_en if english and item.name_en else item.name,
        "category": item.category or OTHER_CATEGORY[0],
        "department": item.department_name,
        "fee_fen": item.fee_fen,
        "online_depth": item.online_depth,
        "trips": item.trips,
        "min_level": item.min_level,
        "promised_days": item.promised_limit_days,
        "_search": " ".join([item.name, item.name_en.lower(), _initials(item.name), item.department_name,
                             *item.keywords]),
    }


def _bundle_entry(bundle: Any, registry: Any, english: bool) -> dict[str, Any]:
    items = [registry.item(code) for code in bundle.items]
    return {
        "code": bundle.code,
        "kind": "bundle",
        "name": bundle.name_en if english and bundle.name_en else bundle.name,
        "category": bundle.category or OTHER_CATEGORY[0],
        "department": "、".join(sorted({i.department_name for i in items if i is not None})),
        "fee_fen": sum(i.fee_fen for i in items if i is not None),
        "items": list(bundle.items),
        "min_level": max((i.min_level for i in items if i is not None), default=0),
        "_search": " ".join([bundle.name, bundle.name_en.lower(), _initials(bundle.name), *bundle.keywords]),
    }


async def build_offer(region_code: str, channel: str, english: bool) -> list[dict[str, Any]]:
    """Every item and bundle switched on for ``region_code`` and ``channel`` (uncached).

    A bundle is offered only when it is switched on and every one of its items is offered too:
    a citizen must never be able to start a 一件事 that one department cannot take.
    """
    from core.catalogue.enablement import enabled_codes
    from core.catalogue.registry import get_registry

    registry = get_registry()
    enabled = await enabled_codes(region_code, channel)
    entries: list[dict[str, Any]] = []
    for code in sorted(enabled):
        item = registry.item(code)
        if item is not None and channel in item.channels:
            entries.append(_item_entry(item, english))
    offered_items = {entry["code"] for entry in entries}
    for code in sorted(enabled):
        bundle = registry.bundle(code)
        if bundle is not None and all(part in offered_items for part in bundle.items):
            entries.append(_bundle_entry(bundle, registry, english))
    entries.sort(key=lambda e: (e["kind"] != "bundle", e["category"], e["name"]))
    return entries


async def offer(region_code: str, channel: str, english: bool) -> list[dict[str, Any]]:
    """The cached offer of a region and channel in one language."""
    lang = "en" if english else "zh"
    return await catalogue_cache.cached(
        f"offer:{channel}:{region_code}:{lang}", lambda: build_offer(region_code, channel, english)
    )


def public(entry: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in entry.items() if not k.startswith("_")}


def grouped(entries: list[dict[str, Any]], recent: list[str], screen: Screen) -> dict[str, Any]:
    """Frequent first (what this citizen used lately, still offered), then by theme.

    Elder mode: one short list of large entries — frequent ones, then bundles, then the rest —
    with no theme groups to navigate.
    """
    by_code = {e["code"]: e for e in entries}
    frequent = [public(by_code[c]) for c in recent if c in by_code][:FREQUENT]
    if screen.elder:
        seen = {e["code"] for e in frequent}
        rest = [public(e) for e in entries if e["code"] not in seen]
        return {"layout": "elder", "entries": (frequent + rest)[:ELDER_ENTRIES], "total": len(entries)}
    groups: dict[str, list[dict[str, Any]]] = {}
    for entry in entries:
        groups.setdefault(entry["category"], []).append(public(entry))
    return {
        "layout": "standard",
        "frequent": frequent,
        "groups": [{"category": name, "entries": items} for name, items in groups.items()],
        "total": len(entries),
    }


async def catalogue_screen(account_id: int, region_code: str, screen: Screen) -> dict[str, Any]:
    entries = await offer(region_code, screen.channel, screen.english)
    return grouped(entries, await recent_codes(account_id), screen)


def search(entries: list[dict[str, Any]], query: str) -> list[dict[str, Any]]:
    """Entries whose name, keywords, department or pinyin initials contain ``query``.

    Name matches rank before keyword/department matches; order within a rank is the catalogue's.
    """
    q = query.strip().lower()
    if not 1 <= len(q) <= MAX_QUERY:
        raise BAD_QUERY(max_len=MAX_QUERY, details={"length": len(q)})
    by_name, by_other = [], []
    for entry in entries:
        if q in entry["name"].lower():
            by_name.append(public(entry))
        elif q in entry["_search"].lower():
            by_other.append(public(entry))
    return by_name + by_other
