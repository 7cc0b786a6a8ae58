"""Relatives' authorisation (亲友代办): grant → accept → act (→ revoke by either side, or expiry).

Acting for a grantor is a separate session whose Principal carries ``acting_for`` (the grantor),
``proxy_grant_id`` and ``proxy_scope``; it ends with the grant (the store key ``g:{id}`` that the
token resolver checks disappears on revoke and expires with the grant), so a revoked or expired
grant stops working in every process at once.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from core import errors
from core.auth import Principal, scope_code
from core.db import transaction
from core.identity import sessions
from core.identity.accounts import citizen_principal, find_by_phone, name_of
from core.identity.models import Account, AccountStatus, GrantStatus, ProxyGrant
from core.identity.pii import mask_name, normalize_phone

MAX_ACTIVE_GRANTS = 8  # per grantor (粤省事 allows up to 8 family members)
MAX_DURATION = timedelta(days=3 * 365)
MIN_LEVEL = 2  # both people must be real-name verified (ID + name)
RELATIONS = ("parent", "child", "spouse", "sibling", "grandparent", "grandchild", "other")
SERVICE_CODE = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")

GRANT_NOT_FOUND = errors.define(
    "identity.proxy_grant_not_found",
    404,
    "代办授权不存在",
    "The proxy grant does not exist",
)
GRANT_EXPIRED = errors.define(
    "identity.proxy_grant_expired",
    410,
    "代办授权已过期，请让亲友重新授权",
    "The proxy grant has expired; ask your relative to grant it again",
)
GRANT_NOT_ACTIVE = errors.define(
    "identity.proxy_grant_not_active",
    409,
    "代办授权当前不可用（未接受、已拒绝或已撤销）",
    "The proxy grant is not usable (not accepted, declined or revoked)",
)
GRANT_BAD_EXPIRY = errors.define(
    "identity.proxy_expiry_invalid",
    400,
    "授权有效期须晚于当前时间且不超过 3 年",
    "The grant must end in the future and within 3 years",
)
GRANT_BAD_SCOPE = errors.define(
    "identity.proxy_scope_invalid",
    400,
    "授权范围须为事项编码列表，或不填表示全部事项",
    "The scope must be a list of service codes, or empty for every service",
)
GRANT_SELF = errors.define(
    "identity.proxy_self",
    400,
    "不能授权给自己",
    "You cannot grant a proxy to yourself",
)
GRANTEE_UNKNOWN = errors.define(
    "identity.proxy_grantee_unknown",
    404,
    "该手机号尚未注册或未实名，请让亲友先登录并完成实名认证",
    "No verified account has this phone number; ask your relative to sign in and verify first",
)
GRANT_LEVEL = errors.define(
    "identity.proxy_level_too_low",
    403,
    "授权双方均须完成实名认证（二级及以上）",
    "Both people must be real-name verified (level 2 or higher)",
)
GRANT_LIMIT = errors.define(
    "identity.proxy_limit_reached",
    409,
    "授权亲友人数已达上限（8 人），请先撤销不再需要的授权",
    "You have reached the limit of 8 proxy grants; revoke one you no longer need",
)
GRANT_DUPLICATE = errors.define(
    "identity.proxy_grant_exists",
    409,
    "已存在对该亲友的有效授权，请先撤销后再重新授权",
    "A grant to this person already exists; revoke it before granting again",
)


def _now() -> datetime:
    return datetime.now(UTC)


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def validate_scope(scope: Any) -> list[str] | None:
    if scope is None:
        return None
    if not isinstance(scope, list | tuple) or not scope or len(scope) > 200:
        raise GRANT_BAD_SCOPE()
    codes = []
    for item in scope:
        if not isinstance(item, str) or not SERVICE_CODE.match(item):
            raise GRANT_BAD_SCOPE(details={"item": str(item)[:64]})
        codes.append(scope_code(item))  # stored as basic codes (基本编码), see core.auth.scope_code
    return sorted(set(codes))


def validate_expiry(expires_at: datetime) -> datetime:
    expires_at = _aware(expires_at)
    now = _now()
    if expires_at <= now or expires_at - now > MAX_DURATION:
        raise GRANT_BAD_EXPIRY(details={"expires_at": expires_at.isoformat()})
    return expires_at


async def create_grant(
    grantor: Principal,
    *,
    grantee_account_id: int | None = None,
    grantee_phone: str | None = None,
    scope: Any = None,
    expires_at: datetime,
    relation: str = "other",
) -> ProxyGrant:
    if grantor.acting_for is not None:
        raise errors.FORBIDDEN(details={"reason": "a proxy cannot grant proxies"})
    scope_codes = validate_scope(scope)
    expires_at = validate_expiry(expires_at)
    if relation not in RELATIONS:
        raise errors.BAD_REQUEST(details={"field": "relation", "allowed": list(RELATIONS)})
    if grantee_account_id is not None:
        grantee = await Account.get_or_none(id=grantee_account_id, status=AccountStatus.ACTIVE)
    else:
        grantee = await find_by_phone(normalize_phone(grantee_phone))
    if grantee is None or grantee.status != AccountStatus.ACTIVE:
        raise GRANTEE_UNKNOWN()
    if grantee.id == grantor.account_id:
        raise GRANT_SELF()
    async with transaction():
        owner = await Account.filter(id=grantor.account_id).select_for_update().first()
        if owner is None:
            raise errors.NOT_FOUND()
        if owner.level < MIN_LEVEL or grantee.level < MIN_LEVEL:
            raise GRANT_LEVEL(details={"required_level": MIN_LEVEL})
        live = ProxyGrant.filter(
            grantor_id=owner.id,
            status__in=[GrantStatus.PENDING, GrantStatus.ACTIVE],
            expires_at__gt=_now(),
        )
        if await live.filter(grantee_id=grantee.id).exists():
            raise GRANT_DUPLICATE()
        if await live.count() >= MAX_ACTIVE_GRANTS:
            raise GRANT_LIMIT(details={"limit": MAX_ACTIVE_GRANTS})
        return await ProxyGrant.create(
            grantor_id=owner.id,
            grantee_id=grantee.id,
            scope=scope_codes,
            expires_at=expires_at,
            relation=relation,
        )


async def _grant_for(grant_id: int, principal: Principal) -> ProxyGrant:
    """The grant if ``principal`` is one of its two people (404 otherwise: ids do not leak)."""
    grant = await ProxyGrant.get_or_none(id=grant_id)
    if (
        grant is None
        or principal.kind != "citizen"
        or principal.acting_for is not None
        or principal.account_id not in (grant.grantor_id, grant.grantee_id)
    ):  # type: ignore[attr-defined]
        raise GRANT_NOT_FOUND()
    return grant


async def accept(grant_id: int, grantee: Principal) -> ProxyGrant:
    async with transaction():
        grant = await _grant_for(grant_id, grantee)
        grant = await ProxyGrant.filter(id=grant.id).select_for_update().first()
        if grant is None or grant.grantee_id != grantee.account_id:  # type: ignore[attr-defined]
            raise GRANT_NOT_FOUND()
        if _aware(grant.expires_at) <= _now():
            raise GRANT_EXPIRED()
        if grant.status != GrantStatus.PENDING:
            raise GRANT_NOT_ACTIVE(details={"status": grant.status.value})
        grant.status = GrantStatus.ACTIVE
        grant.accepted_at = _now()
        await grant.save(update_fields=["status", "accepted_at"])
    await sessions.open_grant(grant.id, _aware(grant.expires_at).timestamp())
    return grant


async def decline(grant_id: int, grantee: Principal) -> ProxyGrant:
    return await _end(grant_id, grantee, GrantStatus.DECLINED, grantee_only=True)


async def revoke(grant_id: int, principal: Principal) -> ProxyGrant:
    """Either person ends the grant; sessions acting under it die at once."""
    return await _end(grant_id, principal, GrantStatus.REVOKED)


async def _end(
    grant_id: int, principal: Principal, status: GrantStatus, *, grantee_only: bool = False
) -> ProxyGrant:
    async with transaction():
        await _grant_for(grant_id, principal)
        grant = await ProxyGrant.filter(id=grant_id).select_for_update().first()
        assert grant is not None
        if grantee_only and grant.grantee_id != principal.account_id:  # type: ignore[attr-defined]
            raise GRANT_NOT_FOUND()
        if grant.status not in (GrantStatus.PENDING, GrantStatus.ACTIVE):
            raise GRANT_NOT_ACTIVE(details={"status": grant.status.value})
        grant.status = status
        grant.ended_at = _now()
        grant.ended_by_id = principal.account_id
        await grant.save(update_fields=["status", "ended_at", "ended_by_id"])
    await sessions.close_grant(grant.id)
    return grant


async def act_for(grant_id: int, grantee: Principal) -> sessions.TokenPair:
    """Open a session in which ``grantee`` acts for the grantor under this grant."""
    grant = await _grant_for(grant_id, grantee)
    if grant.grantee_id != grantee.account_id:  # type: ignore[attr-defined]
        raise GRANT_NOT_FOUND()
    if _aware(grant.expires_at) <= _now():
        raise GRANT_EXPIRED()
    if grant.status != GrantStatus.ACTIVE:
        raise GRANT_NOT_ACTIVE(details={"status": grant.status.value})
    me = await Account.get(id=grantee.account_id)
    principal = replace(
        citizen_principal(me, channel=grantee.channel),
        acting_for=grant.grantor_id,  # type: ignore[attr-defined]
        proxy_grant_id=grant.id,
        proxy_scope=frozenset(grant.scope) if grant.scope is not None else None,
    )
    # Make sure the store knows the grant (e.g. after a Redis flush) before handing out a session.
    await sessions.open_grant(grant.id, _aware(grant.expires_at).timestamp())
    return await sessions.open_session(principal, expires_at=_aware(grant.expires_at).timestamp())


async def grant_view(grant: ProxyGrant, viewer_id: int) -> dict[str, Any]:
    other_id = grant.grantee_id if viewer_id == grant.grantor_id else grant.grantor_id  # type: ignore[attr-defined]
    other = await Account.get_or_none(id=other_id)
    expired = _aware(grant.expires_at) <= _now()
    return {
        "id": grant.id,
        "role": "grantor" if viewer_id == grant.grantor_id else "grantee",  # type: ignore[attr-defined]
        "other": {"id": other_id, "name": mask_name(name_of(other)) if other else None},
        "relation": grant.relation,
        "scope": grant.scope,
        "status": "expired"
        if expired and grant.status in (GrantStatus.PENDING, GrantStatus.ACTIVE)
        else grant.status.value,
        "expires_at": _aware(grant.expires_at).isoformat(),
        "created_at": grant.created_at.isoformat(),
        "accepted_at": grant.accepted_at.isoformat() if grant.accepted_at else None,
    }


async def list_grants(principal: Principal) -> list[dict[str, Any]]:
    from tortoise.expressions import Q

    grants = await ProxyGrant.filter(
        Q(grantor_id=principal.account_id) | Q(grantee_id=principal.account_id)
    ).order_by("-id")
    return [await grant_view(g, principal.account_id) for g in grants]
