"""Races the database settles: two choices for one case, the same push delivered at once by two
courier connections, a booking attempt run twice at once (meaningful on PostgreSQL)."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from delivery import shipments
from delivery.models import Shipment, ShipmentState, TrackingEvent
from tests.delivery.helpers import (
    approve,
    citizen_with_address,
    department_staff,
    enable,
    settle,
    shipment_of,
    submit,
)
from tests.delivery.items_plugin import DEPARTMENT_PAYS

pytestmark = pytest.mark.usefixtures("app", "items", "platform_url")


async def test_two_choices_at_once_make_one_shipment(client, sandbox):
    await enable(DEPARTMENT_PAYS)
    alice, address_id = await citizen_with_address(client)
    case_id = await submit(alice, DEPARTMENT_PAYS, result="courier")
    body = {"kind": "result", "courier": "ems", "address_id": address_id}
    answers = await asyncio.gather(*(client.post(f"/delivery/cases/{case_id}/shipments", headers=alice.headers, json=body)
                                     for _ in range(4)))
    assert sorted(a.status_code for a in answers) == [201, 409, 409, 409]
    assert await Shipment.filter(case_id=case_id).count() == 1


async def test_one_push_delivered_twice_at_once_is_stored_once(client, sandbox, platform_url):
    await enable(DEPARTMENT_PAYS)
    alice, address_id = await citizen_with_address(client)
    case_id = await submit(alice, DEPARTMENT_PAYS, result="courier")
    await client.post(f"/delivery/cases/{case_id}/shipments", headers=alice.headers,
                      json={"kind": "result", "courier": "sf", "address_id": address_id})
    await approve(case_id, await department_staff())
    await settle()
    waybill = (await shipment_of(case_id, "result")).waybill_no
    pushed = (await sandbox.post("/sf/_dev/advance", json={"waybill_no": waybill})).json()["push"]
    await settle()
    parcel = (await sandbox.get(f"/sf/_dev/parcels/{waybill}")).json()
    assert parcel["pushes"] == 1
    from delivery.config import delivery_settings
    from delivery.couriers.sf import push_digest

    body = pushed["payload"].encode()
    headers = {"msgDigest": push_digest(body, delivery_settings().sf_checkword.get_secret_value())}
    async with httpx.AsyncClient(base_url=platform_url) as raw:
        answers = await asyncio.gather(*(raw.post("/delivery/webhooks/sf", content=body, headers=headers) for _ in range(5)))
    assert [a.status_code for a in answers] == [200] * 5
    await settle()
    assert await TrackingEvent.filter(waybill_no=waybill).count() == 1
    assert (await shipment_of(case_id, "result")).state == ShipmentState.ACCEPTED


async def test_a_booking_attempt_run_twice_at_once_books_once(client, sandbox):
    await enable(DEPARTMENT_PAYS)
    alice, address_id = await citizen_with_address(client)
    case_id = await submit(alice, DEPARTMENT_PAYS, result="courier")
    await client.post(f"/delivery/cases/{case_id}/shipments", headers=alice.headers,
                      json={"kind": "result", "courier": "ems", "address_id": address_id})
    shipment = await shipment_of(case_id, "result")
    # Ready for booking, but no task started: two workers pick it up at the same moment.
    await Shipment.filter(id=shipment.id).update(state=ShipmentState.ORDERING)
    outcomes = await asyncio.gather(*(shipments.place_order(shipment.id) for _ in range(3)))
    assert outcomes.count("ordered") == 1 and set(outcomes) <= {"ordered", "busy", "not_due"}, outcomes
    shipment = await shipment_of(case_id, "result")
    assert shipment.state == ShipmentState.ORDERED and shipment.attempts == 1
    await settle()
