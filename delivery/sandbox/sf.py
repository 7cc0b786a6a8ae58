"""SF Express sandbox: ``POST /std/service`` with the 丰桥 envelope and msgDigest check, and the
route push (路由推送) signed ``base64(md5(body + checkword))``.

Receivers in Tibet (54) and Xinjiang (65) are outside this sandbox courier's area (``filterResult``
3), so the "courier refuses the address" path can be exercised.
"""

from __future__ import annotations

import hmac
import json
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any

from litestar import Request, Response, Router, post

from delivery.config import delivery_settings
from delivery.couriers.sf import push_digest, request_digest
from delivery.sandbox.dev import dev_handlers
from delivery.sandbox.parcels import Parcel, ParcelBook, SandboxError, fee_fen

BEIJING = timezone(timedelta(hours=8))
UNSERVED_PROVINCES = ("54", "65")
OP_FOR = {"accepted": ("54", "已派单，快递员正在赶来"), "picked_up": ("50", "顺丰速运 已收取快件"),
          "in_transit": ("30", "快件在转运中"), "delivered": ("80", "已签收，感谢使用顺丰"),
          "failed": ("70", "派送不成功，快件将退回")}


def _envelope(code: str, msg: str = "", data: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"apiResultCode": code, "apiErrorMsg": msg, "apiResponseID": uuid.uuid4().hex.upper(),
            "apiResultData": json.dumps(data, ensure_ascii=False) if data is not None else None}


def _ok(msg_data: dict[str, Any]) -> dict[str, Any]:
    return _envelope("A1000", data={"success": True, "errorCode": "S0000", "errorMsg": None, "msgData": msg_data})


def _biz_error(code: str, msg: str) -> dict[str, Any]:
    return _envelope("A1000", data={"success": False, "errorCode": code, "errorMsg": msg, "msgData": None})


def sf_sandbox_router() -> Router:
    book = ParcelBook("SF", 13)

    @post("/std/service", status_code=200)
    async def service(request: Request) -> Any:
        if book.down:
            return Response({"error": "service unavailable"}, status_code=503)
        form = await request.form()
        settings = delivery_settings()
        checkword = settings.sf_checkword.get_secret_value()
        if form.get("partnerID") != settings.sf_partner_id:
            return _envelope("A1001", "partnerID 不存在")
        msg_data, timestamp = str(form.get("msgData", "")), str(form.get("timestamp", ""))
        if not hmac.compare_digest(str(form.get("msgDigest", "")), request_digest(msg_data, timestamp, checkword)):
            return _envelope("A1006", "数字签名无效")
        try:
            msg = json.loads(msg_data)
        except ValueError:
            return _envelope("A1003", "msgData 不是有效的 JSON")
        code = form.get("serviceCode")
        try:
            if code == "EXP_RECE_QUERY_DELIVERTM":
                src, dest = msg["srcAddress"]["areaCode"], msg["destAddress"]["areaCode"]
                grams = int(float(msg.get("weight", 0.5)) * 1000)
                fee = fee_fen(src, dest, grams, same_city=1200, same_province=1500, national=2300, per_extra_kg=1000)
                days = 1 if src[:4] == dest[:4] else 2
                return _ok({"deliverTmDto": [{"businessType": "2", "fee": f"{fee / 100:.2f}", "days": days}]})
            if code == "EXP_RECE_CREATE_ORDER":
                contacts = {c["contactType"]: c for c in msg["contactInfoList"]}
                receiver = contacts[2]
                if str(receiver["areaCode"])[:2] in UNSERVED_PROVINCES:
                    return _ok({"orderId": msg["orderId"], "filterResult": 3, "remark": "收件地址超出服务范围",
                                "waybillNoInfoList": []})
                parcel = book.create(order_no=msg["orderId"], notify_url=msg.get("routePushUrl", ""),
                                     pickup=bool(msg.get("isDocall")), sender_region=contacts[1]["areaCode"],
                                     receiver_region=receiver["areaCode"], goods=msg["cargoDetails"][0]["name"])
                return _ok({"orderId": parcel.order_no, "filterResult": 2,
                            "waybillNoInfoList": [{"waybillType": 1, "waybillNo": parcel.waybill_no}]})
            if code == "EXP_RECE_UPDATE_ORDER":
                if int(msg.get("dealType", 1)) != 2:
                    return _biz_error("8019", "仅支持取消订单")
                parcel = book.cancel(msg["orderId"])
                return _ok({"orderId": parcel.order_no, "resStatus": 2})
        except SandboxError as exc:
            return _biz_error({"duplicate": "8016", "not_found": "8018", "too_late": "8037"}.get(exc.kind, "8000"), exc.message)
        except (KeyError, TypeError, ValueError) as exc:
            return _biz_error("1010", f"报文字段缺失或有误: {exc}")
        return _envelope("A1005", f"serviceCode 不存在: {code}")

    def build(parcel: Parcel, status: str, seq: int) -> tuple[bytes, dict[str, str]]:
        op_code, remark = OP_FOR[status]
        route = {"id": f"SFR{seq:010d}", "mailno": parcel.waybill_no, "orderid": parcel.order_no,
                 "acceptTime": datetime.now(BEIJING).strftime("%Y-%m-%d %H:%M:%S"), "acceptAddress": "株洲市",
                 "remark": remark, "opCode": op_code}
        payload = json.dumps({"Body": {"WaybillRoute": [route]}}, ensure_ascii=False).encode("utf-8")
        return payload, sign(payload)

    def sign(payload: bytes) -> dict[str, str]:
        return {"Content-Type": "application/json;charset=UTF-8",
                "msgDigest": push_digest(payload, delivery_settings().sf_checkword.get_secret_value())}

    return Router(path="/couriers/sf", route_handlers=[service, *dev_handlers(book, build, sign)])
