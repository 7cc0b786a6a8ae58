"""Account merge (``zhushida_account_merged``): the address book and parcels follow the citizen.
The surviving account's default address stays the default (one default per book); the book may
exceed its limit until the citizen removes addresses (nothing is dropped)."""

from __future__ import annotations

from delivery.models import Address, Shipment


async def merge_account(from_account_id: int, into_account_id: int) -> None:
    if await Address.filter(account_id=into_account_id, is_default=True).exists():
        await Address.filter(account_id=from_account_id, is_default=True).update(is_default=False)
    await Address.filter(account_id=from_account_id).update(account_id=into_account_id)
    await Shipment.filter(account_id=from_account_id).update(account_id=into_account_id)
