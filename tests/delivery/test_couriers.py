"""The EMS and SF gateways against their sandboxes over real HTTP: signing, fee quotes, orders
(idempotent by order number), cancel, refusals, outages and unreachable hosts."""

from __future__ import annotations

import json

import pytest

from delivery.config import delivery_settings
from delivery.couriers import ems, sf
from delivery.couriers.base import (
    CourierRefused,
    CourierUnreachable,
    ForgedWebhook,
    Party,
    ShipmentRequest,
)
from delivery.couriers.registry import gateway
from delivery.shipments import new_shipment_no

OFFICE = Party("醴陵市政务服务中心", "0731-23456789", "430281000000", "醴陵市西山街道政务服务中心1楼")
CITIZEN = Party("张三", "13912345678", "430281001000", "来龙门街道建设路88号3栋201")


def request(receiver: Party = CITIZEN, **kw) -> ShipmentRequest:
    return ShipmentRequest(order_no=new_shipment_no(), sender=OFFICE, receiver=receiver, goods="营业执照",
                           notify_url="http://127.0.0.1:9/delivery/webhooks/x", **kw)


@pytest.mark.parametrize("code", ["ems", "sf"])
async def test_quote_order_cancel_through_the_sandbox(code, sandbox):
    courier = gateway(code)
    near = await courier.quote(request())
    far = await courier.quote(request(Party("李四", "13812345678", "110101001000", "东华门街道1号")))
    assert 0 < near.fee_fen < far.fee_fen and near.eta_days <= far.eta_days
    req = request()
    created = await courier.create_order(req)
    again = await courier.create_order(req)  # a retried create: same waybill, not a second parcel
    assert again.waybill_no == created.waybill_no and created.courier_order_no == req.order_no
    parcel = (await sandbox.get(f"/{code}/_dev/parcels/{created.waybill_no}")).json()
    assert parcel["order_no"] == req.order_no and parcel["status"] == "created"
    await courier.cancel(req.order_no, created.waybill_no)
    assert (await sandbox.get(f"/{code}/_dev/parcels/{created.waybill_no}")).json()["cancelled"] is True


async def test_cancel_after_pickup_is_refused(sandbox):
    courier = gateway("sf")
    req = request()
    created = await courier.create_order(req)
    for _ in range(2):  # accepted, picked up (the push itself goes nowhere here)
        await sandbox.post("/sf/_dev/advance", json={"waybill_no": created.waybill_no})
    with pytest.raises(CourierRefused) as exc:
        await courier.cancel(req.order_no, created.waybill_no)
    assert exc.value.code == "8037"


async def test_out_of_area_receivers_are_refused(sandbox):
    tibet = Party("次仁", "13912345678", "540102001000", "城关区八廓街1号")
    with pytest.raises(CourierRefused):
        await gateway("sf").create_order(request(tibet))
    hong_kong = Party("陈大文", "13912345678", "810000000000", "中环皇后大道中1号")
    with pytest.raises(CourierRefused) as exc:
        await gateway("ems").create_order(request(hong_kong))
    assert exc.value.code == "E2001"


async def test_wrong_credentials_are_refused_by_the_couriers(sandbox):
    settings = delivery_settings()
    wrong_sf = sf.SFGateway(settings.model_copy(update={"sf_checkword": type(settings.sf_checkword)("not-the-word")}))
    with pytest.raises(CourierRefused) as exc:
        await wrong_sf.quote(request())
    assert exc.value.code == "A1006"
    wrong_ems = ems.EMSGateway(settings.model_copy(update={"ems_app_secret": type(settings.ems_app_secret)("nope")}))
    with pytest.raises(CourierRefused) as exc:
        await wrong_ems.quote(request())
    assert exc.value.code == "E1001"


@pytest.mark.parametrize("code", ["ems", "sf"])
async def test_outage_and_unreachable_host_are_retryable_failures(code, sandbox):
    await sandbox.post(f"/{code}/_dev/outage", json={"down": True})
    with pytest.raises(CourierUnreachable):
        await gateway(code).create_order(request())
    await sandbox.post(f"/{code}/_dev/outage", json={"down": False})
    settings = delivery_settings()
    from core.settings import get_settings
    from tests.support.servers import free_port

    dead = f"http://127.0.0.1:{free_port()}/sandbox"
    original = get_settings().sandbox_url
    object.__setattr__(get_settings(), "sandbox_url", dead)
    try:
        cls = ems.EMSGateway if code == "ems" else sf.SFGateway
        with pytest.raises(CourierUnreachable):
            await cls(settings).quote(request())
    finally:
        object.__setattr__(get_settings(), "sandbox_url", original)


def test_push_signatures_verify_and_forgeries_do_not():
    settings = delivery_settings()
    body = json.dumps({"Body": {"WaybillRoute": [{"id": "R1", "mailno": "SF1", "orderid": "ZD1", "opCode": "80",
                                                   "acceptTime": "2026-11-23 10:00:00", "remark": "已签收"}]}}).encode()
    courier = sf.SFGateway(settings)
    good = {"msgdigest": sf.push_digest(body, settings.sf_checkword.get_secret_value())}
    [update] = courier.parse_webhook(good, body)
    assert update.status == "delivered" and update.occurred_at.hour == 2  # 10:00 Beijing = 02:00 UTC
    with pytest.raises(ForgedWebhook):
        courier.parse_webhook(good, body.replace(b"80", b"70"))
    with pytest.raises(ForgedWebhook):
        courier.parse_webhook({}, body)

    trace = json.dumps({"traces": [{"traceId": "T1", "waybillNo": "11", "opCode": "COLLECT",
                                    "opTime": "2026-11-23T10:00:00+08:00"}]}).encode()
    headers = {k.lower(): v for k, v in ems.signed_headers(settings.ems_app_key, settings.ems_app_secret.get_secret_value(),
                                                           "POST", ems.PUSH_PATH, trace).items()}
    courier_ems = ems.EMSGateway(settings)
    assert courier_ems.parse_webhook(headers, trace)[0].status == "picked_up"
    with pytest.raises(ForgedWebhook):
        courier_ems.parse_webhook({**headers, "x-ems-signature": "AAAA"}, trace)
    stale = {**headers, "x-ems-timestamp": str(int(headers["x-ems-timestamp"]) - 10 * 60 * 1000)}
    with pytest.raises(ForgedWebhook):
        courier_ems.parse_webhook(stale, trace)
