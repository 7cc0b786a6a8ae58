"""Enablement inherited down the region tree and overridable below; Chinese search."""

from __future__ import annotations

import pytest

from core.catalogue import service
from core.catalogue.enablement import enabled_codes, lineage, set_enablement
from core.errors import AppError
from tests.cases.conftest import CITY, COUNTY, OTHER_COUNTY
from tests.cases.demo_plugin import BDC_CODE, GJJ_CODE, INSTANT
from tests.support.auth import make_operator

pytestmark = pytest.mark.usefixtures("database", "demo")

TOWNSHIP = "430281001000"


def test_lineage():
    assert lineage("430281001000") == ["430281001000", "430281000000", "430200000000", "430000000000"]
    assert lineage("430281") == ["430281000000", "430200000000", "430000000000"]


async def test_inherited_down_and_overridden_below():
    operator = await make_operator(region_code=CITY)
    await set_enablement(operator.principal, GJJ_CODE, CITY, "*", True)
    assert GJJ_CODE in await enabled_codes(TOWNSHIP, "app")
    assert GJJ_CODE in await enabled_codes(OTHER_COUNTY, "miniapp")
    # Off in one county, on again for one township below it, and off on one channel there.
    await set_enablement(operator.principal, GJJ_CODE, COUNTY, "*", False)
    assert GJJ_CODE not in await enabled_codes(COUNTY, "app")
    await set_enablement(operator.principal, GJJ_CODE, TOWNSHIP, "*", True)
    await set_enablement(operator.principal, GJJ_CODE, TOWNSHIP, "miniapp", False)
    assert GJJ_CODE in await enabled_codes(TOWNSHIP, "app")
    assert GJJ_CODE not in await enabled_codes(TOWNSHIP, "miniapp")
    assert GJJ_CODE in await enabled_codes(OTHER_COUNTY, "app")
    # Removing the county's own row lets the city's setting apply again.
    await set_enablement(operator.principal, GJJ_CODE, COUNTY, "*", None)
    assert GJJ_CODE in await enabled_codes(COUNTY, "app")


async def test_operator_guarded_by_region():
    county_operator = await make_operator(region_code=COUNTY)
    with pytest.raises(AppError) as exc:
        await set_enablement(county_operator.principal, GJJ_CODE, OTHER_COUNTY, "*", True)
    assert exc.value.status == 403
    with pytest.raises(AppError) as exc:
        await set_enablement(county_operator.principal, GJJ_CODE, "43028", "*", True)
    assert exc.value.code == "catalogue.region_invalid"


async def test_citizen_sees_exactly_what_is_enabled_and_search():
    operator = await make_operator(region_code=CITY)
    await set_enablement(operator.principal, GJJ_CODE, COUNTY, "*", True)
    await set_enablement(operator.principal, BDC_CODE, COUNTY, "miniapp", True)
    app_view = await service.list_catalogue(region_code=COUNTY, channel="app")
    assert [i["code"] for i in app_view["items"]] == [GJJ_CODE]
    mini = await service.list_catalogue(region_code=COUNTY, channel="miniapp")
    assert {i["code"] for i in mini["items"]} == {GJJ_CODE, BDC_CODE}
    assert (await service.list_catalogue(region_code=OTHER_COUNTY, channel="app"))["items"] == []
    everything = await service.list_catalogue(region_code=None, channel=None)
    for q, expected in (("gjj", GJJ_CODE), ("公积金", GJJ_CODE), ("gongjijin", GJJ_CODE), ("bdc", BDC_CODE),
                        ("过户", BDC_CODE), ("zydj", BDC_CODE)):
        found = [i["code"] for i in (await service.list_catalogue(region_code=None, channel=None, q=q))["items"]]
        assert expected in found, q
    assert (await service.list_catalogue(region_code=None, channel=None, q="xyzq"))["items"] == []
    by_dept = await service.list_catalogue(region_code=None, channel=None, department="demo_bdc")
    assert [i["code"] for i in by_dept["items"]] == [BDC_CODE]
    assert {GJJ_CODE, BDC_CODE, INSTANT.code} <= {i["code"] for i in everything["items"]}
    assert "demo.buy_house" in [b["code"] for b in everything["bundles"]]


async def test_demo_seed_enables_declared_items_once():
    from core.catalogue.registry import get_registry
    from core.catalogue.seed import enable_everything_in_demo_city

    reg = get_registry()
    assert await enable_everything_in_demo_city() == len(reg.items) + len(reg.bundles) >= 4
    assert GJJ_CODE in await enabled_codes(COUNTY, "app")
    operator = await make_operator(region_code=CITY)
    await set_enablement(operator.principal, GJJ_CODE, CITY, "*", False)
    assert await enable_everything_in_demo_city() == 0  # idempotent, and an operator's "off" stays
    assert GJJ_CODE not in await enabled_codes(COUNTY, "app")
