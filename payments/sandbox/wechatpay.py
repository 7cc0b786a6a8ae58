"""WeChat Pay API v3 sandbox gateway (mounted at ``/sandbox/wechatpay``).

Plays WeChat Pay's side of the published protocol with locally generated keys:

* verifies the ``Authorization: WECHATPAY2-SHA256-RSA2048 ...`` signature of every request with the
  merchant's public key (method, path with query, timestamp, nonce, body), refusing stale
  timestamps, unknown merchants and serial numbers;
* signs every answer (``Wechatpay-Timestamp/Nonce/Signature/Serial``) with the platform key;
* JSAPI/APP prepay, query by out_trade_no, close, refund, refund query, trade bill + download;
* sends notifications (``TRANSACTION.SUCCESS``, ``REFUND.SUCCESS``) signed, with the resource
  encrypted with AES-256-GCM under the API v3 key, to the notify_url of the order.

``_dev`` endpoints play the payer and WeChat's back office: pay an order, list the notifications
sent (to replay them), and inject differences into a day's bill (reconciliation tests).
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import logging
import re
import secrets
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import requests
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from litestar import Request, Response, Router, get, post
from litestar.params import FromPath, FromQuery, JSONBody

from payments.channels.money import CHINA, fen_to_yuan, parse_rfc3339

log = logging.getLogger("zhushida.sandbox.wechatpay")

AUTH = re.compile(r'^WECHATPAY2-SHA256-RSA2048 (.+)$')
AUTH_FIELD = re.compile(r'(\w+)="([^"]*)"')
MAX_SKEW = 300


def rfc3339(moment: datetime) -> str:
    return moment.astimezone(CHINA).isoformat(timespec="seconds")


@dataclass
class WeChatPaySide:
    """WeChat Pay's keys and the merchant's public key, from the sandbox credentials."""

    mchid: str
    appids: tuple[str, ...]
    merchant_serial_no: str
    merchant_public_key: Any
    platform_private_key: Any
    platform_public_key_id: str
    apiv3_key: str

    @classmethod
    def from_credentials(cls, creds: dict[str, Any], appids: tuple[str, ...]) -> WeChatPaySide:
        return cls(
            mchid=creds["mchid"], appids=appids, merchant_serial_no=creds["merchant_serial_no"],
            merchant_public_key=serialization.load_pem_public_key(creds["merchant_public_key"].encode()),
            platform_private_key=serialization.load_pem_private_key(creds["platform_private_key"].encode(), None),
            platform_public_key_id=creds["platform_public_key_id"], apiv3_key=creds["apiv3_key"],
        )

    def sign(self, message: str) -> str:
        signature = self.platform_private_key.sign(message.encode(), padding.PKCS1v15(), hashes.SHA256())
        return base64.b64encode(signature).decode()

    def signed_headers(self, body: str) -> dict[str, str]:
        stamp, nonce = str(int(time.time())), secrets.token_hex(16)
        return {
            "Wechatpay-Timestamp": stamp, "Wechatpay-Nonce": nonce,
            "Wechatpay-Signature": self.sign(f"{stamp}\n{nonce}\n{body}\n"),
            "Wechatpay-Serial": self.platform_public_key_id,
            "Wechatpay-Signature-Type": "WECHATPAY2-SHA256-RSA2048",
        }

    def notification(self, event_type: str, summary: str, original_type: str, resource: dict[str, Any]) -> tuple[dict[str, str], str]:
        """A notification exactly as WeChat Pay sends it: signed headers and a JSON body whose
        resource is AES-256-GCM encrypted with the API v3 key."""
        nonce = secrets.token_hex(6)  # 12 characters, as WeChat uses
        associated = original_type
        ciphertext = AESGCM(self.apiv3_key.encode()).encrypt(
            nonce.encode(), json.dumps(resource, ensure_ascii=False).encode(), associated.encode()
        )
        body = json.dumps({
            "id": str(uuid.uuid4()), "create_time": rfc3339(datetime.now(UTC)), "resource_type": "encrypt-resource",
            "event_type": event_type, "summary": summary,
            "resource": {"original_type": original_type, "algorithm": "AEAD_AES_256_GCM",
                         "ciphertext": base64.b64encode(ciphertext).decode(), "associated_data": associated,
                         "nonce": nonce},
        }, ensure_ascii=False)
        headers = {"Content-Type": "application/json", **self.signed_headers(body)}
        return headers, body

    def verify_request(self, method: str, target: str, body: str, authorization: str) -> str | None:
        """None when the merchant's signature is good, else the reason."""
        match = AUTH.match(authorization or "")
        if not match:
            return "missing or unsupported Authorization"
        fields = dict(AUTH_FIELD.findall(match.group(1)))
        if fields.get("mchid") != self.mchid:
            return "unknown mchid"
        if fields.get("serial_no") != self.merchant_serial_no:
            return "unknown merchant certificate serial_no"
        try:
            if abs(time.time() - int(fields.get("timestamp", ""))) > MAX_SKEW:
                return "timestamp expired"
        except ValueError:
            return "bad timestamp"
        message = f"{method}\n{target}\n{fields['timestamp']}\n{fields.get('nonce_str', '')}\n{body}\n"
        try:
            self.merchant_public_key.verify(base64.b64decode(fields.get("signature", "")), message.encode(),
                                            padding.PKCS1v15(), hashes.SHA256())
        except (InvalidSignature, ValueError):
            return "signature does not verify"
        return None


@dataclass
class WeChatPayState:
    trades: dict[str, dict[str, Any]] = field(default_factory=dict)
    refunds: dict[str, dict[str, Any]] = field(default_factory=dict)
    outbox: list[dict[str, Any]] = field(default_factory=list)
    bill_tamper: dict[str, dict[str, Any]] = field(default_factory=dict)  # day -> changes
    bill_tokens: dict[str, bytes] = field(default_factory=dict)  # token -> bill file
    auto_deliver: bool = True
    lock: threading.RLock = field(default_factory=threading.RLock)


def deliver(entry: dict[str, Any]) -> None:
    """POST a notification to the merchant's notify_url (best effort, in a thread, like WeChat)."""

    def run() -> None:
        try:
            answer = requests.post(entry["url"], data=entry["body"].encode(), headers=entry["headers"], timeout=5)
            entry["delivered"] = answer.status_code in (200, 204)
            entry["answer"] = answer.status_code
        except requests.RequestException as exc:
            entry["answer"] = f"unreachable: {exc.__class__.__name__}"

    threading.Thread(target=run, name="wechatpay-notify", daemon=True).start()


def wechatpay_sandbox_router(side: WeChatPaySide) -> Router:
    state = WeChatPayState()

    def answer(status: int, payload: dict[str, Any] | None = None) -> Response:
        body = json.dumps(payload, ensure_ascii=False) if payload is not None else ""
        return Response(content=body.encode(), status_code=status, media_type="application/json",
                        headers=side.signed_headers(body))

    def error(status: int, code: str, message: str) -> Response:
        return answer(status, {"code": code, "message": message})

    async def authenticate(request: Request) -> tuple[str, Response | None]:
        raw = (await request.body()).decode("utf-8")
        path = request.scope["path"]
        target = path[path.index("/v3/"):]
        query = request.scope.get("query_string", b"").decode()
        if query:
            target += "?" + query
        problem = side.verify_request(request.method, target, raw, request.headers.get("authorization", ""))
        if problem:
            return raw, error(401, "SIGN_ERROR", f"签名错误: {problem}")
        return raw, None

    def trade_view(trade: dict[str, Any]) -> dict[str, Any]:
        view = {
            "appid": trade["appid"], "mchid": side.mchid, "out_trade_no": trade["out_trade_no"],
            "trade_state": trade["state"], "trade_state_desc": trade["state"],
            "amount": {"total": trade["total"], "payer_total": trade["total"] if trade.get("transaction_id") else 0,
                       "currency": "CNY", "payer_currency": "CNY"},
            "attach": trade.get("attach", ""),
        }
        if trade.get("transaction_id"):
            view.update({"transaction_id": trade["transaction_id"], "trade_type": trade["trade_type"],
                         "bank_type": "OTHERS", "success_time": rfc3339(trade["success_time"]),
                         "payer": {"openid": trade.get("openid") or "o_app_payer"}})
        return view

    def refund_view(refund: dict[str, Any]) -> dict[str, Any]:
        view = {
            "refund_id": refund["refund_id"], "out_refund_no": refund["out_refund_no"],
            "transaction_id": refund["transaction_id"], "out_trade_no": refund["out_trade_no"],
            "channel": "ORIGINAL", "user_received_account": "支付用户零钱", "status": refund["status"],
            "create_time": rfc3339(refund["created"]), "funds_account": "AVAILABLE",
            "amount": {"total": refund["total"], "refund": refund["refund"], "payer_total": refund["total"],
                       "payer_refund": refund["refund"], "settlement_refund": refund["refund"],
                       "settlement_total": refund["total"], "discount_refund": 0, "currency": "CNY"},
        }
        if refund.get("success_time"):
            view["success_time"] = rfc3339(refund["success_time"])
        return view

    def queue_notification(url: str, kind: str, key: str, headers: dict[str, str], body: str, send: bool) -> dict:
        entry = {"url": url, "kind": kind, "key": key, "headers": headers, "body": body, "delivered": False,
                 "answer": None}
        state.outbox.append(entry)
        if send and url:
            deliver(entry)
        return entry

    # ---- merchant API -------------------------------------------------------------------------

    async def prepay(request: Request, trade_type: str) -> Response:
        raw, refused = await authenticate(request)
        if refused:
            return refused
        try:
            data = json.loads(raw)
            total = data["amount"]["total"]
            out_trade_no, appid = str(data["out_trade_no"]), str(data["appid"])
            assert isinstance(total, int) and not isinstance(total, bool) and total > 0
            assert 6 <= len(out_trade_no) <= 32 and data.get("description") and data.get("notify_url")
        except (ValueError, KeyError, TypeError, AssertionError):
            return error(400, "PARAM_ERROR", "参数错误")
        if data.get("mchid") != side.mchid:
            return error(400, "MCH_NOT_EXISTS", "商户号不存在")
        if appid not in side.appids:
            return error(400, "APPID_MCHID_NOT_MATCH", "appid和mch_id不匹配")
        openid = (data.get("payer") or {}).get("openid")
        if trade_type == "JSAPI" and not openid:
            return error(400, "PARAM_ERROR", "JSAPI 下单需要 payer.openid")
        with state.lock:
            trade = state.trades.get(out_trade_no)
            if trade is not None:
                if trade["state"] == "SUCCESS" or trade["state"] == "REFUND":
                    return error(400, "ORDERPAID", "该订单已支付")
                if trade["state"] == "CLOSED":
                    return error(400, "ORDER_CLOSED", "当前订单已关闭，请重新下单")
                if (trade["total"], trade["appid"], trade["trade_type"]) != (total, appid, trade_type):
                    return error(400, "OUT_TRADE_NO_USED", "商户订单号重复")
                return answer(200, {"prepay_id": trade["prepay_id"]})
            prepay_id = "wx" + datetime.now(UTC).strftime("%d%H%M%S") + secrets.token_hex(12)
            state.trades[out_trade_no] = {
                "out_trade_no": out_trade_no, "appid": appid, "total": total, "trade_type": trade_type,
                "description": data["description"], "notify_url": data["notify_url"], "openid": openid,
                "attach": data.get("attach", ""), "state": "NOTPAY", "prepay_id": prepay_id, "refunded": 0,
                "expires": parse_rfc3339(data.get("time_expire")),
            }
        return answer(200, {"prepay_id": prepay_id})

    @post("/v3/pay/transactions/jsapi", status_code=200)
    async def jsapi(request: Request) -> Response:
        return await prepay(request, "JSAPI")

    @post("/v3/pay/transactions/app", status_code=200)
    async def app(request: Request) -> Response:
        return await prepay(request, "APP")

    @get("/v3/pay/transactions/out-trade-no/{out_trade_no:str}")
    async def query(request: Request, out_trade_no: FromPath[str]) -> Response:
        _raw, refused = await authenticate(request)
        if refused:
            return refused
        if request.query_params.get("mchid") != side.mchid:
            return error(400, "PARAM_ERROR", "mchid 不正确")
        with state.lock:
            trade = state.trades.get(out_trade_no)
            if trade is None:
                return error(404, "ORDER_NOT_EXIST", "订单不存在")
            return answer(200, trade_view(trade))

    @post("/v3/pay/transactions/out-trade-no/{out_trade_no:str}/close", status_code=200)
    async def close(request: Request, out_trade_no: FromPath[str]) -> Response:
        raw, refused = await authenticate(request)
        if refused:
            return refused
        try:
            if json.loads(raw or "{}").get("mchid") != side.mchid:
                return error(400, "PARAM_ERROR", "mchid 不正确")
        except ValueError:
            return error(400, "PARAM_ERROR", "参数错误")
        with state.lock:
            trade = state.trades.get(out_trade_no)
            if trade is None:
                return error(404, "ORDER_NOT_EXIST", "订单不存在")
            if trade["state"] in ("SUCCESS", "REFUND"):
                return error(400, "ORDERPAID", "订单已支付，不能关闭")
            trade["state"] = "CLOSED"
        return answer(204)

    @post("/v3/refund/domestic/refunds", status_code=200)
    async def refund(request: Request) -> Response:
        raw, refused = await authenticate(request)
        if refused:
            return refused
        try:
            data = json.loads(raw)
            out_refund_no = str(data["out_refund_no"])
            amount = data["amount"]
            refund_fen, total = amount["refund"], amount["total"]
            assert isinstance(refund_fen, int) and refund_fen > 0 and isinstance(total, int)
        except (ValueError, KeyError, TypeError, AssertionError):
            return error(400, "PARAM_ERROR", "参数错误")
        with state.lock:
            existing = state.refunds.get(out_refund_no)
            if existing is not None:
                return answer(200, refund_view(existing))
            trade = state.trades.get(str(data.get("out_trade_no", "")))
            if trade is None:
                return error(404, "RESOURCE_NOT_EXISTS", "订单不存在")
            if trade["state"] not in ("SUCCESS", "REFUND"):
                return error(400, "INVALID_REQUEST", "订单未支付，不能退款")
            if total != trade["total"]:
                return error(400, "PARAM_ERROR", "订单金额与原订单不一致")
            if trade["refunded"] + refund_fen > trade["total"]:
                return error(400, "INVALID_REQUEST", "申请退款金额超过订单可退金额")
            trade["refunded"] += refund_fen
            trade["state"] = "REFUND"
            now = datetime.now(UTC)
            item = {
                "refund_id": "50" + secrets.token_hex(14), "out_refund_no": out_refund_no,
                "transaction_id": trade["transaction_id"], "out_trade_no": trade["out_trade_no"],
                "refund": refund_fen, "total": total, "status": "PROCESSING", "created": now,
                "notify_url": data.get("notify_url") or trade["notify_url"], "reason": data.get("reason", ""),
            }
            state.refunds[out_refund_no] = item
        return answer(200, refund_view(item))

    @get("/v3/refund/domestic/refunds/{out_refund_no:str}")
    async def refund_query(request: Request, out_refund_no: FromPath[str]) -> Response:
        _raw, refused = await authenticate(request)
        if refused:
            return refused
        with state.lock:
            item = state.refunds.get(out_refund_no)
            if item is None:
                return error(404, "RESOURCE_NOT_EXISTS", "退款单不存在")
            return answer(200, refund_view(item))

    @get("/v3/bill/tradebill")
    async def trade_bill(request: Request) -> Response:
        _raw, refused = await authenticate(request)
        if refused:
            return refused
        day = request.query_params.get("bill_date", "")
        try:
            date.fromisoformat(day)
        except ValueError:
            return error(400, "PARAM_ERROR", "bill_date 格式错误")
        text = bill_text(day).encode()
        token = secrets.token_urlsafe(16)
        with state.lock:
            state.bill_tokens[token] = text  # the file served is exactly the one hashed
        base = str(request.base_url).rstrip("/")
        prefix = request.scope["path"][: request.scope["path"].index("/v3/")]
        return answer(200, {"hash_type": "SHA1", "hash_value": hashlib.sha1(text).hexdigest(),
                            "download_url": f"{base}{prefix}/v3/billdownload/file?token={token}"})

    @get("/v3/billdownload/file")
    async def bill_download(request: Request, token: FromQuery[str] = "") -> Response:
        _raw, refused = await authenticate(request)
        if refused:
            return refused
        with state.lock:
            text = state.bill_tokens.get(token)
        if text is None:
            return error(404, "RESOURCE_NOT_EXISTS", "账单不存在")
        return Response(content=gzip.compress(text), media_type="application/octet-stream")

    def bill_text(day: str) -> str:
        header = ("交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,"
                  "付款银行,货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,"
                  "退款类型,退款状态,商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注")
        rows: list[list[str]] = []
        with state.lock:
            tamper = state.bill_tamper.get(day, {})
            for trade in state.trades.values():
                paid = trade.get("success_time")
                if not paid or paid.astimezone(CHINA).date().isoformat() != day:
                    continue
                if trade["out_trade_no"] in tamper.get("drop", []):
                    continue
                total = tamper.get("amounts", {}).get(trade["out_trade_no"], trade["total"])
                rows.append([paid.astimezone(CHINA).strftime("%Y-%m-%d %H:%M:%S"), trade["appid"], side.mchid, "0", "",
                             trade["transaction_id"], trade["out_trade_no"], trade.get("openid") or "", trade["trade_type"],
                             "SUCCESS", "OTHERS", "CNY", fen_to_yuan(total), "0.00", "0", "0", "0.00", "0.00", "", "",
                             trade["description"], trade.get("attach", ""), "0.00000", "0.00%", fen_to_yuan(total),
                             "0.00", ""])
            for item in state.refunds.values():
                done = item.get("success_time")
                if not done or done.astimezone(CHINA).date().isoformat() != day:
                    continue
                if item["out_refund_no"] in tamper.get("drop", []):
                    continue
                trade = state.trades[item["out_trade_no"]]
                rows.append([done.astimezone(CHINA).strftime("%Y-%m-%d %H:%M:%S"), trade["appid"], side.mchid, "0", "",
                             trade["transaction_id"], trade["out_trade_no"], trade.get("openid") or "", trade["trade_type"],
                             "REFUND", "OTHERS", "CNY", "0.00", "0.00", item["refund_id"], item["out_refund_no"],
                             fen_to_yuan(tamper.get("amounts", {}).get(item["out_refund_no"], item["refund"])), "0.00",
                             "ORIGINAL", "SUCCESS", trade["description"], "", "0.00000", "0.00%",
                             fen_to_yuan(trade["total"]), fen_to_yuan(item["refund"]), ""])
            for extra in tamper.get("add", []):
                rows.append([f"{day} 12:00:00", side.appids[0], side.mchid, "0", "", extra.get("transaction_id", "4200" + secrets.token_hex(12)),
                             extra["order_no"], "", "JSAPI", "SUCCESS", "OTHERS", "CNY", fen_to_yuan(extra["amount_fen"]),
                             "0.00", "0", "0", "0.00", "0.00", "", "", "extra", "", "0.00000", "0.00%",
                             fen_to_yuan(extra["amount_fen"]), "0.00", ""])
        lines = [header] + [",".join("`" + value for value in row) for row in rows]
        lines.append("总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额")
        lines.append(f"`{len(rows)},`0.00,`0.00,`0.00,`0.00000,`0.00,`0.00")
        return "\n".join(lines) + "\n"

    # ---- the payer's and the back office's side ------------------------------------------------------

    @post("/_dev/pay", status_code=200)
    async def dev_pay(data: JSONBody[dict[str, Any]]) -> Response:
        """The payer confirms in WeChat: the trade succeeds and the notification is sent."""
        out_trade_no = str(data.get("out_trade_no", ""))
        send = bool(data.get("deliver", state.auto_deliver))
        with state.lock:
            trade = state.trades.get(out_trade_no)
            if trade is None:
                return Response(content={"error": "no such trade (prepay first)"}, status_code=404)
            if trade["state"] != "NOTPAY":
                return Response(content={"error": f"trade is {trade['state']}"}, status_code=409)
            if trade.get("expires") and trade["expires"] <= datetime.now(UTC):
                return Response(content={"error": "order expired (time_expire)"}, status_code=409)
            trade.update(state="SUCCESS", transaction_id="4200" + secrets.token_hex(12).upper()[:24],
                         success_time=datetime.now(UTC))
            headers, body = side.notification("TRANSACTION.SUCCESS", "支付成功", "transaction", trade_view(trade))
            entry = queue_notification(trade["notify_url"], "payment", out_trade_no, headers, body, send)
        return Response(content={"transaction_id": trade["transaction_id"], "notification": entry})

    @post("/_dev/settle-refund", status_code=200)
    async def dev_settle_refund(data: JSONBody[dict[str, Any]]) -> Response:
        """WeChat finishes a refund (they settle asynchronously) and notifies the merchant."""
        out_refund_no = str(data.get("out_refund_no", ""))
        send = bool(data.get("deliver", state.auto_deliver))
        status = "SUCCESS" if data.get("succeed", True) else "ABNORMAL"
        with state.lock:
            item = state.refunds.get(out_refund_no)
            if item is None:
                return Response(content={"error": "no such refund"}, status_code=404)
            if item["status"] != "PROCESSING":
                return Response(content={"error": f"refund is {item['status']}"}, status_code=409)
            item["status"] = status
            if status == "SUCCESS":
                item["success_time"] = datetime.now(UTC)
            else:
                trade = state.trades[item["out_trade_no"]]
                trade["refunded"] -= item["refund"]
            resource = {
                "mchid": side.mchid, "out_trade_no": item["out_trade_no"], "transaction_id": item["transaction_id"],
                "out_refund_no": out_refund_no, "refund_id": item["refund_id"], "refund_status": status,
                "user_received_account": "支付用户零钱",
                "amount": {"total": item["total"], "refund": item["refund"], "payer_total": item["total"],
                           "payer_refund": item["refund"]},
            }
            if item.get("success_time"):
                resource["success_time"] = rfc3339(item["success_time"])
            headers, body = side.notification(f"REFUND.{status}", "退款成功" if status == "SUCCESS" else "退款异常",
                                              "refund", resource)
            entry = queue_notification(item["notify_url"], "refund", out_refund_no, headers, body, send)
        return Response(content={"notification": entry})

    @get("/_dev/notifications", sync_to_thread=False)
    def dev_notifications(key: FromQuery[str | None] = None) -> list[dict[str, Any]]:
        with state.lock:
            return [dict(e) for e in state.outbox if key is None or e["key"] == key]

    @post("/_dev/bill", status_code=200, sync_to_thread=False)
    def dev_bill(data: JSONBody[dict[str, Any]]) -> dict[str, Any]:
        """Inject differences into a day's bill: ``add`` lines, ``drop`` order/refund numbers,
        change ``amounts`` (number → fen)."""
        day = str(data["day"])
        with state.lock:
            tamper = state.bill_tamper.setdefault(day, {"add": [], "drop": [], "amounts": {}})
            tamper["add"].extend(data.get("add", []))
            tamper["drop"].extend(data.get("drop", []))
            tamper["amounts"].update(data.get("amounts", {}))
            return tamper

    @post("/_dev/shift-day", status_code=200, sync_to_thread=False)
    def dev_shift(data: JSONBody[dict[str, Any]]) -> dict[str, Any]:
        """Move a trade's or refund's success time (bills are per day)."""
        moment = datetime.fromisoformat(str(data["at"]))
        with state.lock:
            target = state.trades.get(str(data["key"])) or state.refunds.get(str(data["key"]))
            if target is None:
                return {"found": False}
            target["success_time"] = moment
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

    return Router(
        path="/wechatpay",
        route_handlers=[jsapi, app, query, close, refund, refund_query, trade_bill, bill_download, dev_pay,
                        dev_settle_refund, dev_notifications, dev_bill, dev_shift, dev_config],
    )
