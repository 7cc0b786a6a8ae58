"""Tracking pushes out of order, for unknown waybills, and staff scope by region."""

from __future__ import annotations

import json

import httpx
import pytest

from delivery.config import delivery_settings
from delivery.couriers.sf import push_digest
from delivery.models import ShipmentState, TrackingEvent
from tests.delivery.conftest import OTHER_COUNTY
from tests.delivery.helpers import (
    advance,
    approve,
    citizen_with_address,
    department_staff,
    enable,
    settle,
    shipment_of,
    submit,
)
from tests.delivery.items_plugin import DEPARTMENT, DEPARTMENT_PAYS
from tests.support.auth import make_staff

pytestmark = pytest.mark.usefixtures("app", "items", "platform_url")


def sf_push(event_id: str, waybill: str, order_no: str, op_code: str, at: str) -> tuple[bytes, dict[str, str]]:
    body = json.dumps({"Body": {"WaybillRoute": [{"id": event_id, "mailno": waybill, "orderid": order_no,
                                                   "opCode": op_code, "acceptTime": at, "remark": "x"}]}}).encode()
    return body, {"msgDigest": push_digest(body, delivery_settings().sf_checkword.get_secret_value())}


async def _booked_result(client) -> tuple:
    await enable(DEPARTMENT_PAYS)
    alice, address_id = await citizen_with_address(client)
    case_id = await submit(alice, DEPARTMENT_PAYS, result="courier")
    await client.post(f"/delivery/cases/{case_id}/shipments", headers=alice.headers,
                      json={"kind": "result", "courier": "sf", "address_id": address_id})
    staff = await department_staff()
    await approve(case_id, staff)
    await settle()
    return alice, staff, case_id, await shipment_of(case_id, "result")


async def test_a_late_older_event_never_moves_the_parcel_back(client, sandbox, platform_url):
    alice, _staff, case_id, shipment = await _booked_result(client)
    await advance(sandbox, "sf", shipment.waybill_no, to="delivered")
    body, headers = sf_push("LATE-1", shipment.waybill_no, shipment.no, "30", "2020-01-01 08:00:00")
    async with httpx.AsyncClient(base_url=platform_url) as raw:
        assert (await raw.post("/delivery/webhooks/sf", content=body, headers=headers)).status_code == 200
    await settle()
    assert (await shipment_of(case_id, "result")).state == ShipmentState.DELIVERED
    timeline = (await client.get(f"/delivery/shipments/{shipment.no}", headers=alice.headers)).json()["timeline"]
    assert [e["status"] for e in timeline] == ["in_transit", "delivered"]  # ordered by when it happened


async def test_events_for_an_unknown_waybill_are_kept(client, sandbox, platform_url):
    body, headers = sf_push("ORPHAN-1", "SF0000000000000", "ZD-unknown", "50", "2026-11-23 09:00:00")
    async with httpx.AsyncClient(base_url=platform_url) as raw:
        assert (await raw.post("/delivery/webhooks/sf", content=body, headers=headers)).json()["return_code"] == "0000"
    await settle()
    event = await TrackingEvent.get(event_key="ORPHAN-1")
    assert event.shipment_id is None and event.status == "picked_up"


async def test_staff_of_another_region_see_nothing(client, sandbox):
    _alice, staff, _case_id, shipment = await _booked_result(client)
    assert len((await client.get("/delivery/staff/handover", headers=staff.headers)).json()["to_hand_over"]) == 1
    elsewhere = await make_staff(department_code=DEPARTMENT, roles=("clerk",), region_code=OTHER_COUNTY)
    handover = (await client.get("/delivery/staff/handover", headers=elsewhere.headers)).json()
    assert handover["to_hand_over"] == []
    assert (await client.get("/delivery/staff/shipments", headers=elsewhere.headers)).json() == []
    refused = await client.post(f"/delivery/staff/shipments/{shipment.no}/retry", headers=elsewhere.headers)
    assert refused.status_code == 404
    listed = await client.get("/delivery/staff/shipments", params={"status": "ordered"}, headers=staff.headers)
    assert [s["no"] for s in listed.json()] == [shipment.no]
    bad = await client.get("/delivery/staff/shipments", params={"status": "lost"}, headers=staff.headers)
    assert bad.status_code == 400
