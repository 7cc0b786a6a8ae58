"""Whole journeys: a result delivered by courier with its timeline visible to the citizen, a door
pickup the case waits for before acceptance, and the bad paths (forged and duplicate pushes, an
unreachable courier, addresses outside the service area)."""

from __future__ import annotations

import pytest

from core.cases import api as cases
from core.errors import AppError
from core.messages.api import list_messages
from delivery.models import ShipmentState, TrackingEvent
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
from tests.delivery.items_plugin import CITIZEN_PAYS, DEPARTMENT_PAYS
from tests.support.auth import ensure_region, make_citizen, make_operator, make_staff

pytestmark = pytest.mark.usefixtures("app", "items", "platform_url")


@pytest.mark.parametrize("courier", ["sf", "ems"])
async def test_result_delivered_by_courier_with_timeline(client, sandbox, courier):
    await enable(DEPARTMENT_PAYS)
    alice, address_id = await citizen_with_address(client)
    case_id = await submit(alice, DEPARTMENT_PAYS, result="courier")

    quote = (await client.post(f"/delivery/cases/{case_id}/quote", headers=alice.headers,
                               json={"kind": "result", "courier": courier, "address_id": address_id})).json()
    assert quote["fee_fen"] > 0 and quote["fee_payer"] == "department" and quote["citizen_pays_fen"] == 0
    chosen = await client.post(f"/delivery/cases/{case_id}/shipments", headers=alice.headers,
                               json={"kind": "result", "courier": courier, "address_id": address_id})
    assert chosen.status_code == 201, chosen.text
    assert chosen.json()["state"] == "waiting_result" and chosen.json()["payment_order_no"] is None
    again = await client.post(f"/delivery/cases/{case_id}/shipments", headers=alice.headers,
                              json={"kind": "result", "courier": courier, "address_id": address_id})
    assert again.status_code == 409 and again.json()["code"] == "delivery.already_chosen"

    staff = await department_staff()
    await approve(case_id, staff)
    await settle()
    shipment = await shipment_of(case_id, "result")
    assert shipment.state == ShipmentState.ORDERED and shipment.waybill_no

    handover = (await client.get("/delivery/staff/handover", headers=staff.headers)).json()
    assert [s["waybill_no"] for s in handover["to_hand_over"]] == [shipment.waybill_no]
    assert handover["to_hand_over"][0]["citizen"]["phone"] == "139****5678"
    other_department = await make_staff(department_code="other_dept", roles=("clerk",))
    assert (await client.get("/delivery/staff/handover", headers=other_department.headers)).json()["to_hand_over"] == []

    for step in ("accepted", "picked_up", "in_transit", "delivered"):
        answer = await advance(sandbox, courier, shipment.waybill_no)
        assert answer["status"] == step and answer["push"]["status_code"] == 200, answer

    shipment = await shipment_of(case_id, "result")
    assert shipment.state == ShipmentState.DELIVERED and shipment.finished_at
    case = await cases.get_case(case_id)
    assert case.state == "delivered" and case.result["delivery"]["waybill"] == shipment.waybill_no

    parcels = (await client.get(f"/delivery/cases/{case_id}/shipments", headers=alice.headers)).json()
    assert [e["status"] for e in parcels[0]["timeline"]] == ["accepted", "picked_up", "in_transit", "delivered"]
    detail = (await client.get(f"/delivery/shipments/{shipment.no}", headers=alice.headers)).json()
    assert detail["state"] == "delivered" and len(detail["timeline"]) == 4
    kinds = [m.kind for m in await list_messages(alice.account_id, limit=50)]
    for kind in ("delivery.booked", "delivery.picked_up", "delivery.delivered"):
        assert kind in kinds
    bob = await make_citizen()
    assert (await client.get(f"/delivery/shipments/{shipment.no}", headers=bob.headers)).status_code == 404


async def test_duplicate_and_forged_pushes(client, sandbox, platform_url):
    import httpx

    await enable(DEPARTMENT_PAYS)
    alice, address_id = await citizen_with_address(client)
    case_id = await submit(alice, DEPARTMENT_PAYS, result="courier")
    await client.post(f"/delivery/cases/{case_id}/shipments", headers=alice.headers,
                      json={"kind": "result", "courier": "sf", "address_id": address_id})
    await approve(case_id, await department_staff())
    await settle()
    waybill = (await shipment_of(case_id, "result")).waybill_no
    first = await advance(sandbox, "sf", waybill)
    messages_before = len(await list_messages(alice.account_id, limit=50))

    for _ in range(2):  # the courier re-pushes the same event: acknowledged, stored once
        repeat = (await sandbox.post("/sf/_dev/redeliver", json={"waybill_no": waybill})).json()
        assert repeat["push"]["status_code"] == 200
    await settle()
    assert await TrackingEvent.filter(waybill_no=waybill).count() == 1
    assert len(await list_messages(alice.account_id, limit=50)) == messages_before

    async with httpx.AsyncClient(base_url=platform_url) as raw:
        body = first["push"]["payload"].replace('"opCode": "54"', '"opCode": "80"').encode()
        forged = await raw.post("/delivery/webhooks/sf", content=body, headers={"msgDigest": "bm90LXRoZS1kaWdlc3Q="})
        assert forged.status_code == 401 and forged.json()["code"] == "delivery.webhook_signature_invalid"
        unsigned = await raw.post("/delivery/webhooks/ems", content=b'{"traces": []}')
        assert unsigned.status_code == 401
        unknown = await raw.post("/delivery/webhooks/ups", content=b"{}")
        assert unknown.status_code == 404
    assert (await shipment_of(case_id, "result")).state == ShipmentState.ACCEPTED


async def test_pickup_before_acceptance(client, sandbox):
    await enable(DEPARTMENT_PAYS)
    alice, address_id = await citizen_with_address(client)
    case_id = await submit(alice, DEPARTMENT_PAYS, result="window", pickup=True)
    staff = await department_staff()
    with pytest.raises(AppError) as held:
        await cases.transition(case_id, "accept", staff.principal)
    assert held.value.code == "cases.held"

    chosen = await client.post(f"/delivery/cases/{case_id}/shipments", headers=alice.headers,
                               json={"kind": "pickup", "courier": "ems", "address_id": address_id})
    assert chosen.status_code == 201, chosen.text
    await settle()
    shipment = await shipment_of(case_id, "pickup")
    assert shipment.state == ShipmentState.ORDERED
    parcel = (await sandbox.get(f"/ems/_dev/parcels/{shipment.waybill_no}")).json()
    assert parcel["pickup"] is True

    incoming = (await client.get("/delivery/staff/handover", headers=staff.headers)).json()["incoming_materials"]
    assert [s["no"] for s in incoming] == [shipment.no]
    for _ in range(3):  # accepted, picked up, in transit: the case still waits
        await advance(sandbox, "ems", shipment.waybill_no)
    assert any(h["kind"] == "pickup" for h in (await cases.get_case(case_id)).holds)
    await advance(sandbox, "ems", shipment.waybill_no)  # delivered at the department
    case = await cases.get_case(case_id)
    assert not case.holds
    case = await cases.transition(case_id, "accept", staff.principal)
    assert case.state == "accepted"
    late = await client.post(f"/delivery/cases/{case_id}/shipments", headers=alice.headers,
                             json={"kind": "pickup", "courier": "ems", "address_id": address_id})
    assert late.status_code == 409


async def test_unreachable_courier_is_retried_then_fails_clearly(client, sandbox):
    from core.tasks import run_now
    from delivery.tasks import retry_due

    await enable(DEPARTMENT_PAYS)
    alice, address_id = await citizen_with_address(client)
    case_id = await submit(alice, DEPARTMENT_PAYS, result="courier")
    body = {"kind": "result", "courier": "sf", "address_id": address_id}
    await sandbox.post("/sf/_dev/outage", json={"down": True})
    refused = await client.post(f"/delivery/cases/{case_id}/shipments", headers=alice.headers, json=body)
    assert refused.status_code == 503 and refused.json()["code"] == "delivery.courier_unavailable"
    await sandbox.post("/sf/_dev/outage", json={"down": False})
    assert (await client.post(f"/delivery/cases/{case_id}/shipments", headers=alice.headers, json=body)).status_code == 201

    # The courier goes down before the result is ready: booking is retried with back-off ...
    await sandbox.post("/sf/_dev/outage", json={"down": True})
    staff = await department_staff()
    await approve(case_id, staff)
    await settle()
    shipment = await shipment_of(case_id, "result")
    assert shipment.state == ShipmentState.ORDERING and shipment.attempts == 1 and "503" in shipment.last_error
    for _ in range(10):
        await run_now(retry_due)
        await settle()
        shipment = await shipment_of(case_id, "result")
        if shipment.state != ShipmentState.ORDERING:
            break
    # ... and after the last attempt the shipment is in a clear state, the citizen and staff know.
    assert shipment.state == ShipmentState.ORDER_FAILED and shipment.attempts == 3
    assert "unreachable after 3 attempts" in shipment.last_error
    assert "delivery.order_failed" in [m.kind for m in await list_messages(alice.account_id, limit=50)]
    handover = (await client.get("/delivery/staff/handover", headers=staff.headers)).json()
    assert [s["no"] for s in handover["booking_failed"]] == [shipment.no]
    detail = (await client.get(f"/delivery/shipments/{shipment.no}", headers=alice.headers)).json()
    assert detail["state"] == "order_failed" and detail["error"]

    await sandbox.post("/sf/_dev/outage", json={"down": False})
    retried = await client.post(f"/delivery/staff/shipments/{shipment.no}/retry", headers=staff.headers)
    assert retried.status_code == 200, retried.text
    await settle()
    shipment = await shipment_of(case_id, "result")
    assert shipment.state == ShipmentState.ORDERED and shipment.waybill_no
    again = await client.post(f"/delivery/staff/shipments/{shipment.no}/retry", headers=staff.headers)
    assert again.status_code == 409 and again.json()["code"] == "delivery.not_retryable"


async def test_failed_pickup_does_not_block_the_case(client, sandbox):
    await enable(DEPARTMENT_PAYS)
    alice, address_id = await citizen_with_address(client)
    case_id = await submit(alice, DEPARTMENT_PAYS, result="window", pickup=True)
    await client.post(f"/delivery/cases/{case_id}/shipments", headers=alice.headers,
                      json={"kind": "pickup", "courier": "sf", "address_id": address_id})
    await settle()
    shipment = await shipment_of(case_id, "pickup")
    await advance(sandbox, "sf", shipment.waybill_no)
    await advance(sandbox, "sf", shipment.waybill_no, fail=True)
    shipment = await shipment_of(case_id, "pickup")
    assert shipment.state == ShipmentState.FAILED and shipment.active_key is None
    case = await cases.get_case(case_id)
    assert not case.holds  # staff can accept (or ask for the materials at the window)
    log = await cases.events(case_id)
    released = [e for e in log if e["kind"] == "hold_released"]
    assert released and released[-1]["data"]["pickup"] == "failed"
    assert "delivery.failed" in [m.kind for m in await list_messages(alice.account_id, limit=50)]


async def test_outside_service_area_and_items_without_delivery(client, sandbox):
    await enable(DEPARTMENT_PAYS)
    await ensure_region("540102001000")
    alice, _home = await citizen_with_address(client)
    far = await client.post("/delivery/addresses", headers=alice.headers,
                            json={"name": "张三", "phone": "13912345678", "region_code": "540102001000",
                                  "detail": "城关区八廓街1号"})
    case_id = await submit(alice, DEPARTMENT_PAYS, result="courier")
    refused = await client.post(f"/delivery/cases/{case_id}/shipments", headers=alice.headers,
                                json={"kind": "result", "courier": "ems", "address_id": far.json()["id"]})
    assert refused.status_code == 422 and refused.json()["code"] == "delivery.outside_service_area"
    unknown = await client.post(f"/delivery/cases/{case_id}/shipments", headers=alice.headers,
                                json={"kind": "result", "courier": "ups", "address_id": _home})
    assert unknown.status_code == 400 and unknown.json()["code"] == "delivery.unknown_courier"
    bob = await make_citizen()
    foreign = await client.post(f"/delivery/cases/{case_id}/shipments", headers=bob.headers,
                                json={"kind": "result", "courier": "ems", "address_id": _home})
    assert foreign.status_code == 404
    assert await shipment_count(case_id) == 0


async def shipment_count(case_id: int) -> int:
    from delivery.models import Shipment

    return await Shipment.filter(case_id=case_id).count()


async def test_operator_sees_counts_and_failures_per_region(client, sandbox):
    await enable(DEPARTMENT_PAYS)
    alice, address_id = await citizen_with_address(client)
    staff = await department_staff()
    outcomes = []
    for fail in (False, True):
        case_id = await submit(alice, DEPARTMENT_PAYS, result="courier")
        await client.post(f"/delivery/cases/{case_id}/shipments", headers=alice.headers,
                          json={"kind": "result", "courier": "ems", "address_id": address_id})
        await approve(case_id, staff)
        await settle()
        waybill = (await shipment_of(case_id, "result")).waybill_no
        await advance(sandbox, "ems", waybill)
        await advance(sandbox, "ems", waybill, **({"fail": True} if fail else {"to": "delivered"}))
        outcomes.append((await shipment_of(case_id, "result")).state)
    assert outcomes == [ShipmentState.DELIVERED, ShipmentState.FAILED]
    operator = await make_operator()
    stats = (await client.get("/delivery/operator/stats", headers=operator.headers)).json()
    [county] = [r for r in stats["regions"] if r["region_code"] == "430281000000"]
    assert (county["total"], county["delivered"], county["failed"]) == (2, 1, 1)
    elsewhere = await make_operator(region_code="430223000000")
    assert (await client.get("/delivery/operator/stats", headers=elsewhere.headers)).json()["regions"] == []
    assert (await client.get("/delivery/operator/stats", headers=alice.headers)).status_code == 403


async def test_citizen_pays_the_fee_through_the_payment_platform(client, sandbox):
    from payments import api as payments

    await enable(CITIZEN_PAYS)
    alice, address_id = await citizen_with_address(client)
    case_id = await submit(alice, CITIZEN_PAYS, result="courier")
    chosen = (await client.post(f"/delivery/cases/{case_id}/shipments", headers=alice.headers,
                                json={"kind": "result", "courier": "sf", "address_id": address_id})).json()
    assert chosen["state"] == "awaiting_payment" and chosen["fee_payer"] == "citizen"
    order = await payments.get_order(chosen["payment_order_no"])
    assert order.amount_fen == chosen["fee_fen"] == 1200  # same city: the courier's quote, server side
    assert order.purpose_kind == "delivery_fee" and order.payer_account_id == alice.account_id

    cancelled = await client.post(f"/delivery/shipments/{chosen['no']}/cancel", headers=alice.headers)
    assert cancelled.json()["state"] == "cancelled"
    await settle()
    assert (await payments.get_order(chosen["payment_order_no"])).state == "closed"


async def test_paid_pickup_fee_books_the_courier(client, sandbox, settings):
    from payments import api as payments
    from tests.payments.support import deliver
    from tests.payments.support import sandbox as payment_sandbox

    assert (await payment_sandbox(settings, "POST", "/wechatpay/_dev/config", json={"deliver": False})).status_code == 200
    await enable(CITIZEN_PAYS)
    alice, address_id = await citizen_with_address(client)
    case_id = await submit(alice, CITIZEN_PAYS, result="window", pickup=True)
    chosen = (await client.post(f"/delivery/cases/{case_id}/shipments", headers=alice.headers,
                                json={"kind": "pickup", "courier": "ems", "address_id": address_id})).json()
    assert chosen["state"] == "awaiting_payment" and chosen["fee_fen"] == 1000
    order_no = chosen["payment_order_no"]
    pay = await client.post(f"/payments/orders/{order_no}/pay", headers=alice.headers,
                            json={"channel": "wechatpay", "method": "jsapi", "openid": "o_delivery_payer"})
    assert pay.status_code == 200, pay.text
    paid = await payment_sandbox(settings, "POST", "/wechatpay/_dev/pay", json={"out_trade_no": order_no})
    assert (await deliver(client, "wechatpay", paid.json()["notification"])).status_code == 200
    assert (await payments.get_order(order_no)).state == "paid"
    await settle()
    # Paid inside the payment's transaction; the booking itself is the retry sweep's (an outside call).
    from core.tasks import run_now
    from delivery.tasks import retry_due

    await run_now(retry_due)
    await settle()
    shipment = await shipment_of(case_id, "pickup")
    assert shipment.state == ShipmentState.ORDERED and shipment.waybill_no
    # Cancelled before pickup: the courier order is cancelled and the fee refunded in full.
    cancelled = await client.post(f"/delivery/shipments/{shipment.no}/cancel", headers=alice.headers)
    assert cancelled.json()["state"] == "cancelled", cancelled.text
    assert (await sandbox.get(f"/ems/_dev/parcels/{shipment.waybill_no}")).json()["cancelled"] is True
    await settle()
    refunds = await payments.get_refunds(order_no)
    assert [r.amount_fen for r in refunds] == [1000]
    assert not (await cases.get_case(case_id)).holds  # the citizen brings the materials instead


async def test_withdrawn_case_cancels_the_unbooked_result_parcel(client, sandbox):
    await enable(DEPARTMENT_PAYS)
    alice, address_id = await citizen_with_address(client)
    case_id = await submit(alice, DEPARTMENT_PAYS, result="courier")
    await client.post(f"/delivery/cases/{case_id}/shipments", headers=alice.headers,
                      json={"kind": "result", "courier": "sf", "address_id": address_id})
    await cases.transition(case_id, "withdraw", alice.principal)
    await settle()
    shipment = await shipment_of(case_id, "result")
    assert shipment.state == ShipmentState.CANCELLED and shipment.active_key is None and shipment.waybill_no is None


async def test_home_card_lists_parcels_on_their_way(client, sandbox, host):
    await enable(DEPARTMENT_PAYS)
    alice, address_id = await citizen_with_address(client)
    assert "delivery" not in dict(await host.gather("zhushida_home_widgets", user=alice.principal, region=None,
                                                    channel="app"))  # no parcel, no card
    case_id = await submit(alice, DEPARTMENT_PAYS, result="courier")
    await client.post(f"/delivery/cases/{case_id}/shipments", headers=alice.headers,
                      json={"kind": "result", "courier": "sf", "address_id": address_id})
    cards = dict(await host.gather("zhushida_home_widgets", user=alice.principal, region=None, channel="app"))
    card = cards["delivery"]
    assert card.key == "delivery.parcels" and card.data["open"] == 1
    assert card.data["parcels"][0]["state"] == "waiting_result"
    bob = await make_citizen()
    assert "delivery" not in dict(await host.gather("zhushida_home_widgets", user=bob.principal, region=None, channel="app"))


async def test_a_relative_acting_for_the_citizen_chooses_delivery(client, sandbox):
    from tests.support.auth import grant_proxy

    await enable(DEPARTMENT_PAYS)
    parent, address_id = await citizen_with_address(client)
    child = await make_citizen()
    acting = await grant_proxy(parent, child)
    case_id = await submit(parent, DEPARTMENT_PAYS, result="courier")
    listed = (await client.get("/delivery/addresses", headers=acting.headers)).json()
    assert [a["id"] for a in listed] == [address_id]  # the parent's book
    chosen = await client.post(f"/delivery/cases/{case_id}/shipments", headers=acting.headers,
                               json={"kind": "result", "courier": "ems", "address_id": address_id})
    assert chosen.status_code == 201, chosen.text
    assert (await shipment_of(case_id, "result")).account_id == parent.account_id
    own = await client.post(f"/delivery/cases/{case_id}/quote", headers=child.headers,
                            json={"kind": "result", "courier": "ems", "address_id": address_id})
    assert own.status_code == 404  # as themself the relative sees neither the case nor the address
