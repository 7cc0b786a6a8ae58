"""Test helpers: real accounts and real Bearer tokens for every kind of caller.

    from tests.support.auth import make_citizen, make_staff

    async def test_something(client):
        alice = await make_citizen()
        r = await client.get("/identity/me", headers=alice.headers)

Each helper writes the rows it needs (account, department, regions) and opens a session through
the same code the login routes use, so ``alice.headers`` works against the app like a logged-in
phone. Needs the ``database`` fixture (``app``/``client`` include it).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from core.auth import Principal
from core.identity import accounts, resident_id, sessions
from core.identity.models import Account, Department, Region, StaffKind, StaffUser
from core.identity.seed import department_name, seed_zhuzhou_regions

_serial = itertools.count(1)


@dataclass(frozen=True)
class Actor:
    """A caller with a live session: ``headers`` go straight into the HTTP client."""

    principal: Principal
    tokens: sessions.TokenPair
    name: str = ""
    phone: str | None = None
    id_number: str | None = None

    @property
    def account_id(self) -> int:
        return self.principal.account_id

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens.access_token}"}


def fake_id_number(region_code: str = "430281000000", birth: str = "19900101") -> str:
    """A valid, unique 18-digit resident ID (right region prefix, birth date and check digit)."""
    body = f"{region_code[:6]}{birth}{next(_serial) % 1000:03d}"
    return resident_id.validate(body + resident_id.check_character(body))


def fake_phone() -> str:
    return f"139{next(_serial) % 10**8:08d}"


async def ensure_region(code: str) -> None:
    """The Zhuzhou tree, plus ``code`` itself when it is outside the seeded sample."""
    from core.identity.regions import level_of, parent_of

    if await Region.exists(code=code):
        return
    await seed_zhuzhou_regions()
    current: str | None = code
    while current and not await Region.exists(code=current):
        await Region.create(
            code=current,
            name=f"地区 {current}",
            level=level_of(current),
            parent_code=parent_of(current),
        )
        current = parent_of(current)


async def ensure_department(code: str, region_code: str = "430200000000") -> Department:
    await ensure_region(region_code)
    department, _ = await Department.get_or_create(
        code=code, defaults={"name": department_name(code), "region_code": region_code}
    )
    return department


async def make_citizen(
    *,
    level: int = 2,
    region_code: str = "430281000000",
    name: str = "张三",
    phone: str | None = None,
    id_number: str | None = None,
    channel: str = "app",
) -> Actor:
    """A citizen account at real-name ``level`` (0-3) with home region ``region_code``.

    Level >= 1 has a phone, level >= 2 a name and resident ID (generated when not given)."""
    await ensure_region(region_code)
    now = datetime.now(UTC)
    phone = phone or (fake_phone() if level >= 1 else None)
    id_number = id_number or (fake_id_number(region_code) if level >= 2 else None)
    account = Account(level=level, home_region_code=region_code)
    if phone:
        accounts.set_phone(account, phone)
        account.phone_verified_at = now
    if level >= 2:
        accounts.set_name(account, name)
        accounts.set_id_number(account, id_number)
        account.id_verified_at = now
    if level >= 3:
        account.face_verified_at = now
    await account.save()
    principal = accounts.citizen_principal(account, channel=channel)
    tokens = await sessions.open_session(principal)
    return Actor(
        replace(principal, session_id=tokens.session_id),
        tokens,
        name if level >= 2 else "",
        phone,
        id_number if level >= 2 else None,
    )


async def _make_staff_user(
    kind: StaffKind,
    *,
    department: Department | None,
    roles: tuple[str, ...],
    region_code: str | None,
    name: str,
) -> Actor:
    user = await StaffUser.create(
        username=f"{kind.value}-{next(_serial)}",
        name=name,
        kind=kind,
        department=department,
        roles=list(roles),
        region_code=region_code,
    )
    principal = accounts.staff_principal(user)
    tokens = await sessions.open_session(principal)
    return Actor(replace(principal, session_id=tokens.session_id), tokens, name)


async def make_staff(
    *,
    department_code: str = "RSJ",
    roles: tuple[str, ...] = ("clerk",),
    region_code: str = "430200000000",
    name: str = "李四",
) -> Actor:
    """A department staff member with ``roles`` (from core.auth.STAFF_ROLES) scoped to ``region_code``."""
    from core.auth import STAFF_ROLES

    unknown = set(roles) - set(STAFF_ROLES)
    if unknown:
        raise ValueError(f"unknown staff roles {sorted(unknown)}; known: {STAFF_ROLES}")
    await ensure_region(region_code)
    department = await ensure_department(department_code)
    return await _make_staff_user(
        StaffKind.STAFF, department=department, roles=roles, region_code=region_code, name=name
    )


async def make_operator(*, region_code: str = "430200000000", name: str = "王五") -> Actor:
    """A platform operator whose scope is the region subtree of ``region_code``."""
    await ensure_region(region_code)
    return await _make_staff_user(
        StaffKind.OPERATOR, department=None, roles=(), region_code=region_code, name=name
    )


async def make_admin(*, name: str = "管理员") -> Actor:
    """A platform admin (no region or department limit)."""
    return await _make_staff_user(
        StaffKind.ADMIN, department=None, roles=(), region_code=None, name=name
    )


async def grant_proxy(
    grantor: Actor,
    grantee: Actor,
    scope: list[str] | None = None,
    *,
    days: int = 30,
    relation: str = "parent",
) -> Actor:
    """``grantor`` grants ``grantee`` a proxy (all services, or ``scope``), ``grantee`` accepts,
    and the returned Actor is ``grantee`` acting for ``grantor`` (principal.acting_for set)."""
    from core.identity import proxies

    grant = await proxies.create_grant(
        grantor.principal,
        grantee_account_id=grantee.account_id,
        scope=scope,
        expires_at=datetime.now(UTC) + timedelta(days=days),
        relation=relation,
    )
    await proxies.accept(grant.id, grantee.principal)
    tokens = await proxies.act_for(grant.id, grantee.principal)
    principal = await sessions.resolve_access_token(tokens.access_token)
    assert principal is not None
    return Actor(principal, tokens, grantee.name, grantee.phone, grantee.id_number)
