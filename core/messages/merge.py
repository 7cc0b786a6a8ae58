"""Account merge (``zhushida_account_merged``): the message centre follows the citizen.

Channel settings: where both accounts chose for the same kind, the surviving account's choice
stands. WeChat subscribe-message grants are counts of sends the user allowed per template: they
add up."""

from __future__ import annotations

from tortoise.expressions import F

from core.messages.models import ChannelSetting, Message, WeChatGrant


async def merge_account(from_account_id: int, into_account_id: int) -> None:
    await Message.filter(account_id=from_account_id).update(account_id=into_account_id)

    kept = await ChannelSetting.filter(account_id=into_account_id).values_list("kind", flat=True)
    await ChannelSetting.filter(account_id=from_account_id, kind__in=list(kept)).delete()
    await ChannelSetting.filter(account_id=from_account_id).update(account_id=into_account_id)

    for grant in await WeChatGrant.filter(account_id=from_account_id):
        if await WeChatGrant.filter(account_id=into_account_id, template_id=grant.template_id).update(
                remaining=F("remaining") + grant.remaining):
            await grant.delete()
    await WeChatGrant.filter(account_id=from_account_id).update(account_id=into_account_id)
