"""Departments, staff, operators and admins: creation with the creator's authority checked,
password login with lockout, and the rule that a role or scope change ends the user's sessions."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
from typing import Any

from tortoise.exceptions import IntegrityError

from core import errors
from core.auth import STAFF_ROLES, Principal, region_within
from core.identity import sessions
from core.identity.accounts import staff_principal
from core.identity.models import Department, Region, StaffKind, StaffUser
from core.identity.regions import REGION_NOT_FOUND, normalize_code
from core.stores import get_stores

MAX_FAILURES = 5
MAX_FAILURES_PER_ADDRESS = 30  # per hour
LOCK_SECONDS = 15 * 60
USERNAME = re.compile(r"^[a-z0-9_.-]{3,64}$")
DEPT_CODE = re.compile(r"^[A-Z0-9_-]{2,32}$")

LOGIN_FAILED = errors.define(
    "identity.staff_login_failed",
    401,
    "用户名或密码不正确",
    "Wrong username or password",
)
LOGIN_LOCKED = errors.define(
    "identity.staff_locked",
    429,
    "密码错误次数过多，账号已暂时锁定，请 15 分钟后再试",
    "Too many wrong passwords: the account is locked for 15 minutes",
)
WEAK_PASSWORD = errors.define(
    "identity.password_weak",
    400,
    "密码至少 10 位，且须同时包含字母和数字",
    "The password needs at least 10 characters with letters and digits",
)
BAD_ROLES = errors.define(
    "identity.roles_invalid",
    400,
    "岗位角色不正确，可选：受理 clerk、审核 reviewer、决定 head、部门管理员 dept_admin",
    "Unknown staff role; choose from clerk, reviewer, head, dept_admin",
)
BAD_USERNAME = errors.define(
    "identity.username_invalid",
    400,
    "用户名须为 3-64 位小写字母、数字或 _.-",
    "The username needs 3-64 lower-case letters, digits or _.-",
)
USERNAME_TAKEN = errors.define(
    "identity.username_taken", 409, "用户名已被使用", "The username is taken"
)
DEPT_CODE_TAKEN = errors.define(
    "identity.department_exists", 409, "部门编码已存在", "The department code exists"
)
BAD_DEPT_CODE = errors.define(
    "identity.department_code_invalid",
    400,
    "部门编码须为 2-32 位大写字母、数字或 _-",
    "The department code needs 2-32 upper-case letters, digits or _-",
)
DEPT_NOT_FOUND = errors.define(
    "identity.department_not_found", 404, "部门不存在", "The department does not exist"
)
SCOPE_OUTSIDE = errors.define(
    "identity.scope_outside",
    403,
    "不能授予超出本人管辖范围的地区权限",
    "You cannot grant a region scope outside your own",
)


def hash_password(password: str) -> str:
    salt = os.urandom(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=2**14, r=8, p=1)
    return f"scrypt${base64.b64encode(salt).decode()}${base64.b64encode(digest).decode()}"


def check_password(password: str, stored: str) -> bool:
    try:
        _scheme, salt_b64, digest_b64 = stored.split("$")
    except ValueError:
        return False
    digest = hashlib.scrypt(password.encode(), salt=base64.b64decode(salt_b64), n=2**14, r=8, p=1)
    return hmac.compare_digest(digest, base64.b64decode(digest_b64))


def validate_password(password: str) -> str:
    if len(password) < 10 or not re.search(r"[A-Za-z]", password) or not re.search(r"\d", password):
        raise WEAK_PASSWORD()
    return password


def validate_roles(roles: Any) -> list[str]:
    if not isinstance(roles, list | tuple) or not roles or any(r not in STAFF_ROLES for r in roles):
        raise BAD_ROLES(details={"allowed": list(STAFF_ROLES)})
    return sorted(set(roles))


async def _existing_region(code: str) -> str:
    code = normalize_code(code)
    if not await Region.exists(code=code):
        raise REGION_NOT_FOUND(details={"code": code})
    return code


async def login(
    username: str, password: str, client_address: str
) -> tuple[StaffUser, sessions.TokenPair]:
    store = get_stores()("identity.staff")
    key = username.lower()[:64]
    if await store.get(f"lock:{key}") is not None:
        raise LOGIN_LOCKED(details={"retry_after": LOCK_SECONDS})
    # One address guessing across many usernames is stopped too.
    if await store.count(f"addr-fail:{client_address}") >= MAX_FAILURES_PER_ADDRESS:
        raise LOGIN_LOCKED(details={"retry_after": 3600, "limit": "address"})
    user = await StaffUser.get_or_none(username=key)
    # Compare even for unknown users so timing does not reveal which usernames exist.
    ok = check_password(
        password, user.password_hash if user and user.password_hash else hash_password("x" * 12)
    )
    if not ok or user is None or not user.active:
        await store.incr(f"addr-fail:{client_address}", 3600)
        if await store.incr(f"fail:{key}", LOCK_SECONDS) >= MAX_FAILURES:
            await store.set(f"lock:{key}", "1", expires_in=LOCK_SECONDS)
            await store.reset(f"fail:{key}")
            raise LOGIN_LOCKED(details={"retry_after": LOCK_SECONDS})
        raise LOGIN_FAILED()
    await store.reset(f"fail:{key}")
    return user, await sessions.open_session(staff_principal(user))


async def create_department(actor: Principal, code: str, name: str, region_code: str) -> Department:
    if actor.kind != "admin":
        raise errors.FORBIDDEN()
    if not DEPT_CODE.match(code or ""):
        raise BAD_DEPT_CODE()
    if not (name or "").strip() or len(name) > 64:
        raise errors.BAD_REQUEST(details={"field": "name"})
    region = await _existing_region(region_code)
    try:
        return await Department.create(code=code, name=name.strip(), region_code=region)
    except IntegrityError as exc:
        raise DEPT_CODE_TAKEN() from exc


async def create_user(
    actor: Principal,
    *,
    kind: str,
    username: str,
    name: str,
    password: str,
    department_code: str | None = None,
    roles: Any = (),
    region_code: str | None = None,
) -> StaffUser:
    """Admins create anyone; a department admin creates staff of their own department within their
    own region scope; nobody else creates users."""
    if kind not in ("staff", "operator", "admin"):
        raise errors.BAD_REQUEST(details={"field": "kind"})
    if not USERNAME.match(username or ""):
        raise BAD_USERNAME()
    if not (name or "").strip() or len(name) > 64:
        raise errors.BAD_REQUEST(details={"field": "name"})
    validate_password(password)
    department = None
    role_list: list[str] = []
    region: str | None = None
    if kind == "staff":
        department = await Department.get_or_none(code=department_code or "")
        if department is None:
            raise DEPT_NOT_FOUND()
        role_list = validate_roles(list(roles))
        region = await _existing_region(region_code or department.region_code)
    elif kind == "operator":
        region = await _existing_region(region_code or "")
    _authorise_user_change(
        actor, kind=kind, department_id=department.id if department else None, region=region
    )
    try:
        return await StaffUser.create(
            username=username,
            name=name.strip(),
            kind=StaffKind(kind),
            department=department,
            roles=role_list,
            region_code=region,
            password_hash=hash_password(password),
        )
    except IntegrityError as exc:
        raise USERNAME_TAKEN() from exc


def _authorise_user_change(
    actor: Principal, *, kind: str, department_id: int | None, region: str | None
) -> None:
    if actor.kind == "admin":
        return
    if (
        actor.kind == "staff"
        and actor.has_role("dept_admin")
        and kind == "staff"
        and department_id == actor.department_id
    ):
        if region is None or not region_within(region, actor.region_code):
            raise SCOPE_OUTSIDE()
        return
    raise errors.FORBIDDEN()


async def _user_in_reach(actor: Principal, user_id: int) -> StaffUser:
    user = await StaffUser.get_or_none(id=user_id)
    if user is None:
        raise errors.NOT_FOUND()
    if actor.kind == "admin":
        return user
    if (
        actor.kind == "staff"
        and actor.has_role("dept_admin")
        and user.kind == StaffKind.STAFF
        and user.department_id == actor.department_id
        and region_within(user.region_code, actor.region_code)
    ):  # type: ignore[attr-defined]
        return user
    raise errors.NOT_FOUND()  # other departments' staff do not exist for this caller


async def update_user(
    actor: Principal,
    user_id: int,
    *,
    roles: Any = None,
    region_code: str | None = None,
    active: bool | None = None,
) -> StaffUser:
    user = await _user_in_reach(actor, user_id)
    if roles is not None:
        if user.kind != StaffKind.STAFF:
            raise BAD_ROLES()
        user.roles = validate_roles(list(roles))
    if region_code is not None:
        region = await _existing_region(region_code)
        _authorise_user_change(
            actor, kind=user.kind.value, department_id=user.department_id, region=region
        )  # type: ignore[attr-defined]
        user.region_code = region
    if active is not None:
        user.active = active
    await user.save()
    # New roles or scope must not ride on old tokens.
    await sessions.revoke_all(user.kind.value, user.id)
    return user


async def list_users(actor: Principal) -> list[StaffUser]:
    if actor.kind == "admin":
        return await StaffUser.all().order_by("id")
    if actor.kind == "staff" and actor.has_role("dept_admin"):
        users = await StaffUser.filter(
            department_id=actor.department_id, kind=StaffKind.STAFF
        ).order_by("id")
        return [u for u in users if region_within(u.region_code, actor.region_code)]
    raise errors.FORBIDDEN()


def user_view(user: StaffUser) -> dict[str, Any]:
    return {
        "id": user.id,
        "username": user.username,
        "name": user.name,
        "kind": user.kind.value,
        "department_id": user.department_id,
        "roles": user.roles,  # type: ignore[attr-defined]
        "region_code": user.region_code,
        "active": user.active,
    }
