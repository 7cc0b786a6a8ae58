"""The public interface of the identity package for every other area (import only from here).

    from core.identity import api as identity

    info = await identity.get_account(principal.subject_id)          # masked, safe to return
    data = await identity.read_personal_data(account_id, reader=principal, purpose="受理办件",
                                             fields=("name", "id_number"))  # clear text, logged
    await identity.is_region_within("430281001000", "430281000000")   # True
    await identity.audit(request, principal, "water.meter_viewed", target=meter_no)  # audit trail

Nothing here returns clear personal data without writing the access log (unless the reader is the
citizen themself).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from core.auth import Principal, region_within
from core.identity import accounts as _accounts
from core.identity import pii as _pii
from core.identity.audit import audit as _audit
from core.identity.models import Account, AccountStatus, Department, Region

mask_id_number = _pii.mask_id_number
mask_phone = _pii.mask_phone
mask_name = _pii.mask_name
# Who did what to what, in the platform audit trail (core_audit_event): staff looking at a register,
# privileged changes. ``audit(request, principal, action, target="", **details)``.
audit = _audit


@dataclass(frozen=True, slots=True)
class AccountInfo:
    """A citizen account with personal data masked: safe to put in any response."""

    id: int
    level: int
    home_region_code: str | None
    name_masked: str | None
    phone_masked: str | None
    id_number_masked: str | None
    has_wechat: bool
    active: bool

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "level": self.level,
            "home_region_code": self.home_region_code,
            "name": self.name_masked,
            "phone": self.phone_masked,
            "id_number": self.id_number_masked,
            "has_wechat": self.has_wechat,
        }


@dataclass(frozen=True, slots=True)
class PersonalData:
    """Clear personal data of one citizen, handed out only with an access-log entry."""

    account_id: int
    name: str | None
    phone: str | None
    id_number: str | None
    level: int
    home_region_code: str | None


@dataclass(frozen=True, slots=True)
class RegionInfo:
    code: str
    name: str
    level: str
    parent_code: str | None


@dataclass(frozen=True, slots=True)
class DepartmentInfo:
    id: int
    code: str
    name: str
    region_code: str


def account_info(account: Account) -> AccountInfo:
    return AccountInfo(
        id=account.id,
        level=account.level,
        home_region_code=account.home_region_code,
        name_masked=_pii.mask_name(_accounts.name_of(account)),
        phone_masked=_pii.mask_phone(_accounts.phone_of(account)),
        id_number_masked=_pii.mask_id_number(_accounts.id_number_of(account)),
        has_wechat=account.wechat_openid is not None,
        active=account.status == AccountStatus.ACTIVE,
    )


async def get_account(account_id: int) -> AccountInfo | None:
    """The account (masked), or None if there is none. Merged accounts answer as their survivor."""
    account = await Account.get_or_none(id=account_id)
    if account is not None and account.status == AccountStatus.MERGED and account.merged_into_id:
        account = await Account.get_or_none(id=account.merged_into_id)
    return account_info(account) if account is not None else None


async def masked_display(account_id: int) -> dict[str, Any] | None:
    """``{"id", "name", "phone", "id_number", "level", ...}`` with every value masked."""
    info = await get_account(account_id)
    return info.as_dict() if info else None


async def read_personal_data(
    account_id: int,
    *,
    reader: Principal | str,
    purpose: str,
    fields: Iterable[str] = ("name", "phone", "id_number"),
    request_id: str = "",
) -> PersonalData | None:
    """Clear personal data for a legitimate purpose. ``reader`` is the Principal reading it, or a
    plugin's name (``"plugin:social_security"``). Every read by anyone but the citizen themself is
    written to the access log the citizen can list."""
    from core.identity.access_log import record_read

    account = await Account.get_or_none(id=account_id)
    if account is None:
        return None
    wanted = set(fields)
    data = PersonalData(
        account_id=account.id,
        name=_accounts.name_of(account) if "name" in wanted else None,
        phone=_accounts.phone_of(account) if "phone" in wanted else None,
        id_number=_accounts.id_number_of(account) if "id_number" in wanted else None,
        level=account.level,
        home_region_code=account.home_region_code,
    )
    await record_read(
        account.id, reader=reader, fields=sorted(wanted), purpose=purpose, request_id=request_id
    )
    return data


async def find_account_by_id_number(id_number: str) -> int | None:
    """The account id of a resident ID number (exact, via the keyed hash), or None."""
    account = await _accounts.find_by_id_number(_pii.normalize_id_number(id_number))
    return account.id if account else None


async def get_region(code: str) -> RegionInfo | None:
    region = await Region.get_or_none(code=code)
    if region is None:
        return None
    return RegionInfo(region.code, region.name, region.level.value, region.parent_code)


async def region_path(code: str) -> list[RegionInfo]:
    """The region and its ancestors, top down (e.g. 株洲市 › 醴陵市 › 来龙门街道)."""
    from core.identity.regions import ancestors

    return [RegionInfo(r.code, r.name, r.level.value, r.parent_code) for r in await ancestors(code)]


def is_region_within(code: str | None, root: str | None) -> bool:
    """True when ``code`` lies in the subtree of ``root`` (both 12-digit codes)."""
    return region_within(code, root)


async def get_department(code: str) -> DepartmentInfo | None:
    department = await Department.get_or_none(code=code)
    return _department_info(department) if department else None


async def get_department_by_id(department_id: int) -> DepartmentInfo | None:
    department = await Department.get_or_none(id=department_id)
    return _department_info(department) if department else None


def _department_info(department: Department) -> DepartmentInfo:
    return DepartmentInfo(department.id, department.code, department.name, department.region_code)


@dataclass(frozen=True, slots=True)
class EnterpriseInfo:
    id: int
    uscc: str
    name: str
    region_code: str | None
    legal_rep_account_id: int


async def get_enterprise_by_uscc(uscc: str) -> EnterpriseInfo | None:
    """A claimed enterprise by its unified social credit code (validated), or None."""
    from core.identity.models import Enterprise

    enterprise = await Enterprise.get_or_none(uscc=_pii.normalize_uscc(uscc))
    if enterprise is None:
        return None
    return EnterpriseInfo(
        enterprise.id,
        enterprise.uscc,
        enterprise.name,
        enterprise.region_code,
        enterprise.legal_rep_id,
    )  # type: ignore[attr-defined]


async def enterprise_role(account_id: int, enterprise_id: int) -> str | None:
    """``"legal_rep"``, ``"agent"`` (authorised, unexpired) or None: may this citizen act for it?"""
    from core.identity.enterprises import role_in

    return await role_in(account_id, enterprise_id)


# What a citizen does next to reach each level (the error tells them which step is missing).
NEXT_STEP = {
    1: {"step": "verify_phone", "route": "/identity/sms/send", "zh": "验证手机号"},
    2: {"step": "verify_id", "route": "/identity/verify/id", "zh": "身份证实名认证"},
    3: {"step": "verify_face", "route": "/identity/verify/face/start", "zh": "人脸认证"},
}


def ensure_level(principal: Principal, required: int) -> None:
    """Refuse a citizen below ``required`` with ``identity.level_too_low``; the details name the
    next step (``verify_phone`` / ``verify_id`` / ``verify_face``) and its route. When acting for a
    relative, the grantor's level is what counts — check it with :func:`get_account` instead."""
    from core.auth import LEVEL_TOO_LOW

    if principal.kind != "citizen" or principal.level >= required:
        return
    step = NEXT_STEP[min(principal.level + 1, 3)]
    raise LEVEL_TOO_LOW(
        details={
            "required_level": required,
            "current_level": principal.level,
            "next_step": step["step"],
            "next_step_route": step["route"],
            "next_step_zh": step["zh"],
        }
    )


async def wechat_openid(account_id: int) -> str | None:
    """The mini-program openid to send a citizen their own subscribe messages (not logged: it is a
    delivery address used by the platform, never shown to anyone)."""
    row = await Account.filter(id=account_id).values_list("wechat_openid", flat=True)
    return row[0] if row else None
