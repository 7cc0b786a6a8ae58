"""Citizen login on both channels and phone linking (one person, one account).

* App: phone + SMS code → the account with that phone (created at level 1 when new).
* Mini-program: ``wx.login`` code → code2session (wechatpy, sandbox offline) → the account with
  that openid/unionid (created at level 0 when new).
* Linking a phone to a mini-program account: if another account already holds the phone, the two
  are merged into one (:func:`merge_accounts`), never left as two accounts of one person.
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
from core.db import transaction
from core.identity import sessions
from core.identity.accounts import citizen_principal, find_by_phone, now, set_phone
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
MERGE_CONFLICT = errors.define(
    "identity.merge_conflict",
    409,
    "该手机号已绑定另一位实名用户或另一个微信，无法合并，请联系客服",
    "This phone number belongs to another verified person or another WeChat user; contact support",
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


async def merge_accounts(a_id: int, b_id: int) -> Account:
    """Fold two accounts of one person into one: the higher real-name level survives (the older
    on a tie). Refused when they are provably two people (different ID numbers or WeChat users)."""
    async with transaction():
        rows = await Account.filter(id__in=[a_id, b_id]).select_for_update().order_by("id")
        if len(rows) != 2 or any(r.status != AccountStatus.ACTIVE for r in rows):
            raise errors.CONFLICT()
        survivor, absorbed = sorted(rows, key=lambda r: (-r.level, r.id))
        if (
            survivor.id_number_hash
            and absorbed.id_number_hash
            and survivor.id_number_hash != absorbed.id_number_hash
        ):
            raise MERGE_CONFLICT()
        if survivor.wechat_openid and absorbed.wechat_openid:
            raise MERGE_CONFLICT()
        moved = {}
        for column in (
            "phone_enc",
            "phone_hash",
            "phone_verified_at",
            "id_number_enc",
            "id_number_hash",
            "name_enc",
            "id_verified_at",
            "wechat_openid",
            "wechat_unionid",
            "home_region_code",
            "face_verified_at",
        ):
            if getattr(survivor, column) is None and getattr(absorbed, column) is not None:
                moved[column] = getattr(absorbed, column)
        # Unique columns must leave the absorbed row before the survivor takes them.
        absorbed_update = {c: None for c in moved if c.endswith("_hash") or c.startswith("wechat_")}
        absorbed.status = AccountStatus.MERGED
        absorbed.merged_into_id = survivor.id
        for column, value in absorbed_update.items():
            setattr(absorbed, column, value)
        await absorbed.save()
        for column, value in moved.items():
            setattr(survivor, column, value)
        await survivor.save()
    await sessions.revoke_all("citizen", absorbed.id)
    log.info("merged account %s into %s", absorbed.id, survivor.id)
    return survivor
