"""Sandbox gateways: one ASGI surface that plays the outside providers (WeChat, payment channels,
couriers) over real HTTP, so the real SDKs sign, send and parse exactly as in production.

Mounted under ``/sandbox`` in the embedded default, or served alone by ``zhushida sandbox``.
Each provider keeps its state in memory of the serving process; ``/sandbox/_dev/...`` endpoints
let a test or a demo play the phone or the provider's back office (e.g. produce a ``wx.login``
code).
"""

from __future__ import annotations

from litestar import Litestar, Router

from core.plugins.host import PluginHost
from core.settings import Settings


def sandbox_router(settings: Settings, host: PluginHost) -> Router:
    handlers = [item for _plugin, item in host.collect("zhushida_sandbox_routes", settings=settings)]
    return Router(path="/sandbox", route_handlers=handlers, include_in_schema=False)


def create_sandbox_app(settings: Settings, host: PluginHost) -> Litestar:
    from core.web.errors import EXCEPTION_HANDLERS

    return Litestar(route_handlers=[sandbox_router(settings, host)], exception_handlers=EXCEPTION_HANDLERS, openapi_config=None)
