"""Where a citizen can be reached: their mini-program openid and their phone (from identity)."""

from __future__ import annotations


async def wechat_openid(account_id: int) -> str | None:
    # identity's public API has no openid accessor yet: the column is read here, in one place.
    from core.identity.models import Account

    row = await Account.filter(id=account_id).values_list("wechat_openid", flat=True)
    return row[0] if row else None


async def phone(account_id: int) -> str | None:
    from core.identity import api as identity

    data = await identity.read_personal_data(
        account_id, reader="plugin:core.messages", purpose="发送短信通知 (SMS notification)", fields=("phone",),
    )
    return data.phone if data else None
