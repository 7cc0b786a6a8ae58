"""EMS sandbox: the JSON open API (quotes, orders, cancel) with the HMAC-SHA256 header check, and
trace pushes signed the same way. Region codes outside mainland China (71 Taiwan, 81 Hong Kong,
82 Macao) are refused with ``E2001`` (outside the service area).
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import Any

from litestar import Request, Response, Router, post

from delivery.config import delivery_settings
from delivery.couriers.ems import PUSH_PATH, signed_headers, verify
from delivery.sandbox.dev import dev_handlers
from delivery.sandbox.parcels import Parcel, ParcelBook, SandboxError, fee_fen

BEIJING = timezone(timedelta(hours=8))
UNSERVED_PROVINCES = ("71", "81", "82")
OP_FOR = {"accepted": ("ACCEPT", "已接单，投递员将上门"), "picked_up": ("COLLECT", "已收寄"),
          "in_transit": ("TRANSIT", "运输中，离开株洲邮件处理中心"), "delivered": ("SIGNED", "已妥投，本人签收"),
          "failed": ("UNDELIVERABLE", "未妥投，收件人联系不上，邮件退回")}


def _answer(code: str, message: str, data: dict[str, Any] | None = None, status: int = 200) -> Response:
    return Response({"code": code, "message": message, "data": data}, status_code=status)


def ems_sandbox_router() -> Router:
    book = ParcelBook("11", 11)

    async def authenticated(request: Request, path: str) -> tuple[dict[str, Any] | None, Response | None]:
        if book.down:
            return None, Response({"error": "service unavailable"}, status_code=503)
        settings = delivery_settings()
        body = await request.body()
        headers = {k.lower(): v for k, v in request.headers.items()}
        if not verify(headers, settings.ems_app_key, settings.ems_app_secret.get_secret_value(), "POST", path, body):
            return None, _answer("E1001", "签名验证失败", status=401)
        try:
            return json.loads(body), None
        except ValueError:
            return None, _answer("E1002", "报文不是有效的 JSON", status=400)

    @post("/openapi/v1/quotes", status_code=200)
    async def quotes(request: Request) -> Response:
        payload, refusal = await authenticated(request, "/openapi/v1/quotes")
        if refusal:
            return refusal
        try:
            src, dest = str(payload["senderRegionCode"]), str(payload["receiverRegionCode"])
            grams = int(payload.get("weight", 500))
        except (KeyError, TypeError, ValueError):
            return _answer("E1003", "缺少必填字段")
        if dest[:2] in UNSERVED_PROVINCES:
            return _answer("E2001", "收件地址超出服务范围")
        fee = fee_fen(src, dest, grams, same_city=1000, same_province=1500, national=2000, per_extra_kg=800)
        return _answer("0", "ok", {"feeFen": fee, "etaDays": 1 if src[:4] == dest[:4] else 3})

    @post("/openapi/v1/orders", status_code=200)
    async def orders(request: Request) -> Response:
        payload, refusal = await authenticated(request, "/openapi/v1/orders")
        if refusal:
            return refusal
        try:
            receiver_region = str(payload["receiver"]["regionCode"])
            if receiver_region[:2] in UNSERVED_PROVINCES:
                return _answer("E2001", "收件地址超出服务范围")
            parcel = book.create(order_no=str(payload["logisticsOrderNo"]), notify_url=str(payload.get("callbackUrl", "")),
                                 pickup=bool(payload.get("pickupAtDoor")), sender_region=str(payload["sender"]["regionCode"]),
                                 receiver_region=receiver_region, goods=str(payload["cargo"]["name"]))
        except (KeyError, TypeError):
            return _answer("E1003", "缺少必填字段")
        except SandboxError as exc:
            return _answer("E3001", exc.message)
        return _answer("0", "ok", {"logisticsOrderNo": parcel.order_no, "waybillNo": parcel.waybill_no})

    @post("/openapi/v1/orders/cancel", status_code=200)
    async def cancel(request: Request) -> Response:
        payload, refusal = await authenticated(request, "/openapi/v1/orders/cancel")
        if refusal:
            return refusal
        try:
            parcel = book.cancel(str(payload["logisticsOrderNo"]))
        except KeyError:
            return _answer("E1003", "缺少必填字段")
        except SandboxError as exc:
            return _answer({"not_found": "E3004", "too_late": "E3005"}.get(exc.kind, "E3000"), exc.message)
        return _answer("0", "ok", {"logisticsOrderNo": parcel.order_no, "cancelled": True})

    def sign(payload: bytes) -> dict[str, str]:
        settings = delivery_settings()
        return signed_headers(settings.ems_app_key, settings.ems_app_secret.get_secret_value(), "POST", PUSH_PATH, payload)

    def build(parcel: Parcel, status: str, seq: int) -> tuple[bytes, dict[str, str]]:
        op_code, desc = OP_FOR[status]
        trace = {"traceId": f"EMST{seq:012d}", "waybillNo": parcel.waybill_no, "logisticsOrderNo": parcel.order_no,
                 "opCode": op_code, "opTime": datetime.now(BEIJING).isoformat(timespec="seconds"),
                 "opOrgCity": "株洲市", "opDesc": desc}
        payload = json.dumps({"traces": [trace]}, ensure_ascii=False).encode("utf-8")
        return payload, sign(payload)

    return Router(path="/couriers/ems", route_handlers=[quotes, orders, cancel, *dev_handlers(book, build, sign)])
