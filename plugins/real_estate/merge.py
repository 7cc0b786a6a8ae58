"""Account merge (``zhushida_account_merged``): transfers follow their buyer and seller (owners
are keyed by ID number, which the merge keeps). A transfer whose buyer and seller turn out to be
the same person stays as it is for the registry staff to refuse."""

from __future__ import annotations

from plugins.real_estate.models import Transfer


async def merge_account(from_account_id: int, into_account_id: int) -> None:
    await Transfer.filter(buyer_account_id=from_account_id).update(buyer_account_id=into_account_id)
    await Transfer.filter(seller_account_id=from_account_id).update(seller_account_id=into_account_id)
