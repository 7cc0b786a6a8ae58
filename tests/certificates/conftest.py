import pytest

from core.certificates import registry
from tests.certificates import demo_plugin


@pytest.fixture
def cert_types(host):
    """The demo department plugin registered in the running host for one test."""
    host.register_module("demo_certs", demo_plugin)
    registry.reset()
    yield registry.types()
    host.pm.unregister(name="demo_certs")
    host.records.pop("demo_certs", None)
    registry.reset()
