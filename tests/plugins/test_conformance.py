"""Every department plugin of this area passes the conformance kit (`zhushida plugins check`)."""

from __future__ import annotations

import pytest

from core.plugins.conformance import check_plugin


@pytest.mark.parametrize("name", ["social_security", "provident_fund", "real_estate", "core.feeds"])
async def test_plugin_passes_the_conformance_kit(settings, name):
    report = await check_plugin(settings, name)
    assert report.ok, "\n".join(report.lines())
    checks = {check for _ok, check, _detail in report.results}
    assert any(check.startswith("migrations package") for check in checks)
