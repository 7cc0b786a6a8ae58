"""Citizen login on both channels and phone linking (one person, one account).

* App: phone + SMS code → the account with that phone (created at level 1 when new).
* Mini-program: ``wx.login`` code → code2session (wechatpy, sandbox offline) → the account with
  that openid/unionid (created at level 0 when new).
* Linking a phone to a mini-program account: if another account already holds the phone, the two
  are merged into one (:func:`core.identity.merge.merge_accounts`, with every area's rows), never
  left as two accounts of one person.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q
from wechatpy.exceptions import WeChatClientException

from core import errors
from core.auth import Principal
from core.identity import sessions
from core.identity.accounts import citizen_principal, find_by_phone, now, set_phone
from core.identity.merge import merge_accounts
from core.identity.models import Account, AccountStatus
from core.settings import get_settings

log = logging.getLogger("zhushida.identity")

WECHAT_CODE_INVALID = errors.define(
    "identity.wechat_code_invalid",
    400,
    "微信登录凭证无效或已使用，请重新进入小程序登录",
    "The WeChat login code is invalid or already used; open the mini-program and sign in again",
)
WECHAT_UNAVAILABLE = errors.define(
    "identity.wechat_unavailable",
    503,
    "微信服务暂时不可用，请稍后再试",
    "WeChat is temporarily unavailable; try again later",
)
ACCOUNT_DISABLED = errors.define(
    "identity.account_disabled",
    403,
    "账号已停用，请联系客服",
    "The account is disabled; contact support",
)


async def _session_for(account: Account, channel: str) -> tuple[Account, sessions.TokenPair]:
    if account.status == AccountStatus.DISABLED:
        raise ACCOUNT_DISABLED()
    return account, await sessions.open_session(citizen_principal(account, channel=channel))


async def login_with_phone(
    phone: str, *, channel: str = "app"
) -> tuple[Account, sessions.TokenPair, bool]:
    """After the SMS code was checked: the account of ``phone`` (created if new) and a session."""
    account = await find_by_phone(phone)
    created = False
    if account is None:
        account = Account(level=1, phone_verified_at=now())
        set_phone(account, phone)
        try:
            await account.save()
            created = True
        except IntegrityError as exc:  # a concurrent first login with the same phone won
            account = await find_by_phone(phone)
            if account is None:
                raise errors.CONFLICT() from exc
    account = await _follow_merge(account)
    account, pair = await _session_for(account, channel)
    return account, pair, created


async def code_to_session(js_code: str) -> dict:
    from core.integrations.wechat import wechat_client

    client = wechat_client(get_settings())
    try:
        # wechatpy is synchronous; the sandbox may be served by this process's own event loop.
        return await asyncio.to_thread(client.wxa.code_to_session, js_code)
    except WeChatClientException as exc:
        if exc.errcode in (40029, 40163, 40226):
            raise WECHAT_CODE_INVALID(details={"errcode": exc.errcode}) from exc
        log.warning("code2session failed: %s", exc)
        raise WECHAT_UNAVAILABLE(details={"errcode": exc.errcode}) from exc
    except Exception as exc:  # network errors surface from requests
        log.warning("code2session unreachable: %s", exc)
        raise WECHAT_UNAVAILABLE() from exc


async def login_with_wechat(js_code: str) -> tuple[Account, sessions.TokenPair, bool]:
    if not isinstance(js_code, str) or not js_code.strip() or len(js_code) > 128:
        raise WECHAT_CODE_INVALID()
    result = await code_to_session(js_code.strip())
    openid, unionid = result.get("openid"), result.get("unionid")
    if not openid:
        raise WECHAT_UNAVAILABLE(details={"reason": "no openid"})
    query = Q(wechat_openid=openid)
    if unionid:
        query |= Q(wechat_unionid=unionid)
    account = await Account.filter(query).first()
    created = False
    if account is None:
        account = Account(level=0, wechat_openid=openid, wechat_unionid=unionid)
        try:
            await account.save()
            created = True
        except IntegrityError as exc:
            account = await Account.filter(query).first()
            if account is None:
                raise errors.CONFLICT() from exc
    elif account.wechat_openid != openid or (unionid and account.wechat_unionid != unionid):
        account.wechat_openid, account.wechat_unionid = openid, unionid or account.wechat_unionid
        await account.save(update_fields=["wechat_openid", "wechat_unionid", "updated_at"])
    account = await _follow_merge(account)
    account, pair = await _session_for(account, "miniapp")
    return account, pair, created


async def _follow_merge(account: Account) -> Account:
    hops = 0
    while account.status == AccountStatus.MERGED and account.merged_into_id and hops < 5:
        account = await Account.get(id=account.merged_into_id)
        hops += 1
    return account


async def link_phone(principal: Principal, phone: str) -> tuple[Account, sessions.TokenPair | None]:
    """Give the caller's account a verified phone (the code was checked). When another account
    holds it, merge the two; a new token pair is returned when the caller's account was absorbed."""
    other = await find_by_phone(phone)
    me = await Account.get(id=principal.account_id)
    if other is None or other.id == me.id:
        me.phone_verified_at = now()
        set_phone(me, phone)
        me.level = max(me.level, 1)
        await me.save()
        await sessions.update_session_principal(
            principal.session_id,
            replace(
                citizen_principal(me, channel=principal.channel), session_id=principal.session_id
            ),
        )
        return me, None
    survivor = await merge_accounts(me.id, other.id)
    if survivor.id == me.id:
        await sessions.update_session_principal(
            principal.session_id,
            replace(
                citizen_principal(survivor, channel=principal.channel),
                session_id=principal.session_id,
            ),
        )
        return survivor, None
    pair = await sessions.open_session(citizen_principal(survivor, channel=principal.channel))
    return survivor, pair
