"""Alipay (支付宝开放平台) through the real ``alipay-sdk-python``: app pay (``sdk_execute``),
mobile-web pay (``page_execute``), trade query, close, refund, refund query, bill download URL.

The SDK signs requests with the app's PKCS#1 key (RSA2) and verifies every response signature with
the Alipay public key. Notifications are verified here, exactly as Alipay specifies: every
parameter except ``sign`` and ``sign_type``, sorted, joined as ``k=v&...``, RSA2 (SHA256withRSA)
with the Alipay public key (the SDK's own verify raises instead of answering False).
"""

from __future__ import annotations

import asyncio
import base64
import csv
import io
import json
import zipfile
from collections.abc import Mapping
from datetime import date
from typing import Any
from urllib.parse import parse_qsl

import requests
from alipay.aop.api.AlipayClientConfig import AlipayClientConfig
from alipay.aop.api.DefaultAlipayClient import DefaultAlipayClient
from alipay.aop.api.domain.AlipayDataDataserviceBillDownloadurlQueryModel import (
    AlipayDataDataserviceBillDownloadurlQueryModel,
)
from alipay.aop.api.domain.AlipayTradeAppPayModel import AlipayTradeAppPayModel
from alipay.aop.api.domain.AlipayTradeCloseModel import AlipayTradeCloseModel
from alipay.aop.api.domain.AlipayTradeFastpayRefundQueryModel import (
    AlipayTradeFastpayRefundQueryModel,
)
from alipay.aop.api.domain.AlipayTradeQueryModel import AlipayTradeQueryModel
from alipay.aop.api.domain.AlipayTradeRefundModel import AlipayTradeRefundModel
from alipay.aop.api.domain.AlipayTradeWapPayModel import AlipayTradeWapPayModel
from alipay.aop.api.request.AlipayDataDataserviceBillDownloadurlQueryRequest import (
    AlipayDataDataserviceBillDownloadurlQueryRequest,
)
from alipay.aop.api.request.AlipayTradeAppPayRequest import AlipayTradeAppPayRequest
from alipay.aop.api.request.AlipayTradeCloseRequest import AlipayTradeCloseRequest
from alipay.aop.api.request.AlipayTradeFastpayRefundQueryRequest import (
    AlipayTradeFastpayRefundQueryRequest,
)
from alipay.aop.api.request.AlipayTradeQueryRequest import AlipayTradeQueryRequest
from alipay.aop.api.request.AlipayTradeRefundRequest import AlipayTradeRefundRequest
from alipay.aop.api.request.AlipayTradeWapPayRequest import AlipayTradeWapPayRequest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

from core.errors import AppError
from payments import errors
from payments.channels.alipay_transport import install_port_fix
from payments.channels.money import china_time, fen_to_yuan, parse_china_local, yuan_to_fen
from payments.config import AlipayCredentials
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

TRADE_STATES = {"TRADE_SUCCESS": "paid", "TRADE_FINISHED": "paid", "WAIT_BUYER_PAY": "not_paid",
                "TRADE_CLOSED": "closed"}


def signed_content(params: Mapping[str, str]) -> str:
    """The string Alipay signs: all parameters but sign/sign_type, sorted, ``k=v`` joined by ``&``."""
    return "&".join(f"{k}={params[k]}" for k in sorted(params) if k not in ("sign", "sign_type") and params[k] != "")


def rsa2_verify(key: Any, content: str, signature_b64: str) -> bool:
    try:
        key.verify(base64.b64decode(signature_b64), content.encode("utf-8"), padding.PKCS1v15(), hashes.SHA256())
    except (InvalidSignature, ValueError):
        return False
    return True


class AlipayChannel:
    name = "alipay"
    methods = ("app", "wap")

    def __init__(self, creds: AlipayCredentials) -> None:
        install_port_fix()
        self.creds = creds
        config = AlipayClientConfig()
        config.server_url = creds.gateway
        config.app_id = creds.app_id
        config.app_private_key = creds.private_key
        config.alipay_public_key = creds.alipay_public_key
        config.sign_type = "RSA2"
        config.timeout = 15
        self.client = DefaultAlipayClient(alipay_client_config=config)
        self._public_key = serialization.load_pem_public_key(creds.alipay_public_key.encode())

    async def _execute(self, request: Any) -> dict[str, Any]:
        """Run one gateway call; the SDK checks the response signature and returns its content."""
        try:
            text = await asyncio.to_thread(self.client.execute, request)
        except Exception as exc:  # connection failure, or a response whose signature failed
            raise errors.PROVIDER_ERROR(details={"channel": self.name, "error": str(exc)[:200]}) from exc
        return json.loads(text)

    def _refused(self, data: Mapping[str, Any]) -> AppError:
        spec = errors.PROVIDER_ERROR if str(data.get("code")) in ("20000", "20001") else errors.PROVIDER_REFUSED
        return spec(details={"channel": self.name, "code": data.get("sub_code") or data.get("code"),
                             "message": data.get("sub_msg") or data.get("msg")})

    # ---- paying ---------------------------------------------------------------------------------

    async def prepay(self, order: OrderInfo, method: str, payer: PayerContext) -> PrepayResult:
        expire = china_time(order.expires_at).strftime("%Y-%m-%d %H:%M:%S")
        if method == "app":
            model = AlipayTradeAppPayModel()
            model.product_code = "QUICK_MSECURITY_PAY"
            request = AlipayTradeAppPayRequest(biz_model=model)
        else:
            model = AlipayTradeWapPayModel()
            model.product_code = "QUICK_WAP_WAY"
            model.quit_url = payer.return_url or ""
            request = AlipayTradeWapPayRequest(biz_model=model)
            if payer.return_url:
                request.return_url = payer.return_url
        model.out_trade_no = order.order_no
        model.total_amount = fen_to_yuan(order.amount_fen)
        model.subject = order.subject[:256]
        model.time_expire = expire
        request.notify_url = self.creds.notify_url
        if method == "app":
            order_string = await asyncio.to_thread(self.client.sdk_execute, request)
            return PrepayResult(method=method, client_params={"order_string": order_string})
        url = await asyncio.to_thread(self.client.page_execute, request, "GET")
        return PrepayResult(method=method, client_params={"pay_url": url})

    async def query(self, order: OrderInfo) -> ChannelTrade:
        model = AlipayTradeQueryModel()
        model.out_trade_no = order.order_no
        data = await self._execute(AlipayTradeQueryRequest(biz_model=model))
        if data.get("sub_code") == "ACQ.TRADE_NOT_EXIST":
            return ChannelTrade(order_no=order.order_no, state="unknown")
        if str(data.get("code")) != "10000":
            raise self._refused(data)
        if data.get("out_trade_no") != order.order_no:
            raise errors.PROVIDER_ERROR(details={"channel": self.name, "error": "query answer is for another order"})
        return self._trade(data)

    def _trade(self, data: Mapping[str, Any]) -> ChannelTrade:
        return ChannelTrade(
            order_no=str(data.get("out_trade_no", "")),
            state=TRADE_STATES.get(str(data.get("trade_status")), "unknown"),
            amount_fen=yuan_to_fen(data.get("total_amount")),
            transaction_id=data.get("trade_no"),
            paid_at=parse_china_local(data.get("gmt_payment") or data.get("send_pay_date")),
            app_id=data.get("app_id"),
            merchant_id=data.get("seller_id"),
            raw=dict(data),
        )

    async def close(self, order: OrderInfo) -> None:
        model = AlipayTradeCloseModel()
        model.out_trade_no = order.order_no
        data = await self._execute(AlipayTradeCloseRequest(biz_model=model))
        # A trade the buyer never opened does not exist at Alipay: nothing to close.
        if str(data.get("code")) != "10000" and data.get("sub_code") != "ACQ.TRADE_NOT_EXIST":
            raise self._refused(data)

    # ---- refunds ------------------------------------------------------------------------------

    async def refund(self, order: OrderInfo, refund: RefundInfo) -> RefundOutcome:
        model = AlipayTradeRefundModel()
        model.out_trade_no = order.order_no
        model.refund_amount = fen_to_yuan(refund.amount_fen)
        model.out_request_no = refund.refund_no
        model.refund_reason = refund.reason[:80]
        data = await self._execute(AlipayTradeRefundRequest(biz_model=model))
        if str(data.get("code")) != "10000":
            raise self._refused(data)
        # Alipay refunds synchronously: code 10000 means the refund went through.
        return RefundOutcome(refund_no=refund.refund_no, state="succeeded", amount_fen=refund.amount_fen,
                             provider_refund_id=data.get("trade_no"), order_no=data.get("out_trade_no"),
                             succeeded_at=parse_china_local(data.get("gmt_refund_pay")), raw=data)

    async def query_refund(self, order: OrderInfo, refund: RefundInfo) -> RefundOutcome:
        model = AlipayTradeFastpayRefundQueryModel()
        model.out_trade_no = order.order_no
        model.out_request_no = refund.refund_no
        data = await self._execute(AlipayTradeFastpayRefundQueryRequest(biz_model=model))
        if str(data.get("code")) != "10000":
            raise self._refused(data)
        if data.get("refund_status") == "REFUND_SUCCESS":
            return RefundOutcome(refund_no=refund.refund_no, state="succeeded",
                                 amount_fen=yuan_to_fen(data.get("refund_amount")),
                                 order_no=data.get("out_trade_no"), provider_refund_id=data.get("trade_no"), raw=data)
        # Alipay answers 10000 without refund_status when no such refund was accepted.
        return RefundOutcome(refund_no=refund.refund_no, state="failed", raw={"error": "refund not found", **data})

    # ---- notifications ----------------------------------------------------------------------------

    async def verify_notification(self, headers: Mapping[str, str], body: bytes) -> VerifiedNotification:
        try:
            params = dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=True))
        except (UnicodeDecodeError, ValueError):
            raise NotificationRejected("body is not a form") from None
        sign = params.get("sign", "")
        if params.get("sign_type") != "RSA2" or not sign:
            raise NotificationRejected("missing sign or sign_type is not RSA2")
        if not rsa2_verify(self._public_key, signed_content(params), sign):
            raise NotificationRejected("signature does not verify")
        if params.get("app_id") != self.creds.app_id:
            raise NotificationRejected("app id does not match")
        if self.creds.seller_id and params.get("seller_id") != self.creds.seller_id:
            raise NotificationRejected("seller id does not match")
        trade = self._trade(params)
        if params.get("out_biz_no") and params.get("gmt_refund"):
            refund = RefundOutcome(
                # refund_fee is the trade's cumulative refunded total, not this refund's amount.
                refund_no=params["out_biz_no"], state="succeeded", amount_fen=None,
                order_no=params.get("out_trade_no"), provider_refund_id=params.get("trade_no"),
                succeeded_at=parse_china_local(params.get("gmt_refund")), raw=params,
            )
            return VerifiedNotification(kind="refund", refund=refund, notification_id=params.get("notify_id"))
        return VerifiedNotification(kind="payment", trade=trade, notification_id=params.get("notify_id"))

    def notification_answer(self, accepted: bool, message: str = "") -> NotificationAnswer:
        return NotificationAnswer(200, b"success" if accepted else b"fail", media_type="text/plain")

    # ---- bills ------------------------------------------------------------------------------------

    async def download_bill(self, day: date) -> list[BillLine]:
        model = AlipayDataDataserviceBillDownloadurlQueryModel()
        model.bill_type = "trade"
        model.bill_date = day.isoformat()
        data = await self._execute(AlipayDataDataserviceBillDownloadurlQueryRequest(biz_model=model))
        if data.get("sub_code") == "isp.bill_not_exist":
            return []
        if str(data.get("code")) != "10000":
            raise self._refused(data)
        try:
            response = await asyncio.to_thread(requests.get, data["bill_download_url"], timeout=30)
            response.raise_for_status()
        except requests.RequestException as exc:
            raise errors.PROVIDER_ERROR(details={"channel": self.name, "error": str(exc)[:200]}) from exc
        return parse_bill_zip(response.content)


def parse_bill_zip(content: bytes) -> list[BillLine]:
    """Alipay's trade bill: a zip holding a GBK CSV of 业务明细 (``#`` lines are titles/summary)."""
    result: list[BillLine] = []
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        for name in archive.namelist():
            if "汇总" in name:
                continue
            text = archive.read(name).decode("gbk")
            rows = [line for line in text.splitlines() if line.strip() and not line.startswith("#")]
            for row in csv.DictReader(io.StringIO("\n".join(rows))):
                row = {k.strip(): (v or "").strip() for k, v in row.items() if k}
                kind = row.get("业务类型")
                order_no = row.get("商户订单号", "")
                at = parse_china_local(row.get("完成时间"))
                if kind == "交易":
                    result.append(BillLine(kind="payment", order_no=order_no, state="SUCCESS", at=at,
                                           amount_fen=yuan_to_fen(row.get("订单金额（元）")) or 0,
                                           transaction_id=row.get("支付宝交易号")))
                elif kind == "退款":
                    result.append(BillLine(kind="refund", order_no=order_no, state="SUCCESS", at=at,
                                           amount_fen=abs(yuan_to_fen(row.get("商家实收（元）")) or 0),
                                           transaction_id=row.get("支付宝交易号"),
                                           refund_no=row.get("退款批次号/请求号")))
    return result
