"""The home screen (首页) as one answer: every section gathered concurrently, none able to sink it.

Sections are independent reads (the services offered, the card, cases waiting for the citizen,
unread messages, plugin widgets). They run concurrently; each has the same time budget, and one
that fails or is late is left out and named in ``degraded`` so the client can show a retry hint
on that card only. The screen itself always answers.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from core.auth import Principal
from core.plugins.host import PluginHost
from miniapp_bff.channels import Screen
from miniapp_bff.widgets import gather_widgets, widget_budget

log = logging.getLogger("zhushida.bff")


@dataclass(frozen=True, slots=True)
class HomeContext:
    principal: Principal
    screen: Screen
    region: str | None
    host: PluginHost
    extras: dict[str, Any] = field(default_factory=dict)


Section = Callable[[HomeContext], Awaitable[Any]]


async def widgets_section(ctx: HomeContext) -> list[dict[str, Any]]:
    return await gather_widgets(ctx.host, ctx.principal, ctx.region, ctx.screen)


async def assemble(ctx: HomeContext, sections: dict[str, Section], *, budget: float | None = None) -> dict[str, Any]:
    """Run ``sections`` concurrently; a section's answer lands under its name.

    The widgets section has its own per-plugin budget inside; the outer budget here bounds every
    section (including a slow database read) so the screen answers in bounded time.
    """
    limit = (widget_budget(ctx.host) + 0.1) if budget is None else budget

    async def run(name: str, section: Section) -> tuple[str, Any, bool]:
        try:
            return name, await asyncio.wait_for(section(ctx), limit), True
        except Exception as exc:  # one card failing must not fail the screen
            log.warning("home section %r dropped: %s: %s", name, type(exc).__name__, exc)
            return name, None, False

    results = await asyncio.gather(*(run(name, section) for name, section in sections.items()))
    screen: dict[str, Any] = {"channel": ctx.screen.channel, "mode": ctx.screen.mode, "lang": ctx.screen.lang}
    degraded = []
    for name, value, ok in results:
        screen[name] = value
        if not ok:
            degraded.append(name)
    screen["degraded"] = degraded
    return screen
