"""Merging two accounts of one person (a mini-program account links the phone of an app account).

One transaction: lock both rows, pick the survivor, move the identity data and identity's own
rows (relatives' grants, enterprise roles, the access log), then let every other area move the
rows it keys by account (``zhushida_account_merged``). A refusal or failure anywhere rolls the
whole merge back: never half of a person's data on each account. After the commit the absorbed
account's sessions end, and so do sessions acting under grants that moved.
"""

from __future__ import annotations

import inspect
import logging
from datetime import UTC, datetime

from tortoise.expressions import Q

from core import changes, errors
from core.db import on_commit, transaction
from core.identity import sessions
from core.identity.models import (
    AccessLogEntry,
    Account,
    AccountStatus,
    Enterprise,
    EnterpriseAgent,
    GrantStatus,
    ProxyGrant,
)
from core.plugins.host import get_host

log = logging.getLogger("zhushida.identity")

MERGE_CONFLICT = errors.define(
    "identity.merge_conflict",
    409,
    "该手机号已绑定另一位实名用户或另一个微信，无法合并，请联系客服",
    "This phone number belongs to another verified person or another WeChat user; contact support",
)
MERGE_FAILED = errors.define(
    "identity.merge_failed",
    503,
    "账号合并暂时无法完成，请稍后再试或联系客服",
    "The accounts could not be merged right now; try again later or contact support",
)

# Identity columns the survivor takes from the absorbed account when it has none of its own.
TAKEN_OVER = (
    "phone_enc", "phone_hash", "phone_verified_at", "id_number_enc", "id_number_hash", "name_enc",
    "id_verified_at", "wechat_openid", "wechat_unionid", "home_region_code", "face_verified_at",
)
LIVE_GRANT = (GrantStatus.PENDING, GrantStatus.ACTIVE)


async def merge_accounts(a_id: int, b_id: int) -> Account:
    """Fold two accounts of one person into one: the higher real-name level survives (the older
    on a tie). Refused when they are provably two people (different ID numbers or WeChat users)."""
    async with transaction():
        rows = await Account.filter(id__in=[a_id, b_id]).select_for_update().order_by("id")
        if len(rows) != 2 or any(r.status != AccountStatus.ACTIVE for r in rows):
            raise errors.CONFLICT()
        survivor, absorbed = sorted(rows, key=lambda r: (-r.level, r.id))
        if survivor.id_number_hash and absorbed.id_number_hash and survivor.id_number_hash != absorbed.id_number_hash:
            raise MERGE_CONFLICT()
        if survivor.wechat_openid and absorbed.wechat_openid:
            raise MERGE_CONFLICT()
        moved = {c: getattr(absorbed, c) for c in TAKEN_OVER
                 if getattr(survivor, c) is None and getattr(absorbed, c) is not None}
        # Unique columns must leave the absorbed row before the survivor takes them.
        absorbed.status, absorbed.merged_into_id = AccountStatus.MERGED, survivor.id
        for column in moved:
            if column.endswith("_hash") or column.startswith("wechat_"):
                setattr(absorbed, column, None)
        await absorbed.save()
        for column, value in moved.items():
            setattr(survivor, column, value)
        await survivor.save()
        grants = await _move_identity_rows(absorbed.id, survivor.id)
        await _tell_areas(absorbed.id, survivor.id)
        for account_id in (survivor.id, absorbed.id):
            changes.publish("account", account_id)  # cached screens of either show other rows now
        await on_commit(lambda: _end_sessions(absorbed.id, grants))
    log.info("merged account %s into %s", absorbed.id, survivor.id)
    return survivor


async def _move_identity_rows(from_id: int, into_id: int) -> list[int]:
    """Move identity's own rows; returns the ids of live grants whose acting sessions must end."""
    now = datetime.now(UTC)
    live = ProxyGrant.filter(status__in=LIVE_GRANT)
    mine = Q(grantor_id=from_id) | Q(grantee_id=from_id)
    touched = list(await live.filter(mine).values_list("id", flat=True))
    # A grant between the two would become a grant to oneself; one the survivor already has with
    # the same relative is a duplicate: both end.
    ending = set(await live.filter(Q(grantor_id=from_id, grantee_id=into_id) | Q(grantor_id=into_id, grantee_id=from_id))
                 .values_list("id", flat=True))
    for grant in await live.filter(mine).exclude(id__in=ending):
        grantor = into_id if grant.grantor_id == from_id else grant.grantor_id  # type: ignore[attr-defined]
        grantee = into_id if grant.grantee_id == from_id else grant.grantee_id  # type: ignore[attr-defined]
        if await live.filter(grantor_id=grantor, grantee_id=grantee).exists():
            ending.add(grant.id)
    if ending:
        await ProxyGrant.filter(id__in=ending).update(status=GrantStatus.REVOKED, ended_at=now)
    await ProxyGrant.filter(grantor_id=from_id).update(grantor_id=into_id)
    await ProxyGrant.filter(grantee_id=from_id).update(grantee_id=into_id)

    # Enterprise roles: an agent role the survivor already holds for the enterprise ends.
    held = await EnterpriseAgent.filter(account_id=into_id, active=True).values_list("enterprise_id", flat=True)
    await EnterpriseAgent.filter(account_id=from_id, active=True, enterprise_id__in=list(held)).update(
        active=False, ended_at=now)
    await EnterpriseAgent.filter(account_id=from_id).update(account_id=into_id)
    await Enterprise.filter(legal_rep_id=from_id).update(legal_rep_id=into_id)
    # Reads of the person's data stay visible to the person.
    await AccessLogEntry.filter(subject_id=from_id).update(subject_id=into_id)
    return touched


async def _tell_areas(from_id: int, into_id: int) -> None:
    """Every ``zhushida_account_merged`` implementation, in this transaction. Unlike an event
    broadcast, any failure stops the merge: rows left on the absorbed account would be lost to
    the person."""
    caller = get_host().pm.hook.zhushida_account_merged
    args = {"from_account_id": from_id, "into_account_id": into_id}
    for impl in reversed(caller.get_hookimpls()):
        try:
            value = impl.function(*[args[name] for name in impl.argnames])
            if inspect.isawaitable(value):
                await value
        except errors.AppError:
            raise  # a refusal the plugin explains (e.g. two live citizen cards)
        except Exception as exc:
            log.exception("plugin %r failed to merge account %s into %s", impl.plugin_name, from_id, into_id)
            raise MERGE_FAILED(details={"plugin": impl.plugin_name}) from exc


async def _end_sessions(absorbed_id: int, grant_ids: list[int]) -> None:
    await sessions.revoke_all("citizen", absorbed_id)
    for grant_id in grant_ids:
        await sessions.close_grant(grant_id)
