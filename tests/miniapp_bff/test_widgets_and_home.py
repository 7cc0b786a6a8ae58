"""The home screen gathers plugin widgets and sections concurrently; slow or broken ones drop out."""

from __future__ import annotations

import asyncio
import logging
import time

from core.auth import Principal
from core.settings import Settings
from miniapp_bff.channels import Screen
from miniapp_bff.home import HomeContext, assemble, widgets_section
from miniapp_bff.widgets import ELDER_WIDGETS, gather_widgets
from tests.miniapp_bff.conftest import build_test_host
from tests.miniapp_bff.fixture_plugins import many_services

CITIZEN = Principal(kind="citizen", account_id=7, level=2, region_code="430281000000", channel="miniapp")


def widget_host(budget: float = 0.2):
    return build_test_host(Settings(plugin_timeout_seconds=budget))


async def test_widgets_keep_the_good_and_drop_the_slow_broken_and_malformed(caplog):
    host = widget_host()
    started = time.perf_counter()
    with caplog.at_level(logging.WARNING):
        widgets = await gather_widgets(host, CITIZEN, "430281000000", Screen("miniapp", english=False))
    elapsed = time.perf_counter() - started
    assert [w["key"] for w in widgets] == ["demo_services.balance", "not_a_widget.ok"]  # by order
    assert widgets[0] == {"key": "demo_services.balance", "plugin": "demo_services", "title": "公积金余额",
                          "data": {"fen": 1234500, "for": 7}}
    assert elapsed < 0.6  # one 0.2 s budget, not the hanging plugin's hour
    assert "'hanging' dropped" in caplog.text and "'raising' dropped" in caplog.text
    assert "not a Widget record" in caplog.text and "not JSON" in caplog.text


async def test_widgets_in_english_and_elder_mode():
    host = widget_host()
    english = await gather_widgets(host, CITIZEN, None, Screen("app", english=True))
    assert english[0]["title"] == "Fund balance"
    host.register_module("many_services", many_services)  # more widgets than the elder mode shows
    standard = await gather_widgets(host, CITIZEN, None, Screen("app", english=False))
    elder = await gather_widgets(host, CITIZEN, None, Screen("app", english=False, mode="elder"))
    assert len(standard) > ELDER_WIDGETS and elder == standard[:ELDER_WIDGETS]


async def test_widget_budget_is_capped_for_the_home_screen():
    # a generous plugin budget must not make the home screen wait past its own budget
    host = build_test_host(Settings(plugin_timeout_seconds=30.0, home_budget_seconds=0.3))
    started = time.perf_counter()
    await gather_widgets(host, CITIZEN, None, Screen("app", english=False))
    assert time.perf_counter() - started < 1.0


async def test_a_slow_or_failing_section_is_named_and_the_screen_still_answers():
    host = widget_host()
    ctx = HomeContext(CITIZEN, Screen("miniapp", english=False), "430281000000", host)

    async def fine(_ctx):
        return {"n": 1}

    async def slow(_ctx):
        await asyncio.sleep(3600)

    async def broken(_ctx):
        raise RuntimeError("database gone")

    started = time.perf_counter()
    body = await assemble(ctx, {"fine": fine, "slow": slow, "broken": broken, "widgets": widgets_section}, budget=0.3)
    assert time.perf_counter() - started < 1.0
    assert body["fine"] == {"n": 1} and body["slow"] is None and body["broken"] is None
    assert sorted(body["degraded"]) == ["broken", "slow"]
    assert [w["key"] for w in body["widgets"]] == ["demo_services.balance", "not_a_widget.ok"]
    assert body["channel"] == "miniapp" and body["mode"] == "standard" and body["lang"] == "zh"
