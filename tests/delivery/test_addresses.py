"""The address book through HTTP: validated, encrypted at rest, masked, only one's own."""

from __future__ import annotations

import pytest

from delivery.models import Address
from tests.delivery.conftest import COUNTY, TOWNSHIP
from tests.support.auth import ensure_region, make_citizen, make_staff

pytestmark = pytest.mark.usefixtures("app")

GOOD = {"name": "张三", "phone": "139 1234 5678", "region_code": TOWNSHIP, "detail": "建设路88号3栋201室", "label": "家"}


def assert_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["code"] == code and body["message"] and body["message_en"]
    return body


async def test_add_list_update_delete(client):
    alice = await make_citizen(region_code=COUNTY)
    created = await client.post("/delivery/addresses", json=GOOD, headers=alice.headers)
    assert created.status_code == 201, created.text
    entry = created.json()
    assert entry["phone"] == "139****5678" and entry["name"] == "张*" and entry["detail"].endswith("****")
    assert entry["is_default"] is True and entry["in_service_area"] is True
    assert "醴陵市" in entry["region_name"]
    # Encrypted at rest: nothing of the clear phone or street is in the row.
    row = await Address.get(id=entry["id"])
    assert "13912345678" not in row.phone_enc and "建设路" not in row.detail_enc

    second = (await client.post("/delivery/addresses", json={**GOOD, "label": "单位", "is_default": True},
                                headers=alice.headers)).json()
    listed = (await client.get("/delivery/addresses", headers=alice.headers)).json()
    assert [a["id"] for a in listed] == [second["id"], entry["id"]]
    assert [a["is_default"] for a in listed] == [True, False]

    updated = await client.put(f"/delivery/addresses/{entry['id']}", json={**GOOD, "phone": "13700001111"},
                               headers=alice.headers)
    assert updated.json()["phone"] == "137****1111"
    assert (await client.delete(f"/delivery/addresses/{second['id']}", headers=alice.headers)).status_code == 204
    listed = (await client.get("/delivery/addresses", headers=alice.headers)).json()
    assert [(a["id"], a["is_default"]) for a in listed] == [(entry["id"], True)]  # the default moved on


async def test_bad_input_is_refused_with_clear_codes(client):
    alice = await make_citizen(region_code=COUNTY)
    post = lambda body: client.post("/delivery/addresses", json=body, headers=alice.headers)  # noqa: E731
    assert_error(await post({**GOOD, "phone": "12345"}), 400, "identity.phone_invalid")
    assert_error(await post({**GOOD, "region_code": "43028"}), 400, "identity.region_code_invalid")
    body = assert_error(await post({**GOOD, "region_code": "439999000000"}), 400, "delivery.address_invalid")
    assert body["details"]["field"] == "region_code"
    assert_error(await post({**GOOD, "region_code": "430000000000"}), 400, "delivery.address_invalid")  # a province
    assert_error(await post({**GOOD, "detail": "88"}), 400, "delivery.address_invalid")
    assert_error(await post({**GOOD, "colour": "red"}), 400, "request.invalid")
    assert await Address.filter(account_id=alice.account_id).count() == 0


async def test_only_ones_own_addresses(client):
    alice = await make_citizen(region_code=COUNTY)
    bob = await make_citizen(region_code=COUNTY)
    entry = (await client.post("/delivery/addresses", json=GOOD, headers=alice.headers)).json()
    assert (await client.get("/delivery/addresses", headers=bob.headers)).json() == []
    assert_error(await client.put(f"/delivery/addresses/{entry['id']}", json=GOOD, headers=bob.headers), 404, "not_found")
    assert_error(await client.delete(f"/delivery/addresses/{entry['id']}", headers=bob.headers), 404, "not_found")
    staff = await make_staff()
    assert_error(await client.get("/delivery/addresses", headers=staff.headers), 403, "auth.forbidden")
    assert_error(await client.get("/delivery/addresses"), 401, "auth.required")


async def test_address_outside_the_service_area_is_kept_but_flagged(client):
    await ensure_region("540102001000")  # 拉萨市城关区, outside the default service area (43)
    alice = await make_citizen(region_code=COUNTY)
    entry = (await client.post("/delivery/addresses", json={**GOOD, "region_code": "540102001000"},
                               headers=alice.headers)).json()
    assert entry["in_service_area"] is False
