"""Plugin widgets of the home screen, gathered through the plugin host under a time budget.

``host.gather("zhushida_home_widgets", ...)`` calls every plugin concurrently; one that raises or
takes longer than the budget is logged and left out, so a department's slow API costs its own
card, never the screen. Answers that are not :class:`Widget` records are dropped too.

What a plugin receives: ``user`` is the caller's :class:`core.auth.Principal` (use
``user.subject_id``: the person whose data is shown, the grantor when acting for a relative),
``region`` the 12-digit code of that person's home region (or None), ``channel`` ``"miniapp"`` or
``"app"``.
"""

from __future__ import annotations

import logging
from typing import Any

import msgspec

from core.auth import Principal
from core.plugins.host import PluginHost
from core.plugins.records import Widget
from miniapp_bff.channels import Screen

log = logging.getLogger("zhushida.bff")

ELDER_WIDGETS = 2


def widget_budget(host: PluginHost) -> float:
    """A home screen must answer fast: a generous plugin budget does not make it wait longer."""
    return min(host.settings.plugin_timeout_seconds, host.settings.home_budget_seconds)


async def gather_widgets(host: PluginHost, user: Principal, region: str | None, screen: Screen) -> list[dict[str, Any]]:
    answers = await host.gather(
        "zhushida_home_widgets", timeout=widget_budget(host), user=user, region=region, channel=screen.channel
    )
    widgets: list[tuple[int, str, dict[str, Any]]] = []
    seen: set[str] = set()
    for plugin, answer in answers:
        for widget in answer if isinstance(answer, list | tuple) else [answer]:
            if not isinstance(widget, Widget) or not isinstance(widget.data, dict):
                log.warning("plugin %r returned a home widget that is not a Widget record: %r", plugin, type(widget))
                continue
            try:
                msgspec.json.encode(widget.data)
            except (TypeError, msgspec.EncodeError):
                log.warning("plugin %r returned a home widget whose data is not JSON", plugin)
                continue
            key = f"{plugin}.{widget.key}"
            if key in seen:
                continue
            seen.add(key)
            widgets.append((widget.order, key, {
                "key": key,
                "plugin": plugin,
                "title": screen.text(widget.title, widget.title_en),
                "data": widget.data,
            }))
    widgets.sort(key=lambda entry: (entry[0], entry[1]))
    shown = [entry[2] for entry in widgets]
    return shown[:ELDER_WIDGETS] if screen.elder else shown
