"""Account merge (``zhushida_account_merged``): orders follow the payer.

A client key is unique per payer: an absorbed order whose key the survivor also used gets the key
``merged:{order id}`` (the absorbed account's sessions end with the merge, so no client of it
retries under the old key)."""

from __future__ import annotations

from payments.models import Order


async def merge_account(from_account_id: int, into_account_id: int) -> None:
    taken = await Order.filter(payer_account_id=into_account_id).values_list("client_key", flat=True)
    for order in await Order.filter(payer_account_id=from_account_id, client_key__in=list(taken)):
        await Order.filter(id=order.id).update(client_key=f"merged:{order.id}")
    await Order.filter(payer_account_id=from_account_id).update(payer_account_id=into_account_id)
