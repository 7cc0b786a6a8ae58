"""Who am I, refresh, logout, logout everywhere."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request, get, post
from litestar.params import JSONBody

from core.auth import principal_of, requires
from core.identity import sessions
from core.identity.accounts import reload_principal
from core.identity.audit import audit

ANYONE = requires("citizen", "staff", "operator", "admin")


class RefreshBody(msgspec.Struct, forbid_unknown_fields=True):
    refresh_token: str


async def me_view(request: Request) -> dict[str, Any]:
    from core.identity.api import get_account
    from core.identity.models import Department, StaffUser

    principal = principal_of(request)
    body: dict[str, Any] = {
        "kind": principal.kind,
        "id": principal.account_id,
        "channel": principal.channel,
        "acting_for": principal.acting_for,
        "proxy_scope": sorted(principal.proxy_scope) if principal.proxy_scope is not None else None,
    }
    if principal.kind == "citizen":
        info = await get_account(principal.account_id)
        body["account"] = info.as_dict() if info else None
        if principal.acting_for is not None:
            grantor = await get_account(principal.acting_for)
            body["acting_for_account"] = {
                "id": principal.acting_for,
                "name": grantor.name_masked if grantor else None,
            }
    else:
        user = await StaffUser.get_or_none(id=principal.account_id)
        department = (
            await Department.get_or_none(id=principal.department_id)
            if principal.department_id
            else None
        )
        body["staff"] = {
            "name": user.name if user else None,
            "roles": sorted(principal.roles),
            "region_code": principal.region_code,
            "department": {"id": department.id, "code": department.code, "name": department.name}
            if department
            else None,
        }
    return body


def session_routes() -> list:
    @get("/identity/me", guards=[ANYONE], summary="The signed-in caller (personal data masked)")
    async def me(request: Request) -> dict[str, Any]:
        return await me_view(request)

    @post(
        "/identity/token/refresh",
        status_code=200,
        summary="Swap a refresh token for a new token pair",
    )
    async def refresh(data: JSONBody[RefreshBody]) -> dict[str, Any]:
        pair = await sessions.refresh(data.refresh_token, reload=reload_principal)
        return pair.as_dict()

    @post("/identity/logout", guards=[ANYONE], status_code=200, summary="End this session")
    async def logout(request: Request) -> dict[str, Any]:
        await sessions.revoke_session(principal_of(request).session_id)
        return {"ok": True}

    @post(
        "/identity/logout-all",
        guards=[ANYONE],
        status_code=200,
        summary="End every session of this person",
    )
    async def logout_all(request: Request) -> dict[str, Any]:
        principal = principal_of(request)
        await sessions.revoke_all(principal.kind, principal.account_id)
        await audit(
            request,
            principal,
            "identity.logout_everywhere",
            f"{principal.kind}:{principal.account_id}",
        )
        return {"ok": True}

    return [me, refresh, logout, logout_all]
