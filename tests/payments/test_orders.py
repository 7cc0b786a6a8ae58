"""Orders: idempotent creation, one live order per purpose (a database constraint), bad input,
authorisation, expiry and cancel, racing refunds."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from tortoise.exceptions import IntegrityError

from core.errors import AppError
from payments import api, orders
from payments.contract import PayerContext
from payments.models import Order, OrderEvent, Refund
from tests.payments.support import deliver, sandbox
from tests.support.auth import make_citizen, make_operator, make_staff


async def test_create_is_idempotent_by_client_key(fees):
    fees.fees["R1"] = (300, 11)
    fees.fees["R2"] = (400, 11)
    first = await api.create_order("test_fee", "R1", payer_account_id=11, client_key="client-key-1")
    again = await api.create_order("test_fee", "R1", payer_account_id=11, client_key="client-key-1")
    assert again.order_no == first.order_no and first.amount_fen == 300 and first.state == "created"
    with pytest.raises(AppError) as err:
        await api.create_order("test_fee", "R2", payer_account_id=11, client_key="client-key-1")
    assert err.value.status == 409 and err.value.code == "payments.idempotency_conflict"
    # Another key for the same purpose hands back the open order instead of a second one.
    other = await api.create_order("test_fee", "R1", payer_account_id=11, client_key="client-key-2")
    assert other.order_no == first.order_no
    assert await Order.filter(purpose_kind="test_fee", purpose_ref="R1").count() == 1
    # Concurrent creation with one key: one order.
    results = await asyncio.gather(*(api.create_order("test_fee", "R2", payer_account_id=11, client_key="client-key-3")
                                     for _ in range(5)))
    assert len({r.order_no for r in results}) == 1


async def test_one_live_order_per_purpose_is_a_database_constraint(fees):
    fees.fees["R1"] = (300, 11)
    order = await api.create_order("test_fee", "R1", payer_account_id=11, client_key="client-key-1")
    row = await Order.get(order_no=order.order_no)
    with pytest.raises(IntegrityError):
        await Order.create(order_no="ZS-second-order-000000001", payer_account_id=11, client_key="client-key-9",
                           request_hash="x", purpose_kind="test_fee", purpose_ref="R1", live_slot=1, subject="x",
                           amount_fen=300, expires_at=row.expires_at)


async def test_bad_input_is_refused_and_changes_nothing(fees):
    fees.fees["ZERO"] = (0, 11)
    fees.fees["NEG"] = (-5, 11)
    fees.fees["OTHER"] = (100, 99)
    cases = [
        (("test_fee", "ZERO", 11, "client-key-1"), "payments.invalid_amount"),
        (("test_fee", "NEG", 11, "client-key-2"), "payments.invalid_amount"),
        (("test_fee", "OTHER", 11, "client-key-3"), "payments.not_payer"),
        (("no_such_kind", "X", 11, "client-key-4"), "payments.unknown_purpose"),
        (("test_fee", "MISSING", 11, "client-key-5"), "test_fee.not_found"),
        (("test_fee", "ZERO", 11, "short"), "payments.invalid_client_key"),
    ]
    for (kind, ref, payer, key), code in cases:
        with pytest.raises(AppError) as err:
            await api.create_order(kind, ref, payer_account_id=payer, client_key=key)
        assert err.value.code == code and 400 <= err.value.status < 500
    assert await Order.all().count() == 0


async def test_refuses_paying_a_closed_or_paid_order_and_overpaying(fees, settings):
    fees.fees["R1"] = (700, 11)
    order = await api.create_order("test_fee", "R1", payer_account_id=11, client_key="client-key-1")
    payer = PayerContext(account_id=11, openid="o_openid")
    with pytest.raises(AppError) as err:
        await api.pay(order.order_no, "wechatpay", "jsapi", PayerContext(account_id=12, openid="o"))
    assert err.value.code == "payments.order_not_found"
    with pytest.raises(AppError) as err:
        await api.pay(order.order_no, "nowhere", "jsapi", payer)
    assert err.value.code == "payments.unknown_channel"
    with pytest.raises(AppError) as err:
        await api.pay(order.order_no, "wechatpay", "jsapi", PayerContext(account_id=11))
    assert err.value.code == "payments.openid_required"
    await api.pay(order.order_no, "wechatpay", "jsapi", payer)
    with pytest.raises(AppError) as err:
        await api.pay(order.order_no, "alipay", "app", payer)
    assert err.value.code == "payments.channel_locked"
    closed = await api.cancel_order(order.order_no)
    assert closed.state == "closed"
    with pytest.raises(AppError) as err:
        await api.pay(order.order_no, "wechatpay", "jsapi", payer)
    assert err.value.code == "payments.order_not_payable"
    # The provider closed the trade too: the payer cannot pay it there any more.
    assert (await sandbox(settings, "POST", "/wechatpay/_dev/pay", json={"out_trade_no": order.order_no})).status_code == 409
    # A closed order frees the purpose: a new order may be made.
    new = await api.create_order("test_fee", "R1", payer_account_id=11, client_key="client-key-2")
    assert new.order_no != order.order_no
    with pytest.raises(AppError) as err:
        await api.refund(order.order_no, 100, expected_refundable_fen=0, reason="x", client_key="refund-key-1")
    assert err.value.code == "payments.not_refundable"
    with pytest.raises(AppError) as err:
        await api.refund("ZS-unknown", 100, expected_refundable_fen=0, reason="x", client_key="refund-key-1")
    assert err.value.code == "payments.order_not_found"


async def test_expired_orders_are_closed_unless_paid_meanwhile(client, fees, settings):
    fees.fees["E1"] = (100, 11)
    fees.fees["E2"] = (200, 11)
    payer = PayerContext(account_id=11, openid="o_openid")
    one = await api.create_order("test_fee", "E1", payer_account_id=11, client_key="client-key-1")
    two = await api.create_order("test_fee", "E2", payer_account_id=11, client_key="client-key-2")
    await api.pay(one.order_no, "wechatpay", "jsapi", payer)
    await api.pay(two.order_no, "wechatpay", "jsapi", payer)
    # The payer paid the second one but the notification never came.
    await sandbox(settings, "POST", "/wechatpay/_dev/pay", json={"out_trade_no": two.order_no})
    past = orders.utcnow() - timedelta(minutes=1)
    await Order.filter(order_no__in=[one.order_no, two.order_no]).update(expires_at=past)
    assert await orders.close_expired_orders() == 1
    assert (await Order.get(order_no=one.order_no)).state == "closed"
    assert (await Order.get(order_no=two.order_no)).state == "paid"
    assert [o.order_no for o in fees.paid] == [two.order_no]
    # The closed order's late notification (impossible at the provider, forged or not) changes nothing.
    notes = (await sandbox(settings, "GET", "/wechatpay/_dev/notifications", params={"key": two.order_no})).json()
    assert (await deliver(client, "wechatpay", notes[0])).status_code == 200
    assert await OrderEvent.filter(order__order_no=two.order_no, to_state="paid").count() == 1


async def test_failing_purpose_is_retried_without_losing_the_payment(client, fees, settings):
    fees.fees["P1"] = (100, 11)
    fees.fail_on_paid = True
    order = await api.create_order("test_fee", "P1", payer_account_id=11, client_key="client-key-1")
    await api.pay(order.order_no, "wechatpay", "jsapi", PayerContext(account_id=11, openid="o_x"))
    note = (await sandbox(settings, "POST", "/wechatpay/_dev/pay", json={"out_trade_no": order.order_no})).json()
    assert (await deliver(client, "wechatpay", note["notification"])).status_code == 200
    row = await Order.get(order_no=order.order_no)
    assert row.state == "paid" and row.fulfilled_at is None and row.fulfil_attempts == 1
    fees.fail_on_paid = False
    assert await orders.retry_fulfilments() == 1
    assert await orders.retry_fulfilments() == 0
    assert len(fees.paid) == 1 and (await Order.get(order_no=order.order_no)).fulfilled_at is not None


async def test_racing_refunds_cannot_both_pass(client, fees, settings):
    fees.fees["RR"] = (1000, 11)
    order = await api.create_order("test_fee", "RR", payer_account_id=11, client_key="client-key-1")
    # Pay through the sandbox Alipay app: the order string must come from our prepay.
    prepay = await api.pay(order.order_no, "alipay", "app", PayerContext(account_id=11))
    paid = await sandbox(settings, "POST", "/alipay/_dev/app-pay", json={"order_string": prepay.client_params["order_string"]})
    assert (await deliver(client, "alipay", paid.json()["notification"])).text == "success"

    async def attempt(i: int):
        try:
            return await api.refund(order.order_no, 700, expected_refundable_fen=1000, reason="并发",
                                    client_key=f"race-key-{i:04d}")
        except AppError as exc:
            return exc.code

    results = await asyncio.gather(*(attempt(i) for i in range(6)))
    passed = [r for r in results if not isinstance(r, str)]
    assert len(passed) == 1, results
    assert set(r for r in results if isinstance(r, str)) == {"payments.refundable_changed"}
    row = await Order.get(order_no=order.order_no)
    assert (row.refunded_fen, row.refund_reserved_fen, row.state) == (700, 0, "partially_refunded")
    assert await Refund.filter(order_id=row.id).count() == 1


async def test_citizens_see_only_their_own_orders_and_operators_guard(client, fees):
    alice, mallory = await make_citizen(), await make_citizen()
    fees.fees["O1"] = (100, alice.account_id)
    r = await client.post("/payments/orders", headers=alice.headers,
                          json={"purpose_kind": "test_fee", "purpose_ref": "O1", "client_key": "client-key-1"})
    assert r.status_code == 201
    order_no = r.json()["order_no"]
    # Mallory cannot create Alice's order, see it, pay it or cancel it.
    r = await client.post("/payments/orders", headers=mallory.headers,
                          json={"purpose_kind": "test_fee", "purpose_ref": "O1", "client_key": "client-key-2"})
    assert r.status_code == 403 and r.json()["code"] == "payments.not_payer"
    for method, path, body in (("GET", f"/payments/orders/{order_no}", None),
                               ("POST", f"/payments/orders/{order_no}/pay", {"channel": "alipay", "method": "app"}),
                               ("POST", f"/payments/orders/{order_no}/cancel", {})):
        r = await client.request(method, path, headers=mallory.headers, json=body)
        assert r.status_code == 404, (path, r.text)
    assert (await client.get("/payments/orders", headers=mallory.headers)).json() == []
    assert [o["order_no"] for o in (await client.get("/payments/orders", headers=alice.headers)).json()] == [order_no]
    # Anonymous, citizens and staff are kept out of operator routes.
    assert (await client.get("/payments/admin/orders")).status_code == 401
    assert (await client.get("/payments/admin/orders", headers=alice.headers)).status_code == 403
    staff = await make_staff()
    assert (await client.get("/payments/admin/orders", headers=staff.headers)).status_code == 403
    operator = await make_operator()
    r = await client.get(f"/payments/admin/orders/{order_no}", headers=operator.headers)
    assert r.status_code == 200 and [e["to"] for e in r.json()["events"]] == ["created"]
    # Bad bodies are 4xx with stable codes.
    for body, code in (({"purpose_kind": ["x"], "purpose_ref": "O1", "client_key": "client-key-3"}, "request.invalid"),
                       ({"purpose_kind": "test_fee", "client_key": "client-key-3"}, "request.invalid"),
                       ({"purpose_kind": "test_fee", "purpose_ref": "O1"}, "payments.invalid_client_key"),
                       ({"purpose_kind": "fee", "purpose_ref": "O1", "client_key": "client-key-3"},
                        "payments.unknown_purpose")):
        r = await client.post("/payments/orders", headers=alice.headers, json=body)
        assert r.status_code == 400 and r.json()["code"] == code, r.text
    r = await client.post(f"/payments/admin/orders/{order_no}/refunds", headers=operator.headers,
                          json={"amount_fen": "100", "expected_refundable_fen": 100, "reason": "x", "client_key": "k" * 8})
    assert r.status_code == 400
    r = await client.post(f"/payments/admin/orders/{order_no}/refunds", headers=operator.headers,
                          json={"amount_fen": -1, "expected_refundable_fen": 100, "reason": "x", "client_key": "k" * 8})
    assert r.status_code == 400 and r.json()["code"] == "payments.invalid_amount"
    assert (await client.post("/payments/notify/nowhere", content=b"x")).status_code == 404


async def test_a_trade_the_provider_refuses_fails_the_order_and_frees_the_purpose(fees, settings):
    import dataclasses

    from payments.channels.wechatpay import WeChatPayChannel
    from payments.config import wechat_credentials

    fees.fees["F1"] = (500, 11)
    order = await api.create_order("test_fee", "F1", payer_account_id=11, client_key="client-key-1")
    # The merchant number is already used at WeChat for another amount (e.g. a restored backup).
    other = dataclasses.replace(order, amount_fen=499)
    await WeChatPayChannel(wechat_credentials(settings)).prepay(other, "jsapi", PayerContext(account_id=11, openid="o"))
    with pytest.raises(AppError) as err:
        await api.pay(order.order_no, "wechatpay", "jsapi", PayerContext(account_id=11, openid="o"))
    assert err.value.code == "payments.provider_refused" and err.value.details["code"] == "OUT_TRADE_NO_USED"
    row = await Order.get(order_no=order.order_no)
    assert (row.state, row.live_slot) == ("failed", None)
    assert [e.to_state for e in await OrderEvent.filter(order_id=row.id).order_by("id")] == ["created", "paying", "failed"]
    again = await api.create_order("test_fee", "F1", payer_account_id=11, client_key="client-key-2")
    assert again.order_no != order.order_no and again.state == "created"


async def test_a_relative_acting_for_the_payer_pays_and_cancels_but_refunds_are_operators(client, fees, settings):
    from tests.support.auth import grant_proxy

    parent, child = await make_citizen(), await make_citizen()
    proxy = await grant_proxy(parent, child)
    fees.fees["PX"] = (600, parent.account_id)
    r = await client.post("/payments/orders", headers=proxy.headers,
                          json={"purpose_kind": "test_fee", "purpose_ref": "PX", "client_key": "proxy-key-01"})
    assert r.status_code == 201, r.text
    order_no = r.json()["order_no"]
    assert (await Order.get(order_no=order_no)).payer_account_id == parent.account_id
    # The parent sees it as their own; the child, acting only for themself, does not.
    assert (await client.get(f"/payments/orders/{order_no}", headers=parent.headers)).status_code == 200
    assert (await client.get(f"/payments/orders/{order_no}", headers=child.headers)).status_code == 404
    r = await client.post(f"/payments/orders/{order_no}/cancel", headers=proxy.headers)
    assert r.status_code == 200 and r.json()["state"] == "closed"
    assert (await client.post(f"/payments/admin/orders/{order_no}/refunds", headers=proxy.headers,
                              json={})).status_code == 403


async def test_paid_orders_cannot_be_cancelled_and_expired_trades_cannot_be_paid(client, fees, settings):
    import dataclasses

    from payments.channels.wechatpay import WeChatPayChannel
    from payments.config import wechat_credentials

    alice = await make_citizen()
    fees.fees["C1"] = (100, alice.account_id)
    order = await api.create_order("test_fee", "C1", payer_account_id=alice.account_id, client_key="cancel-key-01")
    await api.pay(order.order_no, "wechatpay", "jsapi", PayerContext(account_id=alice.account_id, openid="o_c"))
    note = (await sandbox(settings, "POST", "/wechatpay/_dev/pay", json={"out_trade_no": order.order_no})).json()
    await deliver(client, "wechatpay", note["notification"])
    r = await client.post(f"/payments/orders/{order.order_no}/cancel", headers=alice.headers)
    assert r.status_code == 409 and r.json()["code"] == "payments.order_not_cancellable"
    assert (await Order.get(order_no=order.order_no)).state == "paid"
    # time_expire is sent to the provider: past it, the payer cannot pay the trade there.
    stale = dataclasses.replace(await api.get_order(order.order_no), order_no="ZSEXPIRED00000000001",
                                expires_at=orders.utcnow() - timedelta(seconds=1))
    await WeChatPayChannel(wechat_credentials(settings)).prepay(stale, "jsapi", PayerContext(account_id=1, openid="o"))
    r = await sandbox(settings, "POST", "/wechatpay/_dev/pay", json={"out_trade_no": stale.order_no})
    assert r.status_code == 409 and "expired" in r.json()["error"]
