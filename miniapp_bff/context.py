"""Who the screen is for: the signed-in citizen, or the relative they act for (亲友代办)."""

from __future__ import annotations

from litestar import Request

from core.auth import Principal, principal_of
from miniapp_bff.channels import Screen, ensure_channel_matches, screen_of


def citizen(request: Request, channel: str) -> tuple[Principal, Screen]:
    """The caller (a citizen, guard-checked) and the screen shape; refuses a token of the other
    channel."""
    screen = screen_of(request, channel)
    principal = principal_of(request)
    ensure_channel_matches(principal, screen.channel)
    return principal, screen


async def subject_region(principal: Principal) -> str | None:
    """The home region of the person whose services are shown: one's own, or the grantor's when
    acting for a relative (their county decides what they can apply for)."""
    if principal.acting_for is None:
        return principal.region_code
    from core.identity.api import get_account

    account = await get_account(principal.acting_for)
    return account.home_region_code if account else None
