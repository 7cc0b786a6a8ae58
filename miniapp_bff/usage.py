"""What a citizen used lately, so the home screen and catalogue can put it first ("frequent").

Kept in the shared store (Redis in production) per account: the last few service codes opened or
applied for, most recent first. Losing it costs only the ordering.
"""

from __future__ import annotations

import msgspec

from core import changes
from core.stores import get_stores

NAMESPACE = "bff.usage"
KEEP = 8
TTL = 180 * 24 * 3600


async def recent_codes(account_id: int) -> list[str]:
    raw = await get_stores()(NAMESPACE).get(f"u:{account_id}")
    return list(msgspec.json.decode(raw)) if raw else []


async def note_use(account_id: int, code: str) -> None:
    before = await recent_codes(account_id)
    codes = [code, *(c for c in before if c != code)][:KEEP]
    await get_stores()(NAMESPACE).set(f"u:{account_id}", msgspec.json.encode(codes), expires_in=TTL)
    if codes != before:
        changes.publish("account", account_id)  # the home screen's "frequent" order changed
