"""Demo data of the catalogue (``zhushida seed demo``): every declared item and bundle switched on
for the demo city on all channels, unless an operator already decided for that city."""

from __future__ import annotations

from core.catalogue.enablement import ALL_CHANNELS
from core.catalogue.models import Enablement
from core.catalogue.registry import reload_registry

DEMO_CITY = "430200000000"  # 株洲市


async def enable_everything_in_demo_city(region_code: str = DEMO_CITY) -> int:
    reg = reload_registry()
    created = 0
    for code in [*reg.items, *reg.bundles]:
        _row, made = await Enablement.get_or_create(item_code=code, region_code=region_code, channel=ALL_CHANNELS,
                                                    defaults={"enabled": True})
        created += int(made)
    return created
