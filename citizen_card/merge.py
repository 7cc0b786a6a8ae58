"""Account merge (``zhushida_account_merged``): cards (live and past, with their wallets and
history) follow the holder.

At most one live card per person. Two live cards cannot arise from the identity rules (a card
needs a verified ID, an ID number belongs to one account, and two accounts with different ID
numbers are never merged), but should it happen the merge is refused rather than one card
chosen: each may hold money and a physical binding.
"""

from __future__ import annotations

from citizen_card.models import Card
from core.errors import define

TWO_LIVE_CARDS = define(
    "card.merge_two_live_cards", 409,
    "两个账号各有一张在用的市民卡，无法合并，请先注销其中一张或联系客服",
    "Both accounts hold a live citizen card; cancel one of them first or contact support",
)


async def merge_account(from_account_id: int, into_account_id: int) -> None:
    live = Card.filter(state__not="cancelled")
    if await live.filter(holder_id=from_account_id).exists() and await live.filter(holder_id=into_account_id).exists():
        raise TWO_LIVE_CARDS()
    await Card.filter(holder_id=from_account_id).update(holder_id=into_account_id)
