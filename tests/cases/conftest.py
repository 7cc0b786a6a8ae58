"""Fixtures of the case-engine tests: the demo department plugin, enablement, people."""

from __future__ import annotations

import pytest

from tests.cases import demo_plugin

COUNTY = "430281000000"  # 醴陵市
OTHER_COUNTY = "430223000000"  # 攸县
CITY = "430200000000"


@pytest.fixture(scope="module")
def demo(host, celery_worker):
    """Plugin ``demo_dept`` registered for this module's tests, then removed again (with a real
    Celery worker on the services backend: listeners of case events enqueue tasks)."""
    from core.catalogue.registry import reload_registry

    host.register_module("demo_dept", demo_plugin)
    reload_registry()
    yield demo_plugin
    host.pm.unregister(name="demo_dept")
    host.records.pop("demo_dept", None)
    reload_registry()


@pytest.fixture(autouse=True)
def _reset_demo_state():
    demo_plugin.PEOPLE.clear()
    demo_plugin.CERTIFICATES.clear()
    demo_plugin.EVENTS.clear()
    yield
