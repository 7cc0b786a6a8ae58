"""The card on the payment platform: top-up through WeChat Pay (real SDK against the sandbox
gateway), fees paid with the card wallet channel, refunds both ways, the wallet's daily bill."""

from __future__ import annotations

import httpx
import pytest

from citizen_card.ledger import local_today
from citizen_card.payment_hooks import CardWalletChannel
from tests.citizen_card import fee_purpose
from tests.citizen_card.helpers import assert_refused, balance, fund
from tests.support.auth import make_citizen, make_operator


async def _sandbox(settings, method: str, path: str, **kwargs) -> httpx.Response:
    async with httpx.AsyncClient(base_url=settings.effective_sandbox_url, timeout=15) as http:
        return await http.request(method, path, **kwargs)


@pytest.fixture
async def payments_ready(app, host, settings):
    fee_purpose.register(host)
    # The sandbox hands us the signed notification instead of calling back by itself.
    assert (await _sandbox(settings, "POST", "/wechatpay/_dev/config", json={"deliver": False})).status_code == 200
    yield
    fee_purpose.FEES.clear()


async def _topup_via_wechat(client, settings, holder, amount: int, nonce: str) -> str:
    r = await client.post("/payments/orders", headers=holder.headers, json={
        "purpose_kind": "card_topup", "purpose_ref": f"{amount}-{nonce}", "client_key": f"topup-{nonce}"})
    assert r.status_code == 201, r.text
    order_no = r.json()["order_no"]
    r = await client.post(f"/payments/orders/{order_no}/pay", headers=holder.headers,
                          json={"channel": "wechatpay", "method": "jsapi", "openid": "o_card_test_openid"})
    assert r.status_code == 200, r.text
    paid = await _sandbox(settings, "POST", "/wechatpay/_dev/pay", json={"out_trade_no": order_no})
    assert paid.status_code == 200, paid.text
    note = paid.json()["notification"]
    for _ in range(2):  # delivered twice: credited once
        answer = await client.post("/payments/notify/wechatpay", content=note["body"].encode(), headers=note["headers"])
        assert answer.status_code == 200, answer.text
    return order_no


async def test_top_up_through_wechat_pay_sandbox(client, settings, payments_ready, card_holder):
    order_no = await _topup_via_wechat(client, settings, card_holder, 5_000, "nonce0001")
    assert await balance(card_holder.account_id) == 5_000
    order = (await client.get(f"/payments/orders/{order_no}", headers=card_holder.headers)).json()
    assert order["state"] == "paid"
    lines = (await client.get("/card/transactions", headers=card_holder.headers)).json()["items"]
    assert [(line["kind"], line["amount"]) for line in lines] == [("topup", 5_000)]


async def test_top_up_refused_for_bad_refs_and_wallet_channel(client, payments_ready, card_holder):
    for ref in ("abc", "0-nonce0001", "100", "100-short", "9999999-nonce0001"):
        r = await client.post("/payments/orders", headers=card_holder.headers,
                              json={"purpose_kind": "card_topup", "purpose_ref": ref, "client_key": f"k-{ref}-0001"})
        assert r.status_code in (400, 422), (ref, r.text)
    r = await client.post("/payments/orders", headers=card_holder.headers,
                          json={"purpose_kind": "card_topup", "purpose_ref": "100-nonce0002", "client_key": "k-wallet-0001"})
    order_no = r.json()["order_no"]
    r = await client.post(f"/payments/orders/{order_no}/pay", headers=card_holder.headers,
                          json={"channel": "card_wallet", "method": "wallet"})
    assert r.status_code >= 400 and r.json()["code"] == "payments.channel_not_allowed"
    nobody = await make_citizen(level=2)
    r = await client.post("/payments/orders", headers=nobody.headers,
                          json={"purpose_kind": "card_topup", "purpose_ref": "100-nonce0003", "client_key": "k-nocard-0001"})
    assert_refused(r, 404, "card.not_found")


async def test_fee_paid_with_card_wallet_then_refunded(client, payments_ready, card_holder):
    await fund(card_holder.account_id, 3_000)
    fee_purpose.FEES["F-1"] = (1_800, card_holder.account_id)
    r = await client.post("/payments/orders", headers=card_holder.headers,
                          json={"purpose_kind": "card_test_fee", "purpose_ref": "F-1", "client_key": "fee-key-0001"})
    order_no = r.json()["order_no"]
    r = await client.post(f"/payments/orders/{order_no}/pay", headers=card_holder.headers,
                          json={"channel": "card_wallet", "method": "wallet"})
    assert r.status_code == 200, r.text
    order = (await client.get(f"/payments/orders/{order_no}", headers=card_holder.headers)).json()
    assert order["state"] == "paid" and len(fee_purpose.PAID) == 1
    assert await balance(card_holder.account_id) == 1_200

    operator = await make_operator()
    r = await client.post(f"/payments/admin/orders/{order_no}/refunds", headers=operator.headers,
                          json={"amount_fen": 800, "expected_refundable_fen": 1_800, "reason": "多收",
                                "client_key": "fee-refund-0001"})
    assert r.status_code == 201, r.text
    assert r.json()["state"] == "succeeded"
    assert await balance(card_holder.account_id) == 2_000

    bill = await CardWalletChannel().download_bill(local_today())
    assert [(line.kind, line.order_no, line.amount_fen) for line in bill] == [("payment", order_no, 1_800), ("refund", order_no, 800)]


async def test_wallet_payment_refused_leaves_money_alone(client, payments_ready, card_holder):
    await fund(card_holder.account_id, 500)
    fee_purpose.FEES["F-2"] = (1_800, card_holder.account_id)
    r = await client.post("/payments/orders", headers=card_holder.headers,
                          json={"purpose_kind": "card_test_fee", "purpose_ref": "F-2", "client_key": "fee-key-0002"})
    order_no = r.json()["order_no"]
    r = await client.post(f"/payments/orders/{order_no}/pay", headers=card_holder.headers,
                          json={"channel": "card_wallet", "method": "wallet"})
    assert_refused(r, 402, "card.insufficient_balance")
    assert await balance(card_holder.account_id) == 500
    await client.post("/card/loss", headers=card_holder.headers)
    await fund(card_holder.account_id, 5_000)  # a top-up paid before the freeze still lands
    r = await client.post(f"/payments/orders/{order_no}/pay", headers=card_holder.headers,
                          json={"channel": "card_wallet", "method": "wallet"})
    assert_refused(r, 409, "card.not_active")
    assert await balance(card_holder.account_id) == 5_500


async def test_full_journey_and_late_top_up_follows_replacement(client, settings, payments_ready, terminal):
    """Issue, top up via the sandbox, pay at a terminal with an offline-verified QR, report the
    loss, replace, keep the balance."""
    import base64

    from citizen_card import qr

    holder = await make_citizen(level=2)
    assert (await client.post("/card", headers=holder.headers)).status_code == 201
    await _topup_via_wechat(client, settings, holder, 8_000, "journey001")
    keys = {k["kid"]: base64.urlsafe_b64decode(k["public_key"] + "==")
            for k in (await client.get("/card/keys")).json()["keys"]}
    token = (await client.post("/card/qr", headers=holder.headers)).json()["token"]
    qr.verify_offline(token, keys)
    assert (await terminal.debit(token, 2_500)).status_code == 201
    second = (await client.post("/card/qr", headers=holder.headers)).json()["token"]
    assert (await client.post("/card/loss", headers=holder.headers)).json()["state"] == "frozen"
    assert_refused(await terminal.debit(second, 100), 409, "card.not_active")  # frozen at once
    replaced = (await client.post("/card/replace", headers=holder.headers)).json()
    assert replaced["balance"] == 5_500 and replaced["state"] == "active"
    assert await balance(holder.account_id) == 5_500
    # A top-up order pinned to the old card, paid only now, lands on the new one.
    from citizen_card import funding
    from citizen_card.models import Card

    old = await Card.get(holder_id=holder.account_id, state="cancelled")
    await funding.credit_topup(old.id, 100, "LATE-ORDER-1")
    assert await balance(holder.account_id) == 5_600


async def test_refunded_top_up_leaves_the_wallet(client, settings, payments_ready, card_holder):
    order_no = await _topup_via_wechat(client, settings, card_holder, 3_000, "refund0001")
    operator = await make_operator()
    r = await client.post(f"/payments/admin/orders/{order_no}/refunds", headers=operator.headers,
                          json={"amount_fen": 1_000, "expected_refundable_fen": 3_000, "reason": "充错了",
                                "client_key": "topup-refund-0001"})
    assert r.status_code == 201, r.text
    settle = await _sandbox(settings, "POST", "/wechatpay/_dev/settle-refund", json={"out_refund_no": r.json()["refund_no"]})
    note = settle.json()["notification"]
    for _ in range(2):
        answer = await client.post("/payments/notify/wechatpay", content=note["body"].encode(), headers=note["headers"])
        assert answer.status_code == 200, answer.text
    assert await balance(card_holder.account_id) == 2_000
    kinds = [line["kind"] for line in (await client.get("/card/transactions", headers=card_holder.headers)).json()["items"]]
    assert kinds == ["topup_refund", "topup"]
