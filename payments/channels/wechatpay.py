"""WeChat Pay API v3 (微信支付 直连商户) through the real ``wechatpayv3`` SDK.

The SDK signs every request (``WECHATPAY2-SHA256-RSA2048`` with the merchant's PKCS#8 key),
verifies every response and notification signature against the platform public key (public-key
mode: nothing is downloaded in the constructor) and decrypts AES-256-GCM notification resources.
The SDK is synchronous (``requests``): calls run in a worker thread. Its gateway is an attribute of
its core object, pointed at the sandbox offline.
"""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import json
import secrets
import time
from collections.abc import Mapping
from datetime import date
from typing import Any

from wechatpayv3 import WeChatPay, WeChatPayType

from core.errors import AppError
from payments import errors
from payments.channels.money import china_time, parse_rfc3339, yuan_to_fen
from payments.config import WeChatCredentials
from payments.contract import (
    BillLine,
    ChannelTrade,
    NotificationAnswer,
    NotificationRejected,
    OrderInfo,
    PayerContext,
    PrepayResult,
    RefundInfo,
    RefundOutcome,
    VerifiedNotification,
)

TRADE_STATES = {
    "SUCCESS": "paid", "REFUND": "paid",  # REFUND: paid, then (partly) refunded
    "NOTPAY": "not_paid", "USERPAYING": "not_paid", "PAYERROR": "not_paid",
    "CLOSED": "closed", "REVOKED": "closed",
}
REFUND_STATES = {"SUCCESS": "succeeded", "PROCESSING": "processing", "CLOSED": "failed", "ABNORMAL": "failed"}
# WeChat signs notifications with a timestamp; older ones are refused as replays of stale data.
MAX_SKEW_SECONDS = 300


class WeChatPayChannel:
    name = "wechatpay"
    methods = ("jsapi", "app")

    def __init__(self, creds: WeChatCredentials) -> None:
        self.creds = creds
        self._clients = {method: self._make_client(method) for method in self.methods}

    def _make_client(self, method: str) -> WeChatPay:
        client = WeChatPay(
            wechatpay_type=WeChatPayType.MINIPROG if method == "jsapi" else WeChatPayType.APP,
            mchid=self.creds.mchid,
            private_key=self.creds.private_key,
            cert_serial_no=self.creds.cert_serial_no,
            appid=self.creds.appid if method == "jsapi" else self.creds.app_appid,
            apiv3_key=self.creds.apiv3_key,
            notify_url=self.creds.notify_url,
            public_key=self.creds.platform_public_key,
            public_key_id=self.creds.platform_public_key_id,
            timeout=(5, 15),
        )
        client._core._gate_way = self.creds.gateway  # the SDK has no gateway parameter
        return client

    def _client(self, order: OrderInfo | None = None) -> WeChatPay:
        return self._clients[(order.method if order and order.method in self._clients else "jsapi")]

    async def _call(self, fn: Any, *args: Any, **kwargs: Any) -> tuple[int, Any]:
        try:
            return await asyncio.to_thread(fn, *args, **kwargs)
        except Exception as exc:  # network failure, or a response whose signature failed
            raise errors.PROVIDER_ERROR(details={"channel": self.name, "error": str(exc)[:200]}) from exc

    def _refused(self, code: int, message: Any) -> AppError:
        try:
            body = json.loads(message)
        except (TypeError, ValueError):
            body = {"message": str(message)[:200]}
        spec = errors.PROVIDER_ERROR if code >= 500 else errors.PROVIDER_REFUSED
        return spec(details={"channel": self.name, "code": body.get("code"), "message": body.get("message")})

    # ---- paying ---------------------------------------------------------------------------------

    async def prepay(self, order: OrderInfo, method: str, payer: PayerContext) -> PrepayResult:
        if method == "jsapi" and not payer.openid:
            raise errors.OPENID_REQUIRED()
        client = self._clients[method]
        code, message = await self._call(
            client.pay,
            description=order.subject[:127],
            out_trade_no=order.order_no,
            amount={"total": order.amount_fen, "currency": "CNY"},
            payer={"openid": payer.openid} if method == "jsapi" else None,
            time_expire=china_time(order.expires_at).isoformat(timespec="seconds"),
            scene_info={"payer_client_ip": payer.client_ip},
        )
        if code != 200:
            raise self._refused(code, message)
        prepay_id = json.loads(message)["prepay_id"]
        timestamp, nonce = str(int(time.time())), secrets.token_hex(16)
        if method == "jsapi":
            package = f"prepay_id={prepay_id}"
            appid = self.creds.appid
            params = {
                "timeStamp": timestamp, "nonceStr": nonce, "package": package, "signType": "RSA",
                "paySign": client.sign([appid, timestamp, nonce, package]),
            }
        else:
            appid = self.creds.app_appid
            params = {
                "appid": appid, "partnerid": self.creds.mchid, "prepayid": prepay_id, "package": "Sign=WXPay",
                "noncestr": nonce, "timestamp": timestamp,
                "sign": client.sign([appid, timestamp, nonce, prepay_id]),
            }
        return PrepayResult(method=method, client_params=params, provider_ref=prepay_id)

    async def query(self, order: OrderInfo) -> ChannelTrade:
        code, message = await self._call(self._client(order).query, out_trade_no=order.order_no)
        if code == 404:
            return ChannelTrade(order_no=order.order_no, state="unknown")
        if code != 200:
            raise self._refused(code, message)
        data = json.loads(message)
        trade = self._trade(data)
        if trade.merchant_id != self.creds.mchid or trade.order_no != order.order_no:
            raise errors.PROVIDER_ERROR(details={"channel": self.name, "error": "query answer is for another order"})
        return trade

    def _trade(self, data: Mapping[str, Any]) -> ChannelTrade:
        amount = data.get("amount") or {}
        return ChannelTrade(
            order_no=str(data.get("out_trade_no", "")),
            state=TRADE_STATES.get(str(data.get("trade_state")), "unknown"),
            amount_fen=amount.get("total") if isinstance(amount.get("total"), int) else None,
            transaction_id=data.get("transaction_id"),
            paid_at=parse_rfc3339(data.get("success_time")),
            app_id=data.get("appid"),
            merchant_id=data.get("mchid"),
            raw=dict(data),
        )

    async def close(self, order: OrderInfo) -> None:
        code, message = await self._call(self._client(order).close, out_trade_no=order.order_no)
        if code not in (200, 204):
            raise self._refused(code, message)

    # ---- refunds ------------------------------------------------------------------------------

    async def refund(self, order: OrderInfo, refund: RefundInfo) -> RefundOutcome:
        code, message = await self._call(
            self._client(order).refund,
            out_refund_no=refund.refund_no,
            amount={"refund": refund.amount_fen, "total": order.amount_fen, "currency": "CNY"},
            out_trade_no=order.order_no,
            reason=refund.reason[:80],
        )
        if code != 200:
            raise self._refused(code, message)
        return self._refund(json.loads(message))

    async def query_refund(self, order: OrderInfo, refund: RefundInfo) -> RefundOutcome:
        code, message = await self._call(self._client(order).query_refund, out_refund_no=refund.refund_no)
        if code == 404:
            return RefundOutcome(refund_no=refund.refund_no, state="failed", raw={"error": "RESOURCE_NOT_EXISTS"})
        if code != 200:
            raise self._refused(code, message)
        return self._refund(json.loads(message))

    def _refund(self, data: Mapping[str, Any]) -> RefundOutcome:
        amount = data.get("amount") or {}
        status = data.get("status") or data.get("refund_status")
        return RefundOutcome(
            refund_no=str(data.get("out_refund_no", "")),
            state=REFUND_STATES.get(str(status), "processing"),
            amount_fen=amount.get("refund") if isinstance(amount.get("refund"), int) else None,
            provider_refund_id=data.get("refund_id"),
            order_no=data.get("out_trade_no"),
            succeeded_at=parse_rfc3339(data.get("success_time")),
            raw=dict(data),
        )

    # ---- notifications ----------------------------------------------------------------------------

    async def verify_notification(self, headers: Mapping[str, str], body: bytes) -> VerifiedNotification:
        lowered = {k.lower(): v for k, v in headers.items()}
        try:
            stamp = int(lowered.get("wechatpay-timestamp", ""))
        except ValueError:
            raise NotificationRejected("missing or bad Wechatpay-Timestamp") from None
        if abs(time.time() - stamp) > MAX_SKEW_SECONDS:
            raise NotificationRejected("Wechatpay-Timestamp too far from now")
        if lowered.get("wechatpay-serial") != self.creds.platform_public_key_id:
            raise NotificationRejected("unknown Wechatpay-Serial")
        try:
            text = body.decode("utf-8")
            # The SDK checks the RSA signature over "timestamp\nnonce\nbody\n", then decrypts the
            # AES-256-GCM resource with the API v3 key (None on a bad signature or tag).
            data = self._clients["jsapi"].callback(lowered, text)
        except Exception as exc:
            raise NotificationRejected(f"unverifiable: {exc}") from None
        if not data or not isinstance(data.get("resource"), dict):
            raise NotificationRejected("signature or decryption failed")
        resource = data["resource"]
        if resource.get("mchid") != self.creds.mchid:
            raise NotificationRejected("merchant id does not match")
        event = str(data.get("event_type", ""))
        if event.startswith("TRANSACTION."):
            if resource.get("appid") not in (self.creds.appid, self.creds.app_appid):
                raise NotificationRejected("app id does not match")
            return VerifiedNotification(kind="payment", trade=self._trade(resource), notification_id=data.get("id"))
        if event.startswith("REFUND."):
            return VerifiedNotification(kind="refund", refund=self._refund(resource), notification_id=data.get("id"))
        raise NotificationRejected(f"unexpected event_type {event!r}")

    def notification_answer(self, accepted: bool, message: str = "") -> NotificationAnswer:
        if accepted:
            return NotificationAnswer(200, json.dumps({"code": "SUCCESS", "message": "成功"}).encode())
        return NotificationAnswer(400, json.dumps({"code": "FAIL", "message": message or "失败"}).encode())

    # ---- bills ------------------------------------------------------------------------------------

    async def download_bill(self, day: date) -> list[BillLine]:
        client = self._clients["jsapi"]
        code, message = await self._call(client.trade_bill, bill_date=day.isoformat(), bill_type="ALL",
                                         tar_type="GZIP")
        if code == 400 and "NO_STATEMENT_EXIST" in str(message):
            return []
        if code != 200:
            raise self._refused(code, message)
        meta = json.loads(message)
        code, content = await self._call(client.download_bill, meta["download_url"])
        if code != 200:
            raise self._refused(code, content)
        raw = content if isinstance(content, bytes) else str(content).encode()
        text = gzip.decompress(raw)
        if hashlib.sha1(text).hexdigest() != str(meta.get("hash_value", "")).lower():
            raise errors.PROVIDER_ERROR(details={"channel": self.name, "error": "bill hash mismatch"})
        return parse_trade_bill(text.decode("utf-8"))


def parse_trade_bill(text: str) -> list[BillLine]:
    """Parse a WeChat Pay v3 trade bill (ALL): a header row, backtick-prefixed values, amounts in
    yuan, then a summary block that starts with the 总交易单数 header row."""
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        return []
    header = [h.strip() for h in lines[0].split(",")]
    result: list[BillLine] = []
    for line in lines[1:]:
        if line.startswith("总交易单数"):
            break
        row = dict(zip(header, (v.strip().lstrip("`") for v in line.split(",")), strict=False))
        at = parse_rfc3339(row.get("交易时间", "").replace(" ", "T") + "+08:00") if row.get("交易时间") else None
        if row.get("交易状态") == "REFUND":
            result.append(BillLine(
                kind="refund", order_no=row.get("商户订单号", ""), amount_fen=yuan_to_fen(row.get("退款金额")) or 0,
                state=row.get("退款状态", ""), transaction_id=row.get("微信订单号"),
                refund_no=row.get("商户退款单号"), at=at,
            ))
        else:
            result.append(BillLine(
                kind="payment", order_no=row.get("商户订单号", ""), amount_fen=yuan_to_fen(row.get("应结订单金额")) or 0,
                state=row.get("交易状态", ""), transaction_id=row.get("微信订单号"), at=at,
            ))
    return result
