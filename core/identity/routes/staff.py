"""Staff, operator and admin routes: login, departments, users, citizen look-ups (logged), regions."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request, get, patch, post
from litestar.params import FromPath, FromQuery, JSONBody

from core import errors
from core.auth import ensure_staff_scope, principal_of, region_within, requires
from core.identity import staff
from core.identity.access_log import record_read
from core.identity.accounts import find_by_id_number
from core.identity.api import account_info
from core.identity.audit import audit
from core.identity.models import Account, Department, Region, RegionLevel
from core.identity.pii import normalize_id_number
from core.identity.regions import (
    REGION_NOT_FOUND,
    level_of,
    normalize_code,
    parent_of,
    require_region,
)
from core.identity.routes.citizen import client_address

STAFF_SIDE = requires("staff", "operator", "admin")
ADMIN = requires("admin")
USER_ADMINS = requires("staff", "admin", roles=("dept_admin",))
OPERATORS = requires("operator", "admin")

PURPOSE_REQUIRED = errors.define(
    "identity.purpose_required",
    400,
    "查询个人信息须填写查询事由",
    "Reading personal data needs a stated purpose",
)


class StaffLoginBody(msgspec.Struct, forbid_unknown_fields=True):
    username: str
    password: str


class DepartmentBody(msgspec.Struct, forbid_unknown_fields=True):
    code: str
    name: str
    region_code: str


class UserBody(msgspec.Struct, forbid_unknown_fields=True):
    kind: str
    username: str
    name: str
    password: str
    department_code: str | None = None
    roles: list[str] = []
    region_code: str | None = None


class UserPatch(msgspec.Struct, forbid_unknown_fields=True):
    roles: list[str] | None = None
    region_code: str | None = None
    active: bool | None = None


class LookupBody(msgspec.Struct, forbid_unknown_fields=True):
    id_number: str
    purpose: str


class RegionBody(msgspec.Struct, forbid_unknown_fields=True):
    code: str
    name: str


class RegionPatch(msgspec.Struct, forbid_unknown_fields=True):
    name: str


def _request_id(request: Request) -> str:
    return str(request.scope.get("state", {}).get("request_id", ""))


def _purpose(value: str | None) -> str:
    purpose = (value or "").strip()
    if len(purpose) < 2:
        raise PURPOSE_REQUIRED()
    return purpose[:128]


async def _citizen_for_staff(
    request: Request, account: Account | None, purpose: str
) -> dict[str, Any]:
    """Staff/operators see citizens whose home region is in their scope (admins: everyone); each
    read is logged for the citizen."""
    principal = principal_of(request)
    if account is None:
        raise errors.NOT_FOUND()
    if principal.kind != "admin" and not region_within(
        account.home_region_code, principal.region_code
    ):
        raise errors.NOT_FOUND()
    from core.identity.models import StaffUser

    user = await StaffUser.get_or_none(id=principal.account_id)
    entry = await record_read(
        account.id,
        reader=principal,
        fields=["name", "phone", "id_number"],
        purpose=purpose,
        request_id=_request_id(request),
    )
    if entry is not None and user is not None:
        entry.reader_name = user.name
        await entry.save(update_fields=["reader_name"])
    return {"account": account_info(account).as_dict()}


def _region_view(region: Region) -> dict[str, Any]:
    return {
        "code": region.code,
        "name": region.name,
        "level": region.level.value,
        "parent_code": region.parent_code,
    }


def staff_routes() -> list:
    @post(
        "/identity/staff/login", status_code=200, summary="Staff / operator / admin password login"
    )
    async def staff_login(request: Request, data: JSONBody[StaffLoginBody]) -> dict[str, Any]:
        user, pair = await staff.login(data.username, data.password, client_address(request))
        return {**pair.as_dict(), "user": staff.user_view(user)}

    @get("/identity/departments", guards=[STAFF_SIDE], summary="Departments")
    async def departments() -> dict[str, Any]:
        rows = await Department.all().order_by("code")
        return {
            "items": [
                {"id": d.id, "code": d.code, "name": d.name, "region_code": d.region_code}
                for d in rows
            ]
        }

    @post(
        "/identity/admin/departments",
        guards=[ADMIN],
        status_code=201,
        summary="Create a department",
    )
    async def create_department(request: Request, data: JSONBody[DepartmentBody]) -> dict[str, Any]:
        d = await staff.create_department(
            principal_of(request), data.code, data.name, data.region_code
        )
        await audit(
            request,
            principal_of(request),
            "identity.department_created",
            f"department:{d.id}",
            code=d.code,
        )
        return {"id": d.id, "code": d.code, "name": d.name, "region_code": d.region_code}

    @get("/identity/admin/users", guards=[USER_ADMINS], summary="Users this caller administers")
    async def users(request: Request) -> dict[str, Any]:
        return {
            "items": [staff.user_view(u) for u in await staff.list_users(principal_of(request))]
        }

    @post(
        "/identity/admin/users",
        guards=[USER_ADMINS],
        status_code=201,
        summary="Create staff, operators or admins",
    )
    async def create_user(request: Request, data: JSONBody[UserBody]) -> dict[str, Any]:
        user = await staff.create_user(
            principal_of(request),
            kind=data.kind,
            username=data.username,
            name=data.name,
            password=data.password,
            department_code=data.department_code,
            roles=data.roles,
            region_code=data.region_code,
        )
        await audit(
            request,
            principal_of(request),
            "identity.user_created",
            f"staff_user:{user.id}",
            view=staff.user_view(user),
        )
        return staff.user_view(user)

    @patch(
        "/identity/admin/users/{user_id:int}",
        guards=[USER_ADMINS],
        summary="Change roles, scope or status",
    )
    async def update_user(
        request: Request, user_id: FromPath[int], data: JSONBody[UserPatch]
    ) -> dict[str, Any]:
        user = await staff.update_user(
            principal_of(request),
            user_id,
            roles=data.roles,
            region_code=data.region_code,
            active=data.active,
        )
        await audit(
            request,
            principal_of(request),
            "identity.user_changed",
            f"staff_user:{user.id}",
            view=staff.user_view(user),
        )
        return staff.user_view(user)

    @get(
        "/identity/staff/citizens/{account_id:int}",
        guards=[STAFF_SIDE],
        summary="A citizen (masked; logged)",
    )
    async def citizen(
        request: Request, account_id: FromPath[int], purpose: FromQuery[str | None] = None
    ) -> dict[str, Any]:
        reason = _purpose(purpose)
        return await _citizen_for_staff(request, await Account.get_or_none(id=account_id), reason)

    @post(
        "/identity/staff/citizens/lookup",
        guards=[STAFF_SIDE],
        status_code=200,
        summary="Find a citizen by resident ID (masked; logged)",
    )
    async def lookup(request: Request, data: JSONBody[LookupBody]) -> dict[str, Any]:
        reason = _purpose(data.purpose)
        account = await find_by_id_number(normalize_id_number(data.id_number))
        return await _citizen_for_staff(request, account, reason)

    @get("/identity/regions/{code:str}", summary="A region and its path from the top")
    async def region(code: FromPath[str]) -> dict[str, Any]:
        from core.identity.regions import ancestors

        found = await require_region(code)
        return {
            **_region_view(found),
            "path": [_region_view(r) for r in await ancestors(found.code)],
        }

    @get("/identity/regions/{code:str}/children", summary="The regions directly under one")
    async def region_children(code: FromPath[str]) -> dict[str, Any]:
        found = await require_region(code)
        rows = await Region.filter(parent_code=found.code).order_by("code")
        return {"items": [_region_view(r) for r in rows]}

    @post(
        "/identity/regions",
        guards=[OPERATORS],
        status_code=201,
        summary="Add a township or village inside the operator's scope",
    )
    async def add_region(request: Request, data: JSONBody[RegionBody]) -> dict[str, Any]:
        principal = principal_of(request)
        code = normalize_code(data.code)
        if level_of(code) not in (RegionLevel.TOWNSHIP, RegionLevel.VILLAGE):
            raise errors.BAD_REQUEST(
                details={
                    "reason": "only townships and villages are added here; import the national file for the rest"
                }
            )
        ensure_staff_scope(principal, department_id=None, region_code=code)
        parent = parent_of(code)
        if not await Region.exists(code=parent):
            raise REGION_NOT_FOUND(details={"code": parent, "reason": "parent region missing"})
        name = data.name.strip()
        if not name or len(name) > 64:
            raise errors.BAD_REQUEST(details={"field": "name"})
        if await Region.exists(code=code):
            raise errors.CONFLICT(details={"code": code})
        created = await Region.create(
            code=code, name=name, level=level_of(code), parent_code=parent
        )
        await audit(request, principal, "identity.region_added", f"region:{code}", name=name)
        return _region_view(created)

    @patch(
        "/identity/regions/{code:str}",
        guards=[OPERATORS],
        summary="Rename a region inside the operator's scope",
    )
    async def rename_region(
        request: Request, code: FromPath[str], data: JSONBody[RegionPatch]
    ) -> dict[str, Any]:
        principal = principal_of(request)
        found = await require_region(code)
        ensure_staff_scope(principal, department_id=None, region_code=found.code)
        if principal.kind == "operator" and found.code == principal.region_code:
            raise errors.FORBIDDEN(
                details={"reason": "an operator cannot rename the root of their own scope"}
            )
        name = data.name.strip()
        if not name or len(name) > 64:
            raise errors.BAD_REQUEST(details={"field": "name"})
        old_name, found.name = found.name, name
        await found.save(update_fields=["name"])
        await audit(
            request,
            principal,
            "identity.region_renamed",
            f"region:{found.code}",
            old=old_name,
            new=name,
        )
        return _region_view(found)

    return [
        staff_login,
        departments,
        create_department,
        users,
        create_user,
        update_user,
        citizen,
        lookup,
        region,
        region_children,
        add_region,
        rename_region,
    ]
