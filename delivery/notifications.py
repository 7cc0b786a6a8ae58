"""What the citizen hears about their parcel (message centre kinds ``delivery.*``), and what the
case hears: a delivered result closes the case's delivery step, arrived materials release the
case's pickup hold, a failed pickup lets the case go on without it."""

from __future__ import annotations

from core.messages.api import notify
from core.messages.kinds import MessageKind, register_kind
from delivery import casebridge
from delivery.models import Shipment, ShipmentKind, TrackingEvent


def _kind(code: str, status: str, title_en: str, body: str, body_en: str, *, sms: bool = False) -> None:
    register_kind(MessageKind(
        f"delivery.{code}", f"{{item_name}}：{status}", f"{{item_name}}: {title_en}", body, body_en,
        template="notice", sms=sms, status_label=status,
    ))


_kind("booked", "已下单", "courier booked", "{goods}已交{courier_name}寄递，运单号 {waybill_no}。",
      "{goods_en} is booked with {courier_name}, waybill {waybill_no}.")
_kind("accepted", "已接单", "courier assigned", "{courier_name}已接单（运单号 {waybill_no}），{detail}",
      "{courier_name} accepted waybill {waybill_no}: {detail}")
_kind("picked_up", "已揽收", "picked up", "运单 {waybill_no} 已揽收：{detail}", "Waybill {waybill_no} was picked up: {detail}")
_kind("in_transit", "运输中", "in transit", "运单 {waybill_no} 运输中：{detail}", "Waybill {waybill_no} is in transit: {detail}")
_kind("delivered", "已签收", "delivered", "运单 {waybill_no} 已签收：{detail}", "Waybill {waybill_no} was delivered: {detail}")
_kind("failed", "投递失败", "delivery failed", "运单 {waybill_no} 投递失败：{detail}。您可以重新选择寄递地址或到窗口领取。",
      "Waybill {waybill_no} could not be delivered: {detail}. Choose another address or collect at the window.", sms=True)
_kind("order_failed", "下单失败", "booking failed",
      "{goods}的快递下单未成功（{courier_name}暂时无法连接），工作人员将为您处理，您也可以取消后改为窗口办理。",
      "Booking {courier_name} for {goods_en} failed (courier unreachable); staff will handle it, or cancel and use the window.",
      sms=True)

GOODS_EN = {ShipmentKind.RESULT: "the result", ShipmentKind.PICKUP: "the materials pickup"}


def _params(shipment: Shipment, **extra: str) -> dict[str, str]:
    from delivery.couriers.registry import gateway

    return {"item_name": shipment.item_name or "寄递服务", "goods": shipment.goods, "goods_en": GOODS_EN[shipment.kind],
            "courier_name": gateway(shipment.courier).name, "waybill_no": shipment.waybill_no or "", **extra}


def _link(shipment: Shipment) -> str:
    return f"/delivery/shipments/{shipment.no}"


async def shipment_booked(shipment_id: int) -> None:
    shipment = await Shipment.get(id=shipment_id)
    await notify(shipment.account_id, "delivery.booked", params=_params(shipment), link=_link(shipment),
                 dedupe_key=f"delivery:{shipment.no}:booked")


async def order_failed(shipment_id: int) -> None:
    shipment = await Shipment.get(id=shipment_id)
    await notify(shipment.account_id, "delivery.order_failed", params=_params(shipment), link=_link(shipment),
                 dedupe_key=f"delivery:{shipment.no}:order_failed:{shipment.attempts}")
    if shipment.kind == ShipmentKind.PICKUP:
        await casebridge.pickup_failed(shipment)


async def tracking_event(event_id: int) -> None:
    event = await TrackingEvent.get_or_none(id=event_id)
    if event is None or event.shipment_id is None:
        return
    shipment = await Shipment.get(id=event.shipment_id)
    await notify(shipment.account_id, f"delivery.{event.status}",
                 params=_params(shipment, waybill_no=event.waybill_no, detail=event.description),
                 link=_link(shipment), dedupe_key=f"delivery:{event.courier}:{event.event_key}")
    if event.status == "delivered" and shipment.state.value == "delivered":
        if shipment.kind == ShipmentKind.RESULT:
            await casebridge.result_delivered(shipment)
        else:
            await casebridge.pickup_arrived(shipment)
    elif event.status == "failed" and shipment.state.value == "failed" and shipment.kind == ShipmentKind.PICKUP:
        await casebridge.pickup_failed(shipment)
