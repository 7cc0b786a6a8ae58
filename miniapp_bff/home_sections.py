"""The sections of the home screen, each an independent read through another area's public API
or the plugin host. :func:`sections_for` picks them per display mode."""

from __future__ import annotations

from typing import Any

from miniapp_bff import cases_screens, catalogue, wallet
from miniapp_bff.channels import Screen
from miniapp_bff.home import HomeContext, Section, widgets_section

MESSAGES_PREVIEW = 3


async def services_section(ctx: HomeContext) -> dict[str, Any] | None:
    if ctx.region is None:
        return None  # no home region yet: the client shows "set your region"
    return await catalogue.catalogue_screen(ctx.principal.subject_id, ctx.region, ctx.screen)


async def messages_section(ctx: HomeContext) -> dict[str, Any]:
    from core.messages import api as messages

    # Messages are the signed-in person's own, also while acting for a relative.
    account_id = ctx.principal.account_id
    unread = await messages.unread_count(account_id)
    latest = []
    if unread and not ctx.screen.elder:
        for message in await messages.list_messages(account_id, unread_only=True, limit=MESSAGES_PREVIEW):
            latest.append(messages.message_view(message, english=ctx.screen.english))
    return {"unread": unread, "latest": latest}


async def cases_section(ctx: HomeContext) -> dict[str, Any]:
    return await cases_screens.needing_action(ctx.principal, ctx.screen, limit=2 if ctx.screen.elder else 5)


async def card_section(ctx: HomeContext) -> dict[str, Any] | None:
    return await wallet.card_summary(ctx.principal, ctx.screen, ctx.extras.setdefault("card_ids", []))


def sections_for(screen: Screen) -> dict[str, Section]:
    return {
        "services": services_section,
        "card": card_section,
        "cases": cases_section,
        "messages": messages_section,
        "widgets": widgets_section,
    }
