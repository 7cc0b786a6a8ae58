"""Relatives' authorisation routes (亲友代办): grant, list, accept, decline, revoke, act, and the
grantor's profile as the acting grantee sees it (logged)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec
from litestar import Request, get, post
from litestar.params import FromPath, JSONBody

from core import errors
from core.auth import ensure_citizen_owns, principal_of, requires
from core.identity import proxies
from core.identity.audit import audit
from core.identity.routes.citizen import own_self

CITIZEN = requires("citizen")


class GrantBody(msgspec.Struct, forbid_unknown_fields=True):
    grantee_phone: str
    expires_at: datetime
    scope: list[str] | None = None
    relation: str = "other"


def proxy_routes() -> list:
    @post(
        "/identity/proxies",
        guards=[CITIZEN],
        status_code=201,
        summary="Authorise a relative to act for me",
    )
    async def create(request: Request, data: JSONBody[GrantBody]) -> dict[str, Any]:
        principal = own_self(request)
        grant = await proxies.create_grant(
            principal,
            grantee_phone=data.grantee_phone,
            scope=data.scope,
            expires_at=data.expires_at,
            relation=data.relation,
        )
        await audit(
            request,
            principal,
            "identity.proxy_granted",
            f"proxy_grant:{grant.id}",
            grantor=grant.grantor_id,
            grantee=grant.grantee_id,
            scope=grant.scope,
        )
        return await proxies.grant_view(grant, principal.account_id)

    @get("/identity/proxies", guards=[CITIZEN], summary="Grants I gave and grants I received")
    async def listing(request: Request) -> dict[str, Any]:
        return {"items": await proxies.list_grants(own_self(request))}

    @post("/identity/proxies/{grant_id:int}/accept", guards=[CITIZEN], status_code=200)
    async def accept(request: Request, grant_id: FromPath[int]) -> dict[str, Any]:
        principal = own_self(request)
        grant = await proxies.accept(grant_id, principal)
        await audit(
            request,
            principal,
            "identity.proxy_accepted",
            f"proxy_grant:{grant.id}",
            grantor=grant.grantor_id,
            grantee=grant.grantee_id,
        )
        return await proxies.grant_view(grant, principal.account_id)

    @post("/identity/proxies/{grant_id:int}/decline", guards=[CITIZEN], status_code=200)
    async def decline(request: Request, grant_id: FromPath[int]) -> dict[str, Any]:
        principal = own_self(request)
        grant = await proxies.decline(grant_id, principal)
        await audit(
            request,
            principal,
            "identity.proxy_declined",
            f"proxy_grant:{grant.id}",
            grantor=grant.grantor_id,
            grantee=grant.grantee_id,
        )
        return await proxies.grant_view(grant, principal.account_id)

    @post(
        "/identity/proxies/{grant_id:int}/revoke",
        guards=[CITIZEN],
        status_code=200,
        summary="End a grant (either person)",
    )
    async def revoke(request: Request, grant_id: FromPath[int]) -> dict[str, Any]:
        principal = own_self(request)
        grant = await proxies.revoke(grant_id, principal)
        await audit(
            request,
            principal,
            "identity.proxy_revoked",
            f"proxy_grant:{grant.id}",
            grantor=grant.grantor_id,
            grantee=grant.grantee_id,
        )
        return await proxies.grant_view(grant, principal.account_id)

    @post(
        "/identity/proxies/{grant_id:int}/act",
        guards=[CITIZEN],
        status_code=200,
        summary="Tokens for acting on behalf of the grantor under this grant",
    )
    async def act(request: Request, grant_id: FromPath[int]) -> dict[str, Any]:
        principal = own_self(request)
        pair = await proxies.act_for(grant_id, principal)
        await audit(
            request,
            principal,
            "identity.proxy_session_opened",
            f"proxy_grant:{grant_id}",
            session_id=pair.session_id,
        )
        return pair.as_dict()

    @get(
        "/identity/acting/profile",
        guards=[CITIZEN],
        summary="The grantor's profile, for the acting relative",
    )
    async def acting_profile(request: Request) -> dict[str, Any]:
        from core.identity.access_log import record_read
        from core.identity.api import get_account

        principal = principal_of(request)
        if principal.acting_for is None:
            raise errors.NOT_FOUND()
        ensure_citizen_owns(principal, principal.acting_for)
        info = await get_account(principal.acting_for)
        if info is None:
            raise errors.NOT_FOUND()
        await record_read(
            principal.acting_for,
            reader=principal,
            fields=["name", "phone", "id_number"],
            purpose="亲友代办查看资料",
            request_id=str(request.scope.get("state", {}).get("request_id", "")),
        )
        return {"account": info.as_dict(), "grant_id": principal.proxy_grant_id}

    return [create, listing, accept, decline, revoke, act, acting_profile]
