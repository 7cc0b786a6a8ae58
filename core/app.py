"""``create_app()``: the Litestar app, assembled by the plugin host from contributed routes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from litestar import Litestar, Router
from litestar.datastructures import State
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import SwaggerRenderPlugin

from core import changes, db, tasks
from core.auth import auth_middleware
from core.logs import configure_logging
from core.plugins.host import PluginHost, get_host
from core.plugins.records import CONTRACT_VERSION, Routes
from core.sandbox import sandbox_router
from core.settings import Settings, get_settings
from core.stores import Stores, get_stores
from core.web.errors import EXCEPTION_HANDLERS
from core.web.metrics import metrics_middleware
from core.web.request_id import request_id_middleware


def contributed_routes(settings: Settings, host: PluginHost) -> list:
    handlers: list = []
    for plugin, routes in host.call("zhushida_routes", settings=settings):
        if not isinstance(routes, Routes):
            routes = Routes(list(routes) if isinstance(routes, list | tuple) else [routes])
        if routes.absolute and host.records[plugin].platform:
            handlers.extend(routes.handlers)
        else:
            handlers.append(Router(path=f"/plugins/{plugin}", route_handlers=list(routes.handlers)))
    return handlers


@asynccontextmanager
async def platform_lifespan(app: Litestar) -> AsyncIterator[None]:
    """Database, change notifications, in-process periodic tasks and plugins' start-up/shut-down
    events."""
    settings: Settings = app.state.settings
    host: PluginHost = app.state.host
    owns_db = not db.is_initialised()
    if owns_db:
        await db.init_db(settings, host)
    runner = None
    if not settings.broker_url:
        periodic = [p for _plugin, p in host.collect("zhushida_periodic_tasks", settings=settings)]
        runner = tasks.PeriodicRunner(periodic)
        runner.start()
    await changes.start()  # in-process caches are used only while this process hears of changes
    await host.broadcast("zhushida_startup", app=app)
    try:
        yield
    finally:
        await host.broadcast("zhushida_shutdown", app=app)
        if runner:
            await runner.stop()
        await tasks.drain(timeout=10)
        await changes.stop()
        if owns_db:
            await db.close_db()


def create_app(
    settings: Settings | None = None,
    host: PluginHost | None = None,
    stores: Stores | None = None,
    *,
    mount_sandbox: bool | None = None,
) -> Litestar:
    settings = settings or get_settings()
    host = host or get_host(settings)
    stores = stores or get_stores()
    configure_logging(settings)
    for _plugin, _fns in host.call("zhushida_tasks"):
        pass  # importing the plugin's task functions registers them
    handlers = contributed_routes(settings, host)
    if settings.sandbox_enabled if mount_sandbox is None else mount_sandbox:
        handlers.append(sandbox_router(settings, host))

    return Litestar(
        route_handlers=handlers,
        exception_handlers=EXCEPTION_HANDLERS,
        middleware=[request_id_middleware, metrics_middleware, auth_middleware],
        lifespan=[platform_lifespan],
        openapi_config=OpenAPIConfig(
            title="Zhushida 诸事达 API",
            version=f"0.1 (plugin contract {CONTRACT_VERSION})",
            path="/docs",
            render_plugins=[SwaggerRenderPlugin(path="/")],
        ),
        request_max_body_size=settings.max_body_bytes,
        state=State({"settings": settings, "host": host, "stores": stores}),
        debug=False,
        # Logging is configured once by core.logs (structlog); Litestar's default config would
        # replace it with its own root handler and level.
        logging_config=None,
    )


def app_factory() -> Litestar:
    """Entry for ASGI servers (``core.app:app_factory``, factory mode)."""
    return create_app()
