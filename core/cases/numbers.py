"""Readable case numbers, unique per region and day: ``430281-20261123-00042``.

The counter row of a (region, day) is incremented inside the submitting transaction, so a
failed submission leaves at most a gap, never a duplicate; concurrent submitters queue on the
row lock (PostgreSQL) or on the database write lock (SQLite).
"""

from __future__ import annotations

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F

from core.auth import significant_prefix
from core.cases.clock import local_date
from core.cases.models import CaseCounter
from core.db import transaction


async def next_number(region_code: str, *, prefix: str = "") -> str:
    scope = significant_prefix(region_code)
    day = local_date().strftime("%Y%m%d")
    for _ in range(5):
        if await CaseCounter.filter(scope=scope, day=day).update(value=F("value") + 1):
            row = await CaseCounter.get(scope=scope, day=day)
            return f"{prefix}{scope}-{day}-{row.value:05d}"
        try:
            async with transaction():  # a savepoint: a lost race must not poison the outer one
                await CaseCounter.create(scope=scope, day=day, value=1)
            return f"{prefix}{scope}-{day}-00001"
        except IntegrityError:
            continue
    raise RuntimeError("case counter contention did not settle")
