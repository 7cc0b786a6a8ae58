"""Citizen accounts: creation with encrypted personal data, lookups by keyed hash, principals."""

from __future__ import annotations

from datetime import UTC, datetime

from core.auth import Principal
from core.identity.crypto import get_cipher
from core.identity.models import Account, AccountStatus, StaffKind, StaffUser

COL_NAME = "account.name"
COL_PHONE = "account.phone"
COL_ID = "account.id_number"


def now() -> datetime:
    return datetime.now(UTC)


def set_phone(account: Account, phone: str | None) -> None:
    cipher = get_cipher()
    account.phone_enc = cipher.encrypt(phone, column=COL_PHONE)
    account.phone_hash = cipher.lookup_hash(phone, column=COL_PHONE) if phone else None


def set_id_number(account: Account, id_number: str | None) -> None:
    cipher = get_cipher()
    account.id_number_enc = cipher.encrypt(id_number, column=COL_ID)
    account.id_number_hash = cipher.lookup_hash(id_number, column=COL_ID) if id_number else None


def set_name(account: Account, name: str | None) -> None:
    account.name_enc = get_cipher().encrypt(name, column=COL_NAME)


def phone_of(account: Account) -> str | None:
    return get_cipher().decrypt(account.phone_enc, column=COL_PHONE)


def id_number_of(account: Account) -> str | None:
    return get_cipher().decrypt(account.id_number_enc, column=COL_ID)


def name_of(account: Account) -> str | None:
    return get_cipher().decrypt(account.name_enc, column=COL_NAME)


async def find_by_phone(phone: str) -> Account | None:
    hashes = get_cipher().lookup_hashes(phone, column=COL_PHONE)
    return await Account.filter(phone_hash__in=hashes).first()


async def find_by_id_number(id_number: str) -> Account | None:
    hashes = get_cipher().lookup_hashes(id_number, column=COL_ID)
    return await Account.filter(id_number_hash__in=hashes).first()


def citizen_principal(account: Account, *, channel: str = "app") -> Principal:
    return Principal(
        kind="citizen",
        account_id=account.id,
        level=account.level,
        region_code=account.home_region_code,
        channel=channel,
    )


def staff_principal(user: StaffUser, *, channel: str = "web") -> Principal:
    return Principal(
        kind=user.kind.value if isinstance(user.kind, StaffKind) else str(user.kind),
        account_id=user.id,
        roles=frozenset(user.roles or ()),
        department_id=user.department_id,  # type: ignore[attr-defined]
        region_code=user.region_code,
        channel=channel,
    )


async def reload_principal(principal: Principal) -> Principal | None:
    """Rebuild a principal from the database (on refresh); None if the subject may not log in."""
    if principal.kind == "citizen":
        account = await Account.get_or_none(id=principal.account_id)
        if account is None or account.status != AccountStatus.ACTIVE:
            return None
        fresh = citizen_principal(account, channel=principal.channel)
        if principal.acting_for is None:
            return fresh
        from dataclasses import replace

        return replace(
            fresh,
            acting_for=principal.acting_for,
            proxy_grant_id=principal.proxy_grant_id,
            proxy_scope=principal.proxy_scope,
        )
    if principal.kind in ("staff", "operator", "admin"):
        user = await StaffUser.get_or_none(id=principal.account_id)
        if user is None or not user.active:
            return None
        return staff_principal(user, channel=principal.channel)
    return None
