"""Home, catalogue and search over HTTP: channels, language, elder mode, ETags, errors, cache
invalidation."""

from __future__ import annotations

import asyncio
import sys

import pytest

from core import changes
from miniapp_bff import catalogue_cache
from tests.conftest import BACKEND
from tests.miniapp_bff.conftest import enable, eventually
from tests.miniapp_bff.fixture_plugins.demo_services import BUNDLE, LOAN, TRANSFER
from tests.support.auth import make_citizen


async def test_home_shows_the_region_offer_and_widgets_and_survives_broken_plugins(bff):
    await enable(LOAN)
    await enable(TRANSFER)
    await enable(BUNDLE)
    alice = await make_citizen(region_code="430281000000", channel="miniapp")
    r = await bff.get("/bff/miniapp/home", headers=alice.headers)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["degraded"] == []
    services = body["services"]
    # TRANSFER is not offered on the mini-program, so neither is the bundle that needs it.
    codes = [e["code"] for g in services["groups"] for e in g["entries"]]
    assert codes == [LOAN]
    assert [w["key"] for w in body["widgets"]] == ["demo_services.balance", "not_a_widget.ok"]
    assert body["messages"] == {"unread": 0, "latest": []}
    assert r.headers["cache-control"] == "private, no-cache" and r.headers["etag"]
    # The app channel has the transfer and so the bundle too; bundles list first.
    bob = await make_citizen(region_code="430281000000", channel="app")
    app_home = (await bff.get("/bff/app/home", headers=bob.headers)).json()
    groups = app_home["services"]["groups"]
    assert groups[0] == {"category": "一件事", "entries": [
        {"code": BUNDLE, "kind": "bundle", "name": "我要办公积金贷款", "category": "一件事",
         "department": "住房公积金中心", "fee_fen": 0, "items": [LOAN, TRANSFER], "min_level": 2}]}


async def test_english_and_elder_mode(bff):
    await enable(LOAN)
    alice = await make_citizen(channel="app")
    english = (await bff.get("/bff/app/home", headers={**alice.headers, "Accept-Language": "en-GB,en;q=0.9"})).json()
    assert english["lang"] == "en"
    assert english["services"]["groups"][0]["entries"][0]["name"] == "Provident fund loan application"
    assert english["widgets"][0]["title"] == "Fund balance"
    elder = (await bff.get("/bff/app/home?mode=elder", headers=alice.headers)).json()
    assert elder["mode"] == "elder" and elder["services"]["layout"] == "elder"
    assert elder["services"]["entries"][0]["name"] == "公积金贷款申请"


@pytest.fixture
def many_services(bff_app):
    """More services and widgets than the elder mode shows, on the BFF app's plugin host."""
    from core.catalogue import registry
    from core.plugins.host import get_host
    from tests.miniapp_bff.fixture_plugins import many_services as plugin

    host = get_host()
    host.register_module("many_services", plugin)
    registry.reload_registry()
    catalogue_cache.forget_local()
    yield plugin
    host.pm.unregister(name="many_services")
    host.records.pop("many_services", None)
    registry.reload_registry()
    catalogue_cache.forget_local()


async def test_elder_home_has_fewer_larger_entries_than_the_standard_one(bff, many_services):
    from miniapp_bff.catalogue import ELDER_ENTRIES
    from miniapp_bff.widgets import ELDER_WIDGETS

    for code in (LOAN, *many_services.CODES):
        await enable(code)
    alice = await make_citizen(channel="app")
    standard = (await bff.get("/bff/app/home", headers=alice.headers)).json()
    elder = (await bff.get("/bff/app/home", headers={**alice.headers, "X-Zhushida-Mode": "elder"})).json()
    offered = [e["code"] for g in standard["services"]["groups"] for e in g["entries"]]
    assert len(offered) == standard["services"]["total"] == ELDER_ENTRIES + 4  # more than the elder cap
    assert len(standard["services"]["groups"]) > 1 and "groups" not in elder["services"]
    # The elder home: one flat list of exactly the cap, no theme groups, the same total offered.
    entries = [e["code"] for e in elder["services"]["entries"]]
    assert len(entries) == ELDER_ENTRIES < len(offered) and set(entries) <= set(offered)
    assert elder["services"]["total"] == len(offered)
    # Widgets: the standard home shows them all, the elder home the first ELDER_WIDGETS by order.
    assert len(standard["widgets"]) > ELDER_WIDGETS
    assert elder["widgets"] == standard["widgets"][:ELDER_WIDGETS]


async def test_phone_mistakes_get_localised_errors(bff):
    r = await bff.get("/bff/miniapp/home")
    assert r.status_code == 401 and r.json()["code"] == "auth.required" and r.json()["message"] == "请先登录"
    expired = {"Authorization": "Bearer za.nosuchsession.secret"}
    r = await bff.get("/bff/miniapp/home", headers={**expired, "Accept-Language": "en"})
    assert r.status_code == 401 and r.json()["message"] == "Please sign in first"
    alice = await make_citizen(channel="miniapp")
    r = await bff.get("/bff/wap/home", headers=alice.headers)
    assert r.status_code == 404 and r.json()["code"] == "bff.unknown_channel"
    r = await bff.get("/bff/app/home", headers=alice.headers)  # a mini-program token on the app
    assert r.status_code == 403 and r.json()["code"] == "bff.channel_mismatch"
    r = await bff.get("/bff/miniapp/search?q=", headers=alice.headers)
    assert r.status_code == 400 and r.json()["code"] == "bff.bad_query"
    r = await bff.get("/bff/miniapp/search?q=gjj&page=0", headers=alice.headers)
    assert r.status_code == 400 and r.json()["code"] == "bff.bad_page"
    r = await bff.get("/bff/miniapp/catalogue?region=12ab")
    assert r.status_code == 422 and r.json()["code"] == "catalogue.region_invalid"
    r = await bff.get("/bff/miniapp/catalogue")
    assert r.status_code == 409 and r.json()["code"] == "bff.no_home_region"


async def test_catalogue_browse_etag_and_search(bff):
    await enable(LOAN)
    await enable(TRANSFER)
    r = await bff.get("/bff/app/catalogue?region=430281000000")
    assert r.status_code == 200 and r.json()["total"] == 2
    assert r.headers["cache-control"] == "public, max-age=60" or r.headers["cache-control"].startswith("private")
    again = await bff.get("/bff/app/catalogue?region=430281000000", headers={"If-None-Match": r.headers["etag"]})
    assert again.status_code == 304 and again.content == b""
    alice = await make_citizen(channel="app")
    for query, expected in (("gjj", [LOAN, TRANSFER]), ("贷款", [LOAN]), ("住房公积金中心", [LOAN, TRANSFER]),
                            ("transfer", [TRANSFER]), ("买房", [LOAN])):
        found = (await bff.get(f"/bff/app/search?q={query}", headers=alice.headers)).json()
        assert [e["code"] for e in found["items"]] == expected, query
    paged = (await bff.get("/bff/app/search?q=gjj&size=1&page=2", headers=alice.headers)).json()
    assert paged["total"] == 2 and [e["code"] for e in paged["items"]] == [TRANSFER] and paged["has_more"] is False


async def test_an_operator_change_reaches_the_cached_catalogue_only_through_invalidation(bff):
    await enable(LOAN)
    first = (await bff.get("/bff/app/catalogue?region=430281000000")).json()
    assert first["total"] == 1
    await enable(TRANSFER, announce=False)  # written behind the cache's back
    assert (await bff.get("/bff/app/catalogue?region=430281000000")).json()["total"] == 1
    await catalogue_cache.invalidate("test")
    assert (await bff.get("/bff/app/catalogue?region=430281000000")).json()["total"] == 2
    await enable(TRANSFER, on=False)  # announced: seen at once
    assert (await bff.get("/bff/app/catalogue?region=430281000000")).json()["total"] == 1


@pytest.mark.skipif(BACKEND != "services", reason="another process reaches this one over Redis")
async def test_another_process_invalidating_is_seen_at_once(bff):
    await enable(LOAN)
    assert (await bff.get("/bff/app/catalogue?region=430281000000")).json()["total"] == 1
    await enable(TRANSFER, announce=False)
    assert (await bff.get("/bff/app/catalogue?region=430281000000")).json()["total"] == 1  # cached
    # An operator runs the CLI in another process: it publishes the change over Redis.
    hub = changes.default_hub()
    heard = hub.received
    done = await asyncio.create_subprocess_exec(
        sys.executable, "-c", "from core.cli import main; main()", "bff", "invalidate-catalogue",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    output, _ = await done.communicate()
    assert done.returncode == 0, output.decode()
    await eventually(lambda: hub.received > heard)
    assert (await bff.get("/bff/app/catalogue?region=430281000000")).json()["total"] == 2
