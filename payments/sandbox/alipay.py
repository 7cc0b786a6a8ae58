"""Alipay open-platform sandbox gateway (mounted at ``/sandbox/alipay``).

``gateway.do`` verifies the RSA2 signature the SDK puts on every call (all parameters but
``sign``, sorted) with the app's public key and answers ``{"<method>_response": {...}, "sign": ...}``
signed with Alipay's key over the exact response text, as the SDK expects. Implemented methods:
``alipay.trade.wap.pay`` (the browser opening the pay URL), ``alipay.trade.query``,
``alipay.trade.close``, ``alipay.trade.refund``, ``alipay.trade.fastpay.refund.query``,
``alipay.data.dataservice.bill.downloadurl.query``; bills are zips of GBK CSV files.

Asynchronous notifications are form posts signed with Alipay's key (all parameters but ``sign`` and
``sign_type``, sorted) to the ``notify_url`` of the trade; ``_dev`` endpoints play the Alipay app
(pay an app order string, pay an opened web trade), list notifications and tamper with bills.
"""

from __future__ import annotations

import base64
import csv
import io
import json
import secrets
import threading
import zipfile
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode

import requests
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from litestar import Request, Response, Router, get, post
from litestar.params import FromPath, FromQuery, JSONBody

from payments.channels.alipay import signed_content
from payments.channels.money import CHINA, fen_to_yuan, parse_china_local, yuan_to_fen


def china_text(moment: datetime) -> str:
    return moment.astimezone(CHINA).strftime("%Y-%m-%d %H:%M:%S")


@dataclass
class AlipaySide:
    app_id: str
    seller_id: str
    app_public_key: Any
    alipay_private_key: Any

    @classmethod
    def from_credentials(cls, creds: dict[str, Any]) -> AlipaySide:
        return cls(
            app_id=creds["app_id"], seller_id=creds["seller_id"],
            app_public_key=serialization.load_pem_public_key(creds["app_public_key"].encode()),
            alipay_private_key=serialization.load_pem_private_key(creds["alipay_private_key"].encode(), None),
        )

    def sign(self, content: str) -> str:
        signature = self.alipay_private_key.sign(content.encode("utf-8"), padding.PKCS1v15(), hashes.SHA256())
        return base64.b64encode(signature).decode()

    def verify_request(self, params: dict[str, str]) -> str | None:
        if params.get("app_id") != self.app_id:
            return "isv.invalid-app-id"
        if params.get("sign_type") != "RSA2" or not params.get("sign"):
            return "isv.invalid-signature-type"
        # Requests: everything but ``sign`` is signed (sign_type included), sorted by key.
        content = "&".join(f"{k}={params[k]}" for k in sorted(params) if k != "sign")
        try:
            self.app_public_key.verify(base64.b64decode(params["sign"]), content.encode("utf-8"),
                                       padding.PKCS1v15(), hashes.SHA256())
        except (InvalidSignature, ValueError):
            return "isv.invalid-signature"
        return None

    def notification(self, params: dict[str, str]) -> str:
        """A form body signed as Alipay signs notifications (sign and sign_type excluded)."""
        params = {**params, "sign_type": "RSA2", "charset": "utf-8", "version": "1.0", "app_id": self.app_id,
                  "notify_type": "trade_status_sync", "notify_id": secrets.token_hex(16),
                  "notify_time": china_text(datetime.now(UTC))}
        params["sign"] = self.sign(signed_content(params))
        return urlencode(params)


@dataclass
class AlipayState:
    trades: dict[str, dict[str, Any]] = field(default_factory=dict)
    refunds: dict[str, dict[str, Any]] = field(default_factory=dict)
    outbox: list[dict[str, Any]] = field(default_factory=list)
    bill_tamper: dict[str, dict[str, Any]] = field(default_factory=dict)
    bill_tokens: dict[str, str] = field(default_factory=dict)
    auto_deliver: bool = True
    lock: threading.RLock = field(default_factory=threading.RLock)


def _deliver(entry: dict[str, Any]) -> None:
    def run() -> None:
        try:
            answer = requests.post(entry["url"], data=entry["body"].encode(), timeout=5,
                                   headers={"Content-Type": entry["headers"]["Content-Type"]})
            entry["delivered"] = answer.text.strip() == "success"
            entry["answer"] = answer.text[:40]
        except requests.RequestException as exc:
            entry["answer"] = f"unreachable: {exc.__class__.__name__}"

    threading.Thread(target=run, name="alipay-notify", daemon=True).start()


def alipay_sandbox_router(side: AlipaySide) -> Router:
    state = AlipayState()

    def signed(method: str, payload: dict[str, Any]) -> Response:
        inner = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
        key = method.replace(".", "_") + "_response"
        body = f'{{"{key}":{inner},"sign":"{side.sign(inner)}"}}'
        return Response(content=body.encode("utf-8"), media_type="text/html;charset=utf-8")

    def failed(method: str, code: str, msg: str, sub_code: str, sub_msg: str) -> Response:
        return signed(method, {"code": code, "msg": msg, "sub_code": sub_code, "sub_msg": sub_msg})

    def business_failed(method: str, sub_code: str, sub_msg: str) -> Response:
        return failed(method, "40004", "Business Failed", sub_code, sub_msg)

    def queue(trade: dict[str, Any], kind: str, key: str, params: dict[str, str], send: bool) -> dict[str, Any]:
        entry = {"url": trade["notify_url"], "kind": kind, "key": key, "body": side.notification(params),
                 "headers": {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
                 "delivered": False, "answer": None}
        state.outbox.append(entry)
        if send and trade["notify_url"]:
            _deliver(entry)
        return entry

    def register(params: dict[str, str], product_code: str) -> tuple[dict[str, Any] | None, str | None]:
        try:
            biz = json.loads(params.get("biz_content") or "{}")
            out_trade_no = str(biz["out_trade_no"])
            total = yuan_to_fen(biz["total_amount"])
            assert total and total > 0 and biz.get("subject") and biz.get("product_code") == product_code
        except (ValueError, KeyError, TypeError, AssertionError):
            return None, "isv.invalid-parameter"
        with state.lock:
            trade = state.trades.get(out_trade_no)
            if trade is not None:
                if trade["total"] != total:
                    return None, "ACQ.CONTEXT_INCONSISTENT"
                return trade, None
            expires = parse_china_local(biz.get("time_expire"))
            trade = {"out_trade_no": out_trade_no, "total": total, "subject": biz["subject"], "expires": expires,
                     "notify_url": params.get("notify_url", ""), "status": "WAIT_BUYER_PAY",
                     "trade_no": datetime.now(UTC).strftime("%Y%m%d") + "2200" + f"{secrets.randbelow(10**14):014d}",
                     "created": datetime.now(UTC), "refunded": 0}
            state.trades[out_trade_no] = trade
        return trade, None

    def pay(trade: dict[str, Any], send: bool) -> tuple[dict[str, Any] | None, str | None]:
        with state.lock:
            if trade["status"] != "WAIT_BUYER_PAY":
                return None, f"trade is {trade['status']}"
            if trade.get("expires") and trade["expires"] <= datetime.now(UTC):
                trade["status"] = "TRADE_CLOSED"  # time_expire passed: Alipay closes the trade
                return None, "trade expired (time_expire)"
            trade["status"] = "TRADE_SUCCESS"
            trade["paid"] = datetime.now(UTC)
            params = {"trade_no": trade["trade_no"], "out_trade_no": trade["out_trade_no"],
                      "buyer_id": "2088102" + f"{secrets.randbelow(10**9):09d}", "seller_id": side.seller_id,
                      "trade_status": "TRADE_SUCCESS", "total_amount": fen_to_yuan(trade["total"]),
                      "receipt_amount": fen_to_yuan(trade["total"]), "subject": trade["subject"],
                      "gmt_create": china_text(trade["created"]), "gmt_payment": china_text(trade["paid"])}
            return queue(trade, "payment", trade["out_trade_no"], params, send), None

    def trade_of(biz: dict[str, Any]) -> dict[str, Any] | None:
        return state.trades.get(str(biz.get("out_trade_no", "")))

    @get("/gateway.do")
    async def gateway_get(request: Request) -> Response:
        """The browser opening a mobile-web pay URL (alipay.trade.wap.pay): Alipay's cashier page."""
        params = dict(request.query_params)
        problem = side.verify_request(params)
        if problem:
            return Response(content=f"<h1>错误 {problem}</h1>", status_code=400, media_type="text/html")
        if params.get("method") != "alipay.trade.wap.pay":
            return Response(content="<h1>错误 isv.invalid-method</h1>", status_code=400, media_type="text/html")
        trade, problem = register(params, "QUICK_WAP_WAY")
        if problem:
            return Response(content=f"<h1>错误 {problem}</h1>", status_code=400, media_type="text/html")
        return Response(content=f"<h1>支付宝收银台 sandbox</h1><p>{trade['out_trade_no']} ¥{fen_to_yuan(trade['total'])}</p>",
                        media_type="text/html")

    @post("/gateway.do", status_code=200)
    async def gateway_post(request: Request) -> Response:
        params = dict(request.query_params)
        form = dict(parse_qsl((await request.body()).decode("utf-8"), keep_blank_values=True))
        params.update(form)
        method = params.get("method", "")
        problem = side.verify_request(params)
        if problem:
            return failed(method or "error", "40002", "Invalid Arguments", problem, "签名或应用无效")
        try:
            biz = json.loads(params.get("biz_content") or "{}")
        except ValueError:
            return failed(method, "40002", "Invalid Arguments", "isv.invalid-parameter", "biz_content 无效")
        with state.lock:
            if method == "alipay.trade.query":
                trade = trade_of(biz)
                if trade is None:
                    return business_failed(method, "ACQ.TRADE_NOT_EXIST", "交易不存在")
                answer = {"code": "10000", "msg": "Success", "trade_no": trade["trade_no"],
                          "out_trade_no": trade["out_trade_no"], "trade_status": trade["status"],
                          "total_amount": fen_to_yuan(trade["total"]), "buyer_logon_id": "159****0000"}
                if trade.get("paid"):
                    answer["send_pay_date"] = china_text(trade["paid"])
                return signed(method, answer)
            if method == "alipay.trade.close":
                trade = trade_of(biz)
                if trade is None:
                    return business_failed(method, "ACQ.TRADE_NOT_EXIST", "交易不存在")
                if trade["status"] != "WAIT_BUYER_PAY":
                    return business_failed(method, "ACQ.TRADE_STATUS_ERROR", "交易状态不合法")
                trade["status"] = "TRADE_CLOSED"
                return signed(method, {"code": "10000", "msg": "Success", "trade_no": trade["trade_no"],
                                       "out_trade_no": trade["out_trade_no"]})
            if method == "alipay.trade.refund":
                return refund(method, biz)
            if method == "alipay.trade.fastpay.refund.query":
                item = state.refunds.get(str(biz.get("out_request_no", "")))
                if item is None or item["out_trade_no"] != biz.get("out_trade_no"):
                    return signed(method, {"code": "10000", "msg": "Success", "out_trade_no": biz.get("out_trade_no", ""),
                                           "out_request_no": biz.get("out_request_no", "")})
                trade = state.trades[item["out_trade_no"]]
                return signed(method, {"code": "10000", "msg": "Success", "trade_no": trade["trade_no"],
                                       "out_trade_no": trade["out_trade_no"], "out_request_no": item["out_request_no"],
                                       "refund_status": "REFUND_SUCCESS", "total_amount": fen_to_yuan(trade["total"]),
                                       "refund_amount": fen_to_yuan(item["amount"])})
            if method == "alipay.data.dataservice.bill.downloadurl.query":
                try:
                    day = date.fromisoformat(str(biz.get("bill_date", ""))).isoformat()
                except ValueError:
                    return business_failed(method, "isp.bill_date_invalid", "账单日期格式错误")
                token = secrets.token_urlsafe(16)
                state.bill_tokens[token] = day
                base = str(request.base_url).rstrip("/")
                prefix = request.scope["path"].rsplit("/gateway.do", 1)[0]
                return signed(method, {"code": "10000", "msg": "Success",
                                       "bill_download_url": f"{base}{prefix}/bill/{token}.zip"})
        return failed(method or "error", "40002", "Invalid Arguments", "isv.invalid-method", "不存在的方法名")

    def refund(method: str, biz: dict[str, Any]) -> Response:
        trade = trade_of(biz)
        if trade is None:
            return business_failed(method, "ACQ.TRADE_NOT_EXIST", "交易不存在")
        amount = yuan_to_fen(biz.get("refund_amount"))
        out_request_no = str(biz.get("out_request_no") or trade["out_trade_no"])
        if not amount or amount <= 0:
            return failed(method, "40002", "Invalid Arguments", "isv.invalid-parameter", "退款金额无效")
        existing = state.refunds.get(out_request_no)
        if existing is not None:  # the same request again: Alipay answers success without moving money
            return signed(method, {"code": "10000", "msg": "Success", "trade_no": trade["trade_no"],
                                   "out_trade_no": trade["out_trade_no"], "fund_change": "N",
                                   "refund_fee": fen_to_yuan(trade["refunded"])})
        if trade["status"] not in ("TRADE_SUCCESS",):
            return business_failed(method, "ACQ.TRADE_STATUS_ERROR", "交易状态不合法")
        if trade["refunded"] + amount > trade["total"]:
            return business_failed(method, "ACQ.REFUND_AMT_NOT_EQUAL_TOTAL", "退款金额超限")
        now = datetime.now(UTC)
        trade["refunded"] += amount
        if trade["refunded"] == trade["total"]:
            trade["status"] = "TRADE_CLOSED"
        state.refunds[out_request_no] = {"out_request_no": out_request_no, "out_trade_no": trade["out_trade_no"],
                                         "amount": amount, "at": now}
        queue(trade, "refund", out_request_no, {
            "trade_no": trade["trade_no"], "out_trade_no": trade["out_trade_no"], "out_biz_no": out_request_no,
            "seller_id": side.seller_id, "trade_status": trade["status"], "total_amount": fen_to_yuan(trade["total"]),
            "refund_fee": fen_to_yuan(trade["refunded"]), "gmt_refund": china_text(now),
            "gmt_payment": china_text(trade["paid"]),
        }, send=state.auto_deliver)
        return signed(method, {"code": "10000", "msg": "Success", "trade_no": trade["trade_no"],
                               "out_trade_no": trade["out_trade_no"], "fund_change": "Y",
                               "refund_fee": fen_to_yuan(trade["refunded"]), "gmt_refund_pay": china_text(now)})

    @get("/bill/{name:str}")
    async def bill(name: FromPath[str]) -> Response:
        with state.lock:
            day = state.bill_tokens.get(name.removesuffix(".zip"))
        if day is None:
            return Response(content=b"not found", status_code=404, media_type="text/plain")
        return Response(content=bill_zip(day), media_type="application/zip")

    def bill_zip(day: str) -> bytes:
        columns = ["支付宝交易号", "商户订单号", "业务类型", "商品名称", "创建时间", "完成时间", "门店编号", "门店名称",
                   "操作员", "终端号", "对方账户", "订单金额（元）", "商家实收（元）", "支付宝红包（元）", "集分宝（元）",
                   "支付宝优惠（元）", "商家优惠（元）", "券核销金额（元）", "券名称", "商家红包消费金额（元）",
                   "卡消费金额（元）", "退款批次号/请求号", "服务费（元）", "分润（元）", "备注"]
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        with state.lock:
            tamper = state.bill_tamper.get(day, {})
            amounts = tamper.get("amounts", {})
            for trade in state.trades.values():
                paid = trade.get("paid")
                if not paid or paid.astimezone(CHINA).date().isoformat() != day or trade["out_trade_no"] in tamper.get("drop", []):
                    continue
                total = amounts.get(trade["out_trade_no"], trade["total"])
                writer.writerow([trade["trade_no"], trade["out_trade_no"], "交易", trade["subject"],
                                 china_text(trade["created"]), china_text(paid), "", "", "", "", "buyer@example.com",
                                 fen_to_yuan(total), fen_to_yuan(total), "0.00", "0.00", "0.00", "0.00", "0.00", "",
                                 "0.00", "0.00", "", "0.00", "0.00", ""])
            for item in state.refunds.values():
                if item["at"].astimezone(CHINA).date().isoformat() != day or item["out_request_no"] in tamper.get("drop", []):
                    continue
                trade = state.trades[item["out_trade_no"]]
                amount = amounts.get(item["out_request_no"], item["amount"])
                writer.writerow([trade["trade_no"], trade["out_trade_no"], "退款", trade["subject"],
                                 china_text(trade["created"]), china_text(item["at"]), "", "", "", "", "buyer@example.com",
                                 fen_to_yuan(trade["total"]), fen_to_yuan(-amount), "0.00", "0.00", "0.00", "0.00",
                                 "0.00", "", "0.00", "0.00", item["out_request_no"], "0.00", "0.00", ""])
            for extra in tamper.get("add", []):
                writer.writerow([extra.get("transaction_id", "2026" + secrets.token_hex(8)), extra["order_no"], "交易",
                                 "extra", f"{day} 12:00:00", f"{day} 12:00:00", "", "", "", "", "buyer@example.com",
                                 fen_to_yuan(extra["amount_fen"]), fen_to_yuan(extra["amount_fen"]), "0.00", "0.00",
                                 "0.00", "0.00", "0.00", "", "0.00", "0.00", "", "0.00", "0.00", ""])
        text = ("#支付宝业务明细查询\n#账号：[" + side.seller_id + "0156]\n#起始日期：[" + day + " 00:00:00]\n"
                + "#-----------------------------------------业务明细列表----------------------------------------\n"
                + ",".join(columns) + "\n" + out.getvalue()
                + "#-----------------------------------------业务明细列表结束------------------------------------\n")
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr(f"{side.seller_id}_{day.replace('-', '')}_业务明细.csv", text.encode("gbk"))
        return buffer.getvalue()

    # ---- the payer's and the back office's side ------------------------------------------------------

    @post("/_dev/app-pay", status_code=200)
    async def dev_app_pay(data: JSONBody[dict[str, Any]]) -> Response:
        """The Alipay app receives the order string from the merchant app, checks it and pays."""
        params = dict(parse_qsl(str(data.get("order_string", "")), keep_blank_values=True))
        problem = side.verify_request(params)
        if problem or params.get("method") != "alipay.trade.app.pay":
            return Response(content={"error": problem or "not an app pay order string"}, status_code=400)
        trade, problem = register(params, "QUICK_MSECURITY_PAY")
        if problem:
            return Response(content={"error": problem}, status_code=400)
        entry, problem = pay(trade, bool(data.get("deliver", state.auto_deliver)))
        if problem:
            return Response(content={"error": problem}, status_code=409)
        return Response(content={"trade_no": trade["trade_no"], "notification": entry})

    @post("/_dev/pay", status_code=200)
    async def dev_pay(data: JSONBody[dict[str, Any]]) -> Response:
        """The payer confirms on the cashier page of an opened mobile-web trade."""
        with state.lock:
            trade = state.trades.get(str(data.get("out_trade_no", "")))
        if trade is None:
            return Response(content={"error": "no such trade (open the pay URL first)"}, status_code=404)
        entry, problem = pay(trade, bool(data.get("deliver", state.auto_deliver)))
        if problem:
            return Response(content={"error": problem}, status_code=409)
        return Response(content={"trade_no": trade["trade_no"], "notification": entry})

    @get("/_dev/notifications", sync_to_thread=False)
    def dev_notifications(key: FromQuery[str | None] = None) -> list[dict[str, Any]]:
        with state.lock:
            return [dict(e) for e in state.outbox if key is None or e["key"] == key]

    @post("/_dev/bill", status_code=200, sync_to_thread=False)
    def dev_bill(data: JSONBody[dict[str, Any]]) -> dict[str, Any]:
        day = str(data["day"])
        with state.lock:
            tamper = state.bill_tamper.setdefault(day, {"add": [], "drop": [], "amounts": {}})
            tamper["add"].extend(data.get("add", []))
            tamper["drop"].extend(data.get("drop", []))
            tamper["amounts"].update(data.get("amounts", {}))
            return tamper

    @post("/_dev/shift-day", status_code=200, sync_to_thread=False)
    def dev_shift(data: JSONBody[dict[str, Any]]) -> dict[str, Any]:
        moment = datetime.fromisoformat(str(data["at"]))
        with state.lock:
            if str(data["key"]) in state.trades:
                state.trades[str(data["key"])]["paid"] = moment
            elif str(data["key"]) in state.refunds:
                state.refunds[str(data["key"])]["at"] = moment
            else:
                return {"found": False}
        return {"found": True}

    @post("/_dev/config", status_code=200, sync_to_thread=False)
    def dev_config(data: JSONBody[dict[str, Any]]) -> dict[str, Any]:
        """``{"deliver": false}``: keep notifications in the outbox only (tests replay them);
        ``{"reset": true}``: forget every trade, refund, notification and bill change."""
        with state.lock:
            state.auto_deliver = bool(data.get("deliver", state.auto_deliver))
            if data.get("reset"):
                for table in (state.trades, state.refunds, state.bill_tamper, state.bill_tokens):
                    table.clear()
                state.outbox.clear()
            return {"deliver": state.auto_deliver}

    return Router(path="/alipay", route_handlers=[gateway_get, gateway_post, bill, dev_app_pay, dev_pay,
                                                  dev_notifications, dev_bill, dev_shift, dev_config])
