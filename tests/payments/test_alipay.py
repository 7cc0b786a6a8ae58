"""Alipay end to end: the real alipay-sdk-python against the sandbox gateway, through our routes."""

from __future__ import annotations

import asyncio
from urllib.parse import parse_qsl, urlencode

import httpx

from payments.config import sandbox_credentials
from payments.models import Notification, Order, Refund
from payments.sandbox.alipay import AlipaySide
from tests.payments.support import deliver, sandbox
from tests.support.auth import make_citizen, make_operator


async def _order(client, fees, citizen, ref, amount):
    fees.fees[ref] = (amount, citizen.account_id)
    r = await client.post("/payments/orders", headers={**citizen.headers, "Idempotency-Key": f"ali-{ref}-key"},
                          json={"purpose_kind": "test_fee", "purpose_ref": ref})
    assert r.status_code == 201, r.text
    return r.json()["order_no"]


async def test_app_pay_notify_refund(client, settings, fees):
    alice = await make_citizen()
    order_no = await _order(client, fees, alice, "A1", 12345)
    r = await client.post(f"/payments/orders/{order_no}/pay", headers=alice.headers,
                          json={"channel": "alipay", "method": "app"})
    assert r.status_code == 200, r.text
    order_string = r.json()["params"]["order_string"]
    params = dict(parse_qsl(order_string))
    assert params["method"] == "alipay.trade.app.pay" and params["sign_type"] == "RSA2" and params["sign"]
    assert '"total_amount":"123.45"' in params["biz_content"]

    # A tampered order string is refused by "the Alipay app" (the sandbox verifies the SDK's signature).
    forged = order_string.replace("123.45", "0.01")
    assert (await sandbox(settings, "POST", "/alipay/_dev/app-pay", json={"order_string": forged})).status_code == 400

    paid = await sandbox(settings, "POST", "/alipay/_dev/app-pay", json={"order_string": order_string})
    assert paid.status_code == 200, paid.text
    note = paid.json()["notification"]
    answers = await asyncio.gather(*(deliver(client, "alipay", note) for _ in range(3)))
    assert [a.text for a in answers] == ["success"] * 3
    order = await Order.get(order_no=order_no)
    assert order.state == "paid" and order.paid_amount_fen == 12345
    assert len(fees.paid) == 1
    assert sorted(await Notification.filter(order_no=order_no).values_list("outcome", flat=True)) == \
        ["applied", "duplicate", "duplicate"]

    operator = await make_operator()
    for key, amount, expected, state in (("ali-refund-1", 345, 12345, "partially_refunded"),
                                         ("ali-refund-2", 12000, 12000, "refunded")):
        r = await client.post(f"/payments/admin/orders/{order_no}/refunds", headers=operator.headers,
                              json={"amount_fen": amount, "expected_refundable_fen": expected, "reason": "退费",
                                    "client_key": key})
        assert r.status_code == 201, r.text
        assert r.json()["state"] == "succeeded"  # Alipay refunds synchronously
        assert (await Order.get(order_no=order_no)).state == state
    # The same refund request again returns the same refund and moves no money.
    again = await client.post(f"/payments/admin/orders/{order_no}/refunds", headers=operator.headers,
                              json={"amount_fen": 345, "expected_refundable_fen": 12345, "reason": "退费",
                                    "client_key": "ali-refund-1"})
    assert again.status_code == 201 and again.json()["amount_fen"] == 345
    assert await Refund.filter(order__order_no=order_no).count() == 2
    # Refund notifications (sent for each refund) are duplicates of what the API answered.
    for item in (await sandbox(settings, "GET", "/alipay/_dev/notifications")).json():
        if item["kind"] == "refund":
            assert (await deliver(client, "alipay", item)).text == "success"
    order = await Order.get(order_no=order_no)
    assert (order.refunded_fen, order.refund_reserved_fen) == (12345, 0)
    assert len(fees.refunded) == 2


async def test_wap_pay_through_the_browser_url(client, settings, fees):
    bob = await make_citizen()
    order_no = await _order(client, fees, bob, "W1", 990)
    r = await client.post(f"/payments/orders/{order_no}/pay", headers=bob.headers,
                          json={"channel": "alipay", "method": "wap", "return_url": "https://zhushida.example/paid"})
    assert r.status_code == 200, r.text
    url = r.json()["params"]["pay_url"]
    assert url.startswith(settings.effective_sandbox_url + "/alipay/gateway.do?")
    async with httpx.AsyncClient(timeout=10) as browser:
        page = await browser.get(url)
        assert page.status_code == 200 and order_no in page.text
        assert (await browser.get(url.replace("9.90", "0.01").replace("9.9", "0.01"))).status_code == 400
    # Before paying: the active query sees WAIT_BUYER_PAY.
    from payments import orders

    assert await orders.query_pending_orders(older_than_seconds=0) == 0
    paid = await sandbox(settings, "POST", "/alipay/_dev/pay", json={"out_trade_no": order_no})
    assert paid.status_code == 200
    # No notification arrives: the active query (主动查单) finds the payment.
    assert await orders.query_pending_orders(older_than_seconds=0) == 1
    assert (await Order.get(order_no=order_no)).state == "paid"
    assert await orders.query_pending_orders(older_than_seconds=0) == 0
    assert len(fees.paid) == 1


async def test_forged_alipay_notifications_are_refused(client, settings, fees):
    carol = await make_citizen()
    order_no = await _order(client, fees, carol, "A2", 500)
    r = await client.post(f"/payments/orders/{order_no}/pay", headers=carol.headers,
                          json={"channel": "alipay", "method": "app"})
    paid = await sandbox(settings, "POST", "/alipay/_dev/app-pay", json={"order_string": r.json()["params"]["order_string"]})
    note = paid.json()["notification"]
    params = dict(parse_qsl(note["body"]))

    tampered = urlencode({**params, "total_amount": "0.01"})
    assert (await deliver(client, "alipay", dict(note, body=tampered))).text == "fail"
    unsigned = urlencode({k: v for k, v in params.items() if k != "sign"})
    assert (await deliver(client, "alipay", dict(note, body=unsigned))).text == "fail"
    assert (await deliver(client, "alipay", dict(note, body="not a form"))).text == "fail"
    # Signed by Alipay's key, but for another app / with the wrong amount.
    side = AlipaySide.from_credentials(sandbox_credentials(settings)["alipay"])
    base = {k: v for k, v in params.items() if k not in ("sign", "sign_type", "notify_id", "notify_time")}
    other_app = side.notification({**base}).replace(f"app_id={side.app_id}", "app_id=2021000000000000")
    assert (await deliver(client, "alipay", dict(note, body=other_app))).text == "fail"
    wrong_amount = side.notification({**base, "total_amount": "4.99"})
    assert (await deliver(client, "alipay", dict(note, body=wrong_amount))).text == "fail"
    assert (await Order.get(order_no=order_no)).state == "paying" and fees.paid == []
    assert (await deliver(client, "alipay", note)).text == "success"
    assert (await Order.get(order_no=order_no)).state == "paid"
