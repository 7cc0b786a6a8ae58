"""Bundles declared by configuration: operators may define 一件事 joining items of any plugins in a
JSON file named by ``ZHUSHIDA_CATALOGUE_BUNDLES_FILE``, without shipping code::

    [{"code": "zz.open_shop", "name": "我要开便利店", "name_en": "Opening a convenience store",
      "items": ["<实施编码>", "<实施编码>"], "category": "一件事", "keywords": ["便利店"],
      "extra_fields": [{"key": "shop_name", "label": "店名", "type": "text", "required": true}]}]

A malformed file stops start-up with the reason (a platform configuration error); the bundles
are then checked like any plugin's (items known, fields consistent).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic_settings import BaseSettings, SettingsConfigDict

from core.catalogue.records import Bundle, FieldOption, FormField


class CatalogueSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ZHUSHIDA_CATALOGUE_", extra="ignore")

    bundles_file: Path | None = None


class BundleConfigError(ValueError):
    pass


def _field(raw: Any, where: str) -> FormField:
    if not isinstance(raw, dict) or not isinstance(raw.get("key"), str) or not isinstance(raw.get("label"), str):
        raise BundleConfigError(f"{where}: a field needs string key and label")
    options = tuple(FieldOption(str(o["value"]), str(o["label"]), str(o.get("label_en", "")))
                    for o in raw.get("options", []))
    return FormField(raw["key"], raw["label"], str(raw.get("label_en", "")), raw.get("type", "text"),
                     required=bool(raw.get("required", False)), options=options)


def parse_bundles(data: Any, source: str = "bundles") -> list[Bundle]:
    if not isinstance(data, list):
        raise BundleConfigError(f"{source}: a JSON list of bundles expected")
    out = []
    for i, raw in enumerate(data):
        where = f"{source}[{i}]"
        if not isinstance(raw, dict):
            raise BundleConfigError(f"{where}: an object expected")
        unknown = set(raw) - {"code", "name", "name_en", "items", "category", "description", "keywords", "extra_fields"}
        if unknown:
            raise BundleConfigError(f"{where}: unknown keys {sorted(unknown)}")
        items = raw.get("items")
        if not isinstance(items, list) or not all(isinstance(c, str) for c in items):
            raise BundleConfigError(f"{where}: items must be a list of implementation codes")
        if not all(isinstance(raw.get(k), str) for k in ("code", "name", "name_en")):
            raise BundleConfigError(f"{where}: code, name and name_en are required strings")
        out.append(Bundle(
            code=raw["code"], name=raw["name"], name_en=raw["name_en"], items=tuple(items),
            category=str(raw.get("category", "")), description=str(raw.get("description", "")),
            keywords=tuple(str(k) for k in raw.get("keywords", [])),
            extra_fields=tuple(_field(f, f"{where}.extra_fields[{j}]") for j, f in enumerate(raw.get("extra_fields", []))),
        ))
    return out


def configured_bundles(settings: CatalogueSettings | None = None) -> list[Bundle]:
    settings = settings or CatalogueSettings()
    if settings.bundles_file is None:
        return []
    path = settings.bundles_file
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise BundleConfigError(f"{path}: {exc}") from exc
    return parse_bundles(data, str(path))
