"""Identity's privileged and identity-changing actions go to the platform audit trail
(``core_audit_event``), with both people when someone acts for a relative."""

from __future__ import annotations

from typing import Any

from litestar import Request

from core.auth import Principal, audit_actor
from core.models import AuditEvent


async def audit(
    request: Request | None,
    principal: Principal | None,
    action: str,
    target: str = "",
    **details: Any,
) -> None:
    actor = audit_actor(principal)
    who = (
        f"{actor['actor_kind']}:{actor['actor_id']}"
        if actor["actor_id"] is not None
        else actor["actor_kind"]
    )
    if actor["on_behalf_of"] is not None:
        details["on_behalf_of"] = actor["on_behalf_of"]
    request_id = (
        str(request.scope.get("state", {}).get("request_id", "")) if request is not None else ""
    )
    await AuditEvent.create(
        actor=who[:64],
        action=action[:64],
        target=target[:128],
        details=details,
        request_id=request_id[:64],
    )
