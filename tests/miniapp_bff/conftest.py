"""A BFF app on its own plugin host: the real platform plugins plus the test department plugins
(services, a good widget, and widgets that hang, raise or answer garbage)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

import httpx
import pytest

from tests.miniapp_bff.fixture_plugins import bad_widgets


def build_test_host(settings):
    from core.plugins.host import PluginHost

    host = PluginHost(settings).load_entry_points()
    host.register_module("demo_services", "tests.miniapp_bff.fixture_plugins.demo_services")
    host.register_module("hanging", bad_widgets)
    host.register_module("raising", bad_widgets.Raising)
    host.register_module("not_a_widget", bad_widgets.NotAWidget)
    host.register_module("not_json", bad_widgets.NotJson)
    return host


@pytest.fixture
async def bff_app(app, settings, stores):
    """The app assembled from the test host; the catalogue registry reads the same host."""
    from core.app import create_app
    from core.catalogue import registry
    from core.plugins import host as host_module
    from miniapp_bff import catalogue_cache

    previous = host_module.get_host()
    test_host = build_test_host(settings)
    host_module.set_host(test_host)
    registry.reload_registry()
    catalogue_cache.forget_local()
    try:
        yield create_app(settings, test_host, stores, mount_sandbox=True)
    finally:
        host_module.set_host(previous)
        registry.reload_registry()
        catalogue_cache.forget_local()


@pytest.fixture
async def bff(bff_app):
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=bff_app), base_url="http://testserver") as c:
        yield c


async def enable(code: str, region: str = "430200000000", channel: str = "*", on: bool = True,
                 announce: bool = True) -> None:
    """Switch a service on as an operator would (the catalogue then broadcasts
    ``zhushida_catalogue_changed`` itself), or, with ``announce=False``, write the setting straight
    into the table behind the cache's back."""
    from core.catalogue.enablement import normalise_region, set_enablement
    from core.catalogue.models import Enablement
    from tests.support.auth import make_admin

    if announce:
        admin = await make_admin()
        await set_enablement(admin.principal, code, region, channel, on)
    else:
        await Enablement.update_or_create(
            item_code=code, region_code=normalise_region(region), channel=channel, defaults={"enabled": on}
        )


async def eventually(check: Callable[[], bool | Awaitable[bool]], *, within: float = 10.0) -> None:
    """Wait until ``check()`` holds: for what another process learns over Redis pub/sub, which
    arrives on its own connection (a deadline for a hung test, not a speed requirement)."""
    deadline = time.monotonic() + within
    while True:
        result = check()
        if isinstance(result, Awaitable):
            result = await result
        if result:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"not true within {within} s: {check}")
        await asyncio.sleep(0.01)
