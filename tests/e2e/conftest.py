"""Whole journeys over real HTTP: the platform served on a loopback port (couriers push their
webhooks to it), the sandbox gateways on theirs, the real SDKs (wechatpy, wechatpayv3, the SMS
client, the courier clients) talking to the sandbox, and the e2e departments registered."""

from __future__ import annotations

import httpx
import pytest

from tests.delivery.conftest import platform_url  # noqa: F401  (the served platform)
from tests.identity.conftest import Phone

COUNTY = "430281000000"  # 醴陵市
TOWNSHIP = "430281001000"


@pytest.fixture
def departments(host, app):
    from core.catalogue.registry import reload_registry
    from core.certificates import registry as certificate_types
    from tests.e2e import housing_loan_plugin

    host.register_module("e2e_housing", housing_loan_plugin)
    reload_registry()
    certificate_types.reset()
    yield housing_loan_plugin
    host.pm.unregister(name="e2e_housing")
    host.records.pop("e2e_housing", None)
    reload_registry()
    certificate_types.reset()


@pytest.fixture
async def http(platform_url, departments, settings):  # noqa: F811
    """The phone's HTTP client, on the real port; payment notifications are kept for replay."""
    from core.integrations.wechat import reset_clients

    reset_clients()
    async with httpx.AsyncClient(base_url=settings.effective_sandbox_url, timeout=15) as sandbox:
        for path in ("/wechatpay/_dev/config", "/alipay/_dev/config"):
            assert (await sandbox.post(path, json={"deliver": False, "reset": True})).status_code == 200
    async with httpx.AsyncClient(base_url=platform_url, timeout=30) as client:
        yield client


@pytest.fixture
async def sandbox(settings):
    async with httpx.AsyncClient(base_url=settings.effective_sandbox_url, timeout=15) as client:
        yield client


@pytest.fixture
def phone(sandbox_server) -> Phone:
    return Phone(sandbox_server)
