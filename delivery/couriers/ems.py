"""EMS (中国邮政速递) adapter: a JSON open API signed with HMAC-SHA256.

The real EMS open platform signs with an SM4/MD5 digest over ``logitcsInterface``; this platform's
EMS channel (and its sandbox) uses the scheme agreed for the integration: every request and every
push carries ``X-Ems-App-Key``, ``X-Ems-Timestamp`` (ms), ``X-Ems-Nonce`` and
``X-Ems-Signature = base64(HMAC-SHA256(app_secret, "{method}\\n{path}\\n{timestamp}\\n{nonce}\\n{sha256_hex(body)}"))``.
A timestamp more than 5 minutes off is refused. Answers are ``{"code": "0", "message", "data"}``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from datetime import UTC, datetime
from typing import Any

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

CLOCK_SKEW_MS = 5 * 60 * 1000
PUSH_PATH = "/delivery/webhooks/ems"

STATUS_CODES = {
    "ACCEPT": "accepted",  # 已接单
    "COLLECT": "picked_up",  # 已收寄
    "TRANSIT": "in_transit",  # 运输中
    "DELIVERING": "in_transit",  # 投递中
    "SIGNED": "delivered",  # 已妥投
    "UNDELIVERABLE": "failed",  # 未妥投, returned
}


def signature(secret: str, method: str, path: str, timestamp: str, nonce: str, body: bytes) -> str:
    text = f"{method.upper()}\n{path}\n{timestamp}\n{nonce}\n{hashlib.sha256(body).hexdigest()}"
    return base64.b64encode(hmac.new(secret.encode(), text.encode(), hashlib.sha256).digest()).decode("ascii")


def signed_headers(app_key: str, secret: str, method: str, path: str, body: bytes) -> dict[str, str]:
    timestamp, nonce = str(int(time.time() * 1000)), secrets.token_hex(12)
    return {
        "Content-Type": "application/json; charset=utf-8",
        "X-Ems-App-Key": app_key,
        "X-Ems-Timestamp": timestamp,
        "X-Ems-Nonce": nonce,
        "X-Ems-Signature": signature(secret, method, path, timestamp, nonce, body),
    }


def verify(headers: dict[str, str], app_key: str, secret: str, method: str, path: str, body: bytes) -> bool:
    timestamp = headers.get("x-ems-timestamp", "")
    if headers.get("x-ems-app-key") != app_key or not timestamp.isdigit():
        return False
    if abs(int(time.time() * 1000) - int(timestamp)) > CLOCK_SKEW_MS:
        return False
    expected = signature(secret, method, path, timestamp, headers.get("x-ems-nonce", ""), body)
    return hmac.compare_digest(headers.get("x-ems-signature", ""), expected)


def _party(party: Party) -> dict[str, Any]:
    return {"name": party.name, "mobile": party.phone, "regionCode": party.region_code, "address": party.detail}


class EMSGateway:
    code = "ems"
    name = "中国邮政EMS"

    def __init__(self, settings: DeliverySettings) -> None:
        self.app_key = settings.ems_app_key
        self.secret = settings.ems_app_secret.get_secret_value()
        self.base = settings.ems_base_url.rstrip("/")

    async def _call(self, path: str, payload: dict[str, Any]) -> dict[str, Any]:
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        headers = signed_headers(self.app_key, self.secret, "POST", path, body)
        async with http.courier_client(self.base, "couriers/ems") as client:
            response = await http.post(client, self.base + path, content=body, headers=headers)
        try:
            answer = response.json()
        except ValueError as exc:
            raise CourierUnreachable(f"EMS answered non-JSON (HTTP {response.status_code})") from exc
        if str(answer.get("code")) != "0":
            raise CourierRefused(str(answer.get("code")), str(answer.get("message") or ""))
        return answer.get("data") or {}

    async def quote(self, request: ShipmentRequest) -> Quote:
        data = await self._call("/openapi/v1/quotes", {
            "senderRegionCode": request.sender.region_code,
            "receiverRegionCode": request.receiver.region_code,
            "weight": request.weight_grams,
        })
        return Quote(fee_fen=int(data["feeFen"]), eta_days=int(data.get("etaDays", 3)))

    async def create_order(self, request: ShipmentRequest) -> CreatedOrder:
        data = await self._call("/openapi/v1/orders", {
            "logisticsOrderNo": request.order_no,
            "sender": _party(request.sender),
            "receiver": _party(request.receiver),
            "cargo": {"name": request.goods, "weight": request.weight_grams},
            "pickupAtDoor": request.pickup,
            "callbackUrl": request.notify_url,
        })
        return CreatedOrder(waybill_no=str(data["waybillNo"]), courier_order_no=str(data["logisticsOrderNo"]))

    async def cancel(self, order_no: str, waybill_no: str) -> None:
        await self._call("/openapi/v1/orders/cancel", {"logisticsOrderNo": order_no, "waybillNo": waybill_no})

    def parse_webhook(self, headers: dict[str, str], body: bytes) -> list[TrackingUpdate]:
        if not verify(headers, self.app_key, self.secret, "POST", PUSH_PATH, body):
            raise ForgedWebhook("X-Ems-Signature does not verify")
        try:
            traces = json.loads(body)["traces"]
            updates = []
            for trace in traces:
                status = STATUS_CODES.get(str(trace["opCode"]))
                if status is None:
                    continue
                at = datetime.fromisoformat(trace["opTime"])
                if at.tzinfo is None:
                    raise ValueError("opTime without a time zone")
                updates.append(TrackingUpdate(
                    event_key=str(trace["traceId"]), waybill_no=str(trace["waybillNo"]),
                    order_no=str(trace.get("logisticsOrderNo", "")), status=status,
                    occurred_at=at.astimezone(UTC), description=str(trace.get("opDesc", "")),
                    location=str(trace.get("opOrgCity", "")), raw=trace,
                ))
        except (ValueError, KeyError, TypeError) as exc:
            raise ForgedWebhook(f"malformed trace push: {exc}") from exc
        return updates

    def webhook_ack(self) -> WebhookAck:
        return WebhookAck(200, {"code": "0", "message": "success"})
