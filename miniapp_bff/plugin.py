"""The backend-for-frontend registered as a plugin of the platform: ``/bff/{channel}/...`` routes
for the WeChat mini-program and the mobile app (docs/bff.md)."""

from __future__ import annotations

from core.hooks import Routes, hookimpl

ZHUSHIDA_CONTRACT = "1"


@hookimpl
def zhushida_routes(settings):
    from miniapp_bff.routes import ROUTES

    return Routes(ROUTES, absolute=True)


@hookimpl
def zhushida_catalogue_changed():
    # Any change drops every region's entry: enablement is inherited down the region tree, so a
    # change at the city touches every county below it, and a rebuild is one query per region.
    from miniapp_bff import catalogue_cache

    return catalogue_cache.invalidate("zhushida_catalogue_changed")


@hookimpl
def zhushida_case_event(event):
    # Any transition or new case may change "cases needing my action" on the applicant's home
    # screen (and on the screen of a relative acting for them, keyed by the same account).
    from core import changes

    changes.publish("account", event.applicant_id)


@hookimpl
def zhushida_cli_commands():
    from miniapp_bff.cli import bff

    return [bff]
