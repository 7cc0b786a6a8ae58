"""Legal-person routes: claim an enterprise by credit code, manage its agents (经办人)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec
from litestar import Request, get, post
from litestar.params import FromPath, JSONBody

from core.auth import requires
from core.identity import enterprises
from core.identity.audit import audit
from core.identity.routes.citizen import own_self

CITIZEN = requires("citizen")


class ClaimBody(msgspec.Struct, forbid_unknown_fields=True):
    uscc: str


class AgentBody(msgspec.Struct, forbid_unknown_fields=True):
    phone: str
    name: str
    expires_at: datetime | None = None


def enterprise_routes() -> list:
    @post(
        "/identity/enterprises",
        guards=[CITIZEN],
        status_code=201,
        summary="Claim an enterprise as its legal representative",
    )
    async def claim(request: Request, data: JSONBody[ClaimBody]) -> dict[str, Any]:
        e = await enterprises.claim(own_self(request), data.uscc)
        await audit(
            request,
            own_self(request),
            "identity.enterprise_claimed",
            f"enterprise:{e.id}",
            uscc=e.uscc,
        )
        return {"id": e.id, "uscc": e.uscc, "name": e.name, "role": "legal_rep"}

    @get("/identity/enterprises", guards=[CITIZEN], summary="Enterprises I represent or act for")
    async def mine(request: Request) -> dict[str, Any]:
        return {"items": await enterprises.my_enterprises(own_self(request))}

    @get("/identity/enterprises/{enterprise_id:int}/agents", guards=[CITIZEN])
    async def agents(request: Request, enterprise_id: FromPath[int]) -> dict[str, Any]:
        return {"items": await enterprises.agents_view(own_self(request), enterprise_id)}

    @post(
        "/identity/enterprises/{enterprise_id:int}/agents",
        guards=[CITIZEN],
        status_code=201,
        summary="Authorise an agent (经办人)",
    )
    async def add_agent(
        request: Request, enterprise_id: FromPath[int], data: JSONBody[AgentBody]
    ) -> dict[str, Any]:
        agent = await enterprises.authorise_agent(
            own_self(request),
            enterprise_id,
            phone=data.phone,
            name=data.name,
            expires_at=data.expires_at,
        )
        await audit(
            request,
            own_self(request),
            "identity.agent_authorised",
            f"enterprise:{enterprise_id}",
            agent=agent.id,
            account=agent.account_id,
        )  # type: ignore[attr-defined]
        return {"id": agent.id, "account_id": agent.account_id, "active": agent.active}  # type: ignore[attr-defined]

    @post(
        "/identity/enterprises/{enterprise_id:int}/agents/{agent_id:int}/revoke",
        guards=[CITIZEN],
        status_code=200,
    )
    async def revoke_agent(
        request: Request, enterprise_id: FromPath[int], agent_id: FromPath[int]
    ) -> dict[str, Any]:
        agent = await enterprises.revoke_agent(own_self(request), enterprise_id, agent_id)
        await audit(
            request,
            own_self(request),
            "identity.agent_revoked",
            f"enterprise:{enterprise_id}",
            agent=agent.id,
        )
        return {"id": agent.id, "active": agent.active}

    return [claim, mine, agents, add_agent, revoke_agent]
