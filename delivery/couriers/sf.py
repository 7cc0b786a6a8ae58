"""SF Express (顺丰) adapter in the style of its open platform (丰桥 / SF OpenAPI ``/std/service``).

Requests: ``POST /std/service``, form fields ``partnerID``, ``requestID``, ``serviceCode``,
``timestamp``, ``msgData`` (JSON) and ``msgDigest = base64(md5(urlencode(msgData + timestamp +
checkword)))``. The answer wraps a JSON string: ``apiResultCode`` ``A1000`` = accepted by the
gateway, then ``apiResultData.success`` / ``errorCode`` for the business result.

Route push (路由推送): JSON ``{"Body": {"WaybillRoute": [...]}}`` with header
``msgDigest = base64(md5(body + checkword))``; answered ``{"return_code": "0000"}``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from urllib.parse import quote_plus

from delivery.config import DeliverySettings
from delivery.couriers import http
from delivery.couriers.base import (
    CourierRefused,
    CourierUnreachable,
    CreatedOrder,
    ForgedWebhook,
    Party,
    Quote,
    ShipmentRequest,
    TrackingUpdate,
    WebhookAck,
)

BEIJING = timezone(timedelta(hours=8))
SERVICE_PATH = "/std/service"

# Route opCodes the sandbox pushes, and what they mean on the platform.
OP_CODES = {
    "54": "accepted",  # 已派单, a courier is assigned
    "50": "picked_up",  # 顺丰已收取快件
    "30": "in_transit",  # 快件在转运中
    "44": "in_transit",  # 正在派送途中
    "80": "delivered",  # 已签收
    "70": "failed",  # 派送不成功, returned
}


def request_digest(msg_data: str, timestamp: str, checkword: str) -> str:
    raw = quote_plus(msg_data + timestamp + checkword).encode("utf-8")
    return base64.b64encode(hashlib.md5(raw).digest()).decode("ascii")


def push_digest(body: bytes, checkword: str) -> str:
    return base64.b64encode(hashlib.md5(body + checkword.encode("utf-8")).digest()).decode("ascii")


def _contact(kind: int, party: Party) -> dict[str, Any]:
    return {"contactType": kind, "contact": party.name, "tel": party.phone,
            "areaCode": party.region_code, "address": party.detail, "country": "CN"}


class SFGateway:
    code = "sf"
    name = "顺丰速运"

    def __init__(self, settings: DeliverySettings) -> None:
        self.partner_id = settings.sf_partner_id
        self.checkword = settings.sf_checkword.get_secret_value()
        self.monthly_card = settings.sf_monthly_card
        self.base = settings.sf_base_url.rstrip("/")

    async def _call(self, service_code: str, msg: dict[str, Any]) -> dict[str, Any]:
        msg_data = json.dumps(msg, ensure_ascii=False, separators=(",", ":"))
        timestamp = str(int(time.time() * 1000))
        form = {
            "partnerID": self.partner_id,
            "requestID": uuid.uuid4().hex,
            "serviceCode": service_code,
            "timestamp": timestamp,
            "msgData": msg_data,
            "msgDigest": request_digest(msg_data, timestamp, self.checkword),
        }
        async with http.courier_client(self.base, "couriers/sf") as client:
            response = await http.post(client, self.base + SERVICE_PATH, data=form)
        try:
            envelope = response.json()
        except ValueError as exc:
            raise CourierUnreachable(f"SF answered non-JSON (HTTP {response.status_code})") from exc
        if envelope.get("apiResultCode") != "A1000":
            # Gateway-level refusals (bad digest, unknown partner) are configuration errors.
            raise CourierRefused(str(envelope.get("apiResultCode")), str(envelope.get("apiErrorMsg") or ""))
        result = json.loads(envelope.get("apiResultData") or "{}")
        if not result.get("success"):
            raise CourierRefused(str(result.get("errorCode")), str(result.get("errorMsg") or ""))
        return result.get("msgData") or {}

    async def quote(self, request: ShipmentRequest) -> Quote:
        data = await self._call("EXP_RECE_QUERY_DELIVERTM", {
            "businessType": "2",
            "weight": request.weight_grams / 1000,
            "srcAddress": {"areaCode": request.sender.region_code, "address": request.sender.detail},
            "destAddress": {"areaCode": request.receiver.region_code, "address": request.receiver.detail},
        })
        tm = (data.get("deliverTmDto") or [{}])[0]
        return Quote(fee_fen=int(round(float(tm["fee"]) * 100)), eta_days=int(tm.get("days", 2)))

    async def create_order(self, request: ShipmentRequest) -> CreatedOrder:
        data = await self._call("EXP_RECE_CREATE_ORDER", {
            "language": "zh-CN",
            "orderId": request.order_no,
            "contactInfoList": [_contact(1, request.sender), _contact(2, request.receiver)],
            "cargoDetails": [{"name": request.goods, "count": 1, "weight": request.weight_grams / 1000}],
            "expressTypeId": 1,
            "payMethod": 1,
            "monthlyCard": self.monthly_card,
            "isDocall": 1 if request.pickup else 0,
            "isReturnRoutelabel": 1,
            # Real SF takes the push address from the 丰桥 console; the sandbox takes it per order.
            "routePushUrl": request.notify_url,
        })
        if data.get("filterResult") == 3:
            raise CourierRefused("filter_3", str(data.get("remark") or "不可收派"))
        waybills = data.get("waybillNoInfoList") or []
        if not waybills:
            raise CourierUnreachable("SF returned no waybill number")
        return CreatedOrder(waybill_no=waybills[0]["waybillNo"], courier_order_no=str(data.get("orderId")))

    async def cancel(self, order_no: str, waybill_no: str) -> None:
        await self._call("EXP_RECE_UPDATE_ORDER", {"orderId": order_no, "dealType": 2})

    def parse_webhook(self, headers: dict[str, str], body: bytes) -> list[TrackingUpdate]:
        given = headers.get("msgdigest", "")
        if not given or not hmac.compare_digest(given, push_digest(body, self.checkword)):
            raise ForgedWebhook("msgDigest does not match")
        try:
            routes = json.loads(body)["Body"]["WaybillRoute"]
            updates = []
            for route in routes:
                status = OP_CODES.get(str(route["opCode"]))
                if status is None:
                    continue  # route codes the platform does not track (e.g. customs)
                at = datetime.strptime(route["acceptTime"], "%Y-%m-%d %H:%M:%S").replace(tzinfo=BEIJING)
                updates.append(TrackingUpdate(
                    event_key=str(route["id"]), waybill_no=str(route["mailno"]), order_no=str(route.get("orderid", "")),
                    status=status, occurred_at=at.astimezone(UTC), description=str(route.get("remark", "")),
                    location=str(route.get("acceptAddress", "")), raw=route,
                ))
        except (ValueError, KeyError, TypeError) as exc:
            raise ForgedWebhook(f"malformed route push: {exc}") from exc
        return updates

    def webhook_ack(self) -> WebhookAck:
        return WebhookAck(200, {"return_code": "0000", "return_msg": "成功"})
