"""Legal persons (法人): an enterprise is claimed by its legal representative, checked against the
business register the platform holds, and authorises agents (经办人) to act for it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from tortoise.exceptions import IntegrityError

from core import errors
from core.auth import Principal
from core.db import transaction
from core.identity.accounts import COL_ID, find_by_phone, name_of
from core.identity.crypto import get_cipher
from core.identity.models import Account, BusinessRecord, Enterprise, EnterpriseAgent
from core.identity.pii import (
    mask_name,
    normalize_id_number,
    normalize_name,
    normalize_phone,
    normalize_uscc,
)

MAX_AGENTS = 20
COL_BIZ_REP = "business.legal_rep_id_number"

ENTERPRISE_UNKNOWN = errors.define(
    "identity.enterprise_not_registered",
    404,
    "未在企业登记信息中查到该统一社会信用代码，请核对营业执照",
    "No enterprise with this credit code is in the business register; check the business licence",
)
NOT_LEGAL_REP = errors.define(
    "identity.not_legal_representative",
    403,
    "您不是该企业登记的法定代表人，请由法定代表人认领企业后授权您为经办人",
    "You are not the registered legal representative; ask them to claim the enterprise and authorise you as an agent",
)
ENTERPRISE_CLAIMED = errors.define(
    "identity.enterprise_claimed",
    409,
    "该企业已被认领",
    "This enterprise has already been claimed",
)
ENTERPRISE_CLOSED = errors.define(
    "identity.enterprise_closed",
    422,
    "该企业已注销或吊销，无法办理",
    "The enterprise is deregistered or revoked",
)
AGENT_LEVEL = errors.define(
    "identity.agent_level_too_low",
    422,
    "经办人须先完成身份证实名认证（二级）",
    "The agent must be real-name verified (level 2) first",
)
AGENT_EXISTS = errors.define(
    "identity.agent_exists", 409, "该经办人已获授权", "This agent is already authorised"
)
AGENT_LIMIT = errors.define(
    "identity.agent_limit_reached", 409, "经办人数量已达上限", "Too many agents"
)
LEVEL_2 = errors.define(
    "identity.enterprise_level_too_low",
    403,
    "认领企业须先完成身份证实名认证（二级）",
    "Claiming an enterprise needs real-name level 2",
)


def _now() -> datetime:
    return datetime.now(UTC)


async def add_business_record(
    uscc: str,
    name: str,
    legal_rep_id_number: str,
    *,
    region_code: str | None = None,
    active: bool = True,
) -> BusinessRecord:
    """Register data (企业登记) the platform holds; idempotent by credit code."""
    uscc = normalize_uscc(uscc)
    cipher = get_cipher()
    number = normalize_id_number(legal_rep_id_number)
    record, _ = await BusinessRecord.update_or_create(
        uscc=uscc,
        defaults={
            "name": name,
            "legal_rep_id_hash": cipher.lookup_hash(number, column=COL_ID),
            "legal_rep_id_enc": cipher.encrypt(number, column=COL_BIZ_REP),
            "region_code": region_code,
            "active": active,
        },
    )
    return record


async def claim(principal: Principal, uscc_value: object) -> Enterprise:
    uscc = normalize_uscc(uscc_value)
    account = await Account.get(id=principal.account_id)
    if account.level < 2 or not account.id_number_hash:
        raise LEVEL_2(details={"required_level": 2, "current_level": account.level})
    record = await BusinessRecord.get_or_none(uscc=uscc)
    if record is None:
        raise ENTERPRISE_UNKNOWN()
    if not record.active:
        raise ENTERPRISE_CLOSED()
    # Hashes of the account's ID under every configured key: the register may predate a rotation.
    from core.identity.accounts import id_number_of

    if record.legal_rep_id_hash not in get_cipher().lookup_hashes(
        id_number_of(account) or "", column=COL_ID
    ):
        raise NOT_LEGAL_REP()
    try:
        return await Enterprise.create(
            uscc=uscc, name=record.name, region_code=record.region_code, legal_rep_id=account.id
        )
    except IntegrityError as exc:
        raise ENTERPRISE_CLAIMED() from exc


async def _represented(principal: Principal, enterprise_id: int) -> Enterprise:
    enterprise = await Enterprise.get_or_none(id=enterprise_id)
    if (
        enterprise is None
        or principal.kind != "citizen"
        or enterprise.legal_rep_id != principal.account_id
    ):  # type: ignore[attr-defined]
        raise errors.NOT_FOUND()
    return enterprise


async def authorise_agent(
    principal: Principal,
    enterprise_id: int,
    *,
    phone: object,
    name: object,
    expires_at: datetime | None = None,
) -> EnterpriseAgent:
    enterprise = await _represented(principal, enterprise_id)
    agent_account = await find_by_phone(normalize_phone(phone))
    given_name = normalize_name(name)
    # The legal representative names the person; a mismatch must not reveal whose phone it is.
    if agent_account is None or agent_account.level < 2 or name_of(agent_account) != given_name:
        raise AGENT_LEVEL()
    if expires_at is not None:
        expires_at = expires_at if expires_at.tzinfo else expires_at.replace(tzinfo=UTC)
        if expires_at <= _now():
            raise errors.BAD_REQUEST(
                details={"field": "expires_at", "reason": "must be in the future"}
            )
    async with transaction():
        await Enterprise.filter(id=enterprise.id).select_for_update().first()
        active = EnterpriseAgent.filter(enterprise_id=enterprise.id, active=True)
        if await active.filter(account_id=agent_account.id).exists():
            raise AGENT_EXISTS()
        if await active.count() >= MAX_AGENTS:
            raise AGENT_LIMIT()
        return await EnterpriseAgent.create(
            enterprise_id=enterprise.id,
            account_id=agent_account.id,
            authorised_by_id=principal.account_id,
            expires_at=expires_at,
        )


async def revoke_agent(principal: Principal, enterprise_id: int, agent_id: int) -> EnterpriseAgent:
    enterprise = await _represented(principal, enterprise_id)
    agent = await EnterpriseAgent.get_or_none(id=agent_id, enterprise_id=enterprise.id)
    if agent is None:
        raise errors.NOT_FOUND()
    if agent.active:
        agent.active = False
        agent.ended_at = _now()
        await agent.save(update_fields=["active", "ended_at"])
    return agent


async def role_in(account_id: int, enterprise_id: int) -> str | None:
    """``"legal_rep"``, ``"agent"`` (active, unexpired) or None."""
    enterprise = await Enterprise.get_or_none(id=enterprise_id)
    if enterprise is None:
        return None
    if enterprise.legal_rep_id == account_id:  # type: ignore[attr-defined]
        return "legal_rep"
    agent = await EnterpriseAgent.filter(
        enterprise_id=enterprise_id, account_id=account_id, active=True
    ).first()
    if agent is None or (agent.expires_at is not None and agent.expires_at <= _now()):
        return None
    return "agent"


async def my_enterprises(principal: Principal) -> list[dict[str, Any]]:
    represented = await Enterprise.filter(legal_rep_id=principal.account_id).order_by("id")
    agent_rows = await EnterpriseAgent.filter(
        account_id=principal.account_id, active=True
    ).prefetch_related("enterprise")
    items = [{"id": e.id, "uscc": e.uscc, "name": e.name, "role": "legal_rep"} for e in represented]
    now = _now()
    items += [
        {
            "id": a.enterprise.id,
            "uscc": a.enterprise.uscc,
            "name": a.enterprise.name,
            "role": "agent",
            "expires_at": a.expires_at.isoformat() if a.expires_at else None,
        }
        for a in agent_rows
        if a.expires_at is None or a.expires_at > now
    ]
    return items


async def agents_view(principal: Principal, enterprise_id: int) -> list[dict[str, Any]]:
    enterprise = await _represented(principal, enterprise_id)
    rows = (
        await EnterpriseAgent.filter(enterprise_id=enterprise.id)
        .prefetch_related("account")
        .order_by("id")
    )
    return [
        {
            "id": a.id,
            "account_id": a.account_id,
            "name": mask_name(name_of(a.account)),
            "active": a.active,  # type: ignore[attr-defined]
            "expires_at": a.expires_at.isoformat() if a.expires_at else None,
        }
        for a in rows
    ]
