"""Fixtures of the delivery tests: the platform served on a real port (couriers push webhooks to
it over HTTP), delivery settings pointing there, the test items, and people."""

from __future__ import annotations

import asyncio
import os

import httpx
import pytest
import uvicorn

from tests.support.servers import free_port

# Fast back-off in tests: the retry path runs, just without minutes of waiting.
os.environ.setdefault("ZHUSHIDA_DELIVERY_RETRY_BASE_SECONDS", "0")
os.environ.setdefault("ZHUSHIDA_DELIVERY_ORDER_ATTEMPTS", "3")
os.environ.setdefault("ZHUSHIDA_DELIVERY_HTTP_TIMEOUT_SECONDS", "3")

COUNTY = "430281000000"  # 醴陵市
TOWNSHIP = "430281001000"
OTHER_COUNTY = "430223000000"  # 攸县
CITY = "430200000000"


@pytest.fixture(scope="session")
async def platform_url(app):
    """The app on a loopback port, served on this test loop (its database connections are here)."""
    from delivery.config import reset_delivery_settings
    from delivery.couriers.registry import reset_gateways

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    serving = asyncio.get_running_loop().create_task(server.serve())
    while not server.started:
        if serving.done():
            serving.result()
        await asyncio.sleep(0.01)
    url = f"http://127.0.0.1:{port}"
    os.environ["ZHUSHIDA_DELIVERY_CALLBACK_BASE"] = url
    reset_delivery_settings()
    reset_gateways()
    yield url
    server.should_exit = True
    await serving


@pytest.fixture(scope="module")
def items(host):
    from core.catalogue.registry import reload_registry
    from tests.delivery import items_plugin

    host.register_module("delivery_test_items", items_plugin)
    reload_registry()
    yield items_plugin
    host.pm.unregister(name="delivery_test_items")
    host.records.pop("delivery_test_items", None)
    reload_registry()


@pytest.fixture
async def sandbox(sandbox_server):
    """A client for the sandbox couriers' back office; outages are switched off afterwards."""
    async with httpx.AsyncClient(base_url=f"{sandbox_server}/couriers", timeout=15) as c:
        yield c
        for courier in ("ems", "sf"):
            await c.post(f"/{courier}/_dev/outage", json={"down": False})
