"""WeChat Pay end to end: the real wechatpayv3 SDK against the sandbox gateway, through our routes."""

from __future__ import annotations

import asyncio
import base64
import json

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

from payments.config import sandbox_credentials
from payments.models import Notification, Order, OrderEvent
from payments.sandbox.wechatpay import WeChatPaySide
from tests.payments.support import deliver, sandbox
from tests.support.auth import make_citizen, make_operator


async def _paid_order(client, settings, fees, citizen, ref="F1", amount=2500, method="jsapi"):
    fees.fees[ref] = (amount, citizen.account_id)
    r = await client.post("/payments/orders", headers=citizen.headers,
                          json={"purpose_kind": "test_fee", "purpose_ref": ref, "client_key": f"key-{ref}-0001"})
    assert r.status_code == 201, r.text
    order_no = r.json()["order_no"]
    r = await client.post(f"/payments/orders/{order_no}/pay", headers=citizen.headers,
                          json={"channel": "wechatpay", "method": method, "openid": "o_test_openid_1"})
    assert r.status_code == 200, r.text
    paid = await sandbox(settings, "POST", "/wechatpay/_dev/pay", json={"out_trade_no": order_no})
    assert paid.status_code == 200, paid.text
    return order_no, r.json(), paid.json()["notification"]


async def test_jsapi_pay_notify_once_then_refund(client, settings, fees):
    alice = await make_citizen()
    order_no, pay, note = await _paid_order(client, settings, fees, alice)

    # Exactly the parameters wx.requestPayment takes, signed with the merchant key over
    # appId\ntimeStamp\nnonceStr\npackage\n.
    params = pay["params"]
    assert set(params) == {"timeStamp", "nonceStr", "package", "signType", "paySign"}
    assert params["signType"] == "RSA" and params["package"].startswith("prepay_id=wx")
    creds = sandbox_credentials(settings)["wechat"]
    merchant_public = serialization.load_pem_public_key(creds["merchant_public_key"].encode())
    message = f"{settings.wechat_appid}\n{params['timeStamp']}\n{params['nonceStr']}\n{params['package']}\n"
    merchant_public.verify(base64.b64decode(params["paySign"]), message.encode(), padding.PKCS1v15(), hashes.SHA256())
    assert pay["order"]["state"] == "paying"

    # The notification (signed headers, AES-256-GCM resource), delivered three times, twice concurrently.
    answers = await asyncio.gather(deliver(client, "wechatpay", note), deliver(client, "wechatpay", note))
    answers.append(await deliver(client, "wechatpay", note))
    assert [a.status_code for a in answers] == [200, 200, 200]
    assert all(a.json()["code"] == "SUCCESS" for a in answers)
    order = await Order.get(order_no=order_no)
    assert order.state == "paid" and order.paid_amount_fen == 2500 and order.transaction_id.startswith("4200")
    assert order.fulfilled_at is not None
    assert len(fees.paid) == 1 and fees.paid[0].order_no == order_no
    assert await OrderEvent.filter(order_id=order.id, to_state="paid").count() == 1
    outcomes = sorted(await Notification.filter(order_no=order_no).values_list("outcome", flat=True))
    assert outcomes == ["applied", "duplicate", "duplicate"]
    raw = await Notification.filter(order_no=order_no).first()
    assert json.loads(raw.body)["resource"]["algorithm"] == "AEAD_AES_256_GCM"

    r = await client.get(f"/payments/orders/{order_no}", headers=alice.headers)
    assert r.json()["state"] == "paid" and r.json()["refundable_fen"] == 2500

    # Partial refund then the rest, by an operator; WeChat settles each asynchronously.
    operator = await make_operator()
    r = await client.post(f"/payments/admin/orders/{order_no}/refunds", headers=operator.headers,
                          json={"amount_fen": 1000, "expected_refundable_fen": 2500, "reason": "部分退费",
                                "client_key": "refund-key-0001"})
    assert r.status_code == 201, r.text
    first = r.json()
    assert first["state"] == "processing"
    settle = await sandbox(settings, "POST", "/wechatpay/_dev/settle-refund", json={"out_refund_no": first["refund_no"]})
    refund_note = settle.json()["notification"]
    for _ in range(2):
        assert (await deliver(client, "wechatpay", refund_note)).status_code == 200
    order = await Order.get(order_no=order_no)
    assert (order.state, order.refunded_fen, order.refund_reserved_fen) == ("partially_refunded", 1000, 0)
    assert len(fees.refunded) == 1

    # A stale view of what is refundable is refused; the right one passes.
    stale = await client.post(f"/payments/admin/orders/{order_no}/refunds", headers=operator.headers,
                              json={"amount_fen": 1500, "expected_refundable_fen": 2500, "reason": "余款",
                                    "client_key": "refund-key-0002"})
    assert stale.status_code == 409 and stale.json()["code"] == "payments.refundable_changed"
    too_much = await client.post(f"/payments/admin/orders/{order_no}/refunds", headers=operator.headers,
                                 json={"amount_fen": 1600, "expected_refundable_fen": 1500, "reason": "余款",
                                       "client_key": "refund-key-0003"})
    assert too_much.status_code == 409 and too_much.json()["code"] == "payments.refund_exceeds_refundable"
    r = await client.post(f"/payments/admin/orders/{order_no}/refunds", headers=operator.headers,
                          json={"amount_fen": 1500, "expected_refundable_fen": 1500, "reason": "余款",
                                "client_key": "refund-key-0004"})
    assert r.status_code == 201, r.text
    # The refund query (periodic) settles it without a notification.
    await sandbox(settings, "POST", "/wechatpay/_dev/settle-refund", json={"out_refund_no": r.json()["refund_no"]})
    from payments import refunds

    assert await refunds.query_processing_refunds(older_than_seconds=0) == 1
    order = await Order.get(order_no=order_no)
    assert (order.state, order.refunded_fen) == ("refunded", 2500)
    assert len(fees.refunded) == 2


async def test_app_pay_parameters_are_signed(client, settings, fees):
    bob = await make_citizen()
    order_no, pay, note = await _paid_order(client, settings, fees, bob, ref="APP1", amount=100, method="app")
    params = pay["params"]
    assert set(params) == {"appid", "partnerid", "prepayid", "package", "noncestr", "timestamp", "sign"}
    assert params["package"] == "Sign=WXPay"
    creds = sandbox_credentials(settings)["wechat"]
    key = serialization.load_pem_public_key(creds["merchant_public_key"].encode())
    message = f"{params['appid']}\n{params['timestamp']}\n{params['noncestr']}\n{params['prepayid']}\n"
    key.verify(base64.b64decode(params["sign"]), message.encode(), padding.PKCS1v15(), hashes.SHA256())
    assert (await deliver(client, "wechatpay", note)).status_code == 200
    assert (await Order.get(order_no=order_no)).state == "paid"


async def test_forged_and_mismatched_notifications_are_refused(client, settings, fees):
    carol = await make_citizen()
    order_no, _pay, note = await _paid_order(client, settings, fees, carol, ref="F2", amount=800)

    # Tampered body: the signature no longer matches.
    tampered = dict(note, body=note["body"].replace('"TRANSACTION.SUCCESS"', '"TRANSACTION.SUCCESS" '))
    r = await deliver(client, "wechatpay", tampered)
    assert r.status_code == 400 and r.json()["code"] == "FAIL"
    # Tampered signature.
    headers = dict(note["headers"], **{"Wechatpay-Signature": base64.b64encode(b"x" * 256).decode()})
    assert (await deliver(client, "wechatpay", dict(note, headers=headers))).status_code == 400
    # Correctly signed by WeChat's key but for the wrong amount / another merchant.
    creds = sandbox_credentials(settings)["wechat"]
    side = WeChatPaySide.from_credentials(creds, (settings.wechat_appid,))
    resource = {"appid": settings.wechat_appid, "mchid": creds["mchid"], "out_trade_no": order_no,
                "transaction_id": "4200000000000000000000000001", "trade_state": "SUCCESS",
                "success_time": "2026-11-23T10:00:00+08:00", "amount": {"total": 1, "currency": "CNY"}}
    for changed in ({}, {"mchid": "1900000000"}, {"appid": "wx_other"}):
        headers, body = side.notification("TRANSACTION.SUCCESS", "支付成功", "transaction", {**resource, **changed})
        r = await deliver(client, "wechatpay", {"headers": headers, "body": body})
        assert r.status_code == 400, r.text
    # Unknown order.
    headers, body = side.notification("TRANSACTION.SUCCESS", "支付成功", "transaction",
                                      {**resource, "out_trade_no": "ZS00000000000000000000000000"[:26],
                                       "amount": {"total": 800}})
    assert (await deliver(client, "wechatpay", {"headers": headers, "body": body})).status_code == 400

    order = await Order.get(order_no=order_no)
    assert order.state == "paying" and fees.paid == []
    outcomes = await Notification.all().values_list("outcome", flat=True)
    assert sorted(outcomes) == sorted(["rejected"] * 4 + ["amount_mismatch", "unknown_order"])
    # Operators see what was refused, raw.
    operator = await make_operator()
    refused = (await client.get("/payments/admin/notifications", headers=operator.headers,
                                params={"verified": "false"})).json()
    assert len(refused) == 4 and all(n["outcome"] == "rejected" and n["body"] for n in refused)
    assert (await client.get("/payments/admin/notifications", headers=carol.headers)).status_code == 403
    # The genuine one still goes through afterwards.
    assert (await deliver(client, "wechatpay", note)).status_code == 200
    assert (await Order.get(order_no=order_no)).state == "paid"


async def test_sandbox_posts_notifications_to_the_notify_url_over_http(client, settings, fees):
    """The sandbox delivers by HTTP POST to the notify_url the SDK sent; what arrives verifies."""
    import dataclasses
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from payments.channels.wechatpay import WeChatPayChannel
    from payments.config import wechat_credentials
    from payments.contract import PayerContext
    from payments.orders import get_order_info

    received: list[tuple[dict, bytes]] = []

    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - http.server's naming
            received.append((dict(self.headers), self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        dave = await make_citizen()
        fees.fees["H1"] = (321, dave.account_id)
        r = await client.post("/payments/orders", headers=dave.headers,
                              json={"purpose_kind": "test_fee", "purpose_ref": "H1", "client_key": "http-key-0001"})
        order_no = r.json()["order_no"]
        # The same merchant registers this receiver as the trade's notify_url (the first prepay
        # of a trade fixes it at WeChat); then the citizen pays through our route as usual.
        url = f"http://127.0.0.1:{server.server_address[1]}/payments/notify/wechatpay"
        channel = WeChatPayChannel(dataclasses.replace(wechat_credentials(settings), notify_url=url))
        await channel.prepay(await get_order_info(order_no), "jsapi", PayerContext(account_id=dave.account_id,
                                                                                   openid="o_h"))
        assert (await client.post(f"/payments/orders/{order_no}/pay", headers=dave.headers,
                                  json={"channel": "wechatpay", "method": "jsapi", "openid": "o_h"})).status_code == 200
        r = await sandbox(settings, "POST", "/wechatpay/_dev/pay", json={"out_trade_no": order_no, "deliver": True})
        assert r.status_code == 200
        for _ in range(100):
            if received:
                break
            await asyncio.sleep(0.05)
        headers, body = received[0]
        answer = await client.post("/payments/notify/wechatpay", content=body, headers=headers)
        assert answer.status_code == 200 and (await Order.get(order_no=order_no)).state == "paid"
    finally:
        server.shutdown()


async def test_a_refund_wechat_cannot_complete_fails_and_releases_its_reservation(client, settings, fees):
    erin = await make_citizen()
    order_no, _pay, note = await _paid_order(client, settings, fees, erin, ref="AB1", amount=900)
    assert (await deliver(client, "wechatpay", note)).status_code == 200
    refund = await api_refund(order_no, 900, 900, "refund-key-ab1")
    assert refund.state == "processing"
    assert (await Order.get(order_no=order_no)).refund_reserved_fen == 900
    settle = await sandbox(settings, "POST", "/wechatpay/_dev/settle-refund",
                           json={"out_refund_no": refund.refund_no, "succeed": False})
    assert (await deliver(client, "wechatpay", settle.json()["notification"])).status_code == 200
    order = await Order.get(order_no=order_no)
    assert (order.state, order.refunded_fen, order.refund_reserved_fen) == ("paid", 0, 0)
    from payments.models import Refund

    assert (await Refund.get(refund_no=refund.refund_no)).state == "failed"
    assert fees.refunded == []
    # The money can be refunded again.
    assert (await api_refund(order_no, 900, 900, "refund-key-ab2")).state == "processing"


async def api_refund(order_no: str, amount: int, expected: int, key: str):
    from payments import api

    return await api.refund(order_no, amount, expected_refundable_fen=expected, reason="退费", client_key=key)
