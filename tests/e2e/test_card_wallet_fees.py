"""Paying a case fee from the citizen-card wallet through the BFF (``method: card``), per channel:
a double tap debits the wallet once, and a payment after the case is paid is refused with a
localised stable error and moves no money. HTTP only; the wallet is topped up through the
WeChat Pay sandbox first."""

from __future__ import annotations

import asyncio
import secrets

import pytest

from citizen_card.models import Entry, Journal
from core.cases.models import Case
from payments.models import Order
from tests.e2e.housing_loan_plugin import MORTGAGE, MORTGAGE_FEE
from tests.e2e.test_citizen_journeys import enable_for_county, new_person, ok, sign_in
from tests.e2e.test_relatives_and_card import pay_wechat_topup

TOPUP = 20_000


async def ledger_snapshot() -> tuple[int, int, list[tuple[str, str]]]:
    journals = await Journal.all().order_by("id").values_list("kind", "reference")
    return await Journal.all().count(), await Entry.all().count(), [tuple(j) for j in journals]


async def card_balance(http, channel: str, headers: dict) -> int:
    return ok(await http.get(f"/bff/{channel}/card", headers=headers))["card"]["balance_fen"]


@pytest.mark.parametrize("channel", ["miniapp", "app"])
async def test_case_fee_paid_from_the_card_wallet_once(http, sandbox, phone, channel):
    name, id_number, number = new_person("19920202")
    me = await sign_in(http, phone, channel, name, id_number, number)
    await enable_for_county(http)
    ok(await http.post("/card", headers=me), 201)
    await pay_wechat_topup(http, sandbox, me, TOPUP, channel)
    assert await card_balance(http, channel, me) == TOPUP

    case = ok(await http.post(f"/bff/{channel}/apply", headers=me, json={
        "item_code": MORTGAGE, "form": {"phone": number, "property_address": "醴陵市瓷城大道8号"}}), 201)["case"]
    assert case["needs_payment"] is True and case["fee_fen"] == MORTGAGE_FEE

    # A double tap: two "pay with card" requests at once, no Idempotency-Key.
    taps = await asyncio.gather(*(http.post(f"/bff/{channel}/pay/case/{case['id']}", json={"method": "card"},
                                            headers=me) for _ in range(2)))
    answers = [r.json() for r in taps if r.status_code == 200]
    assert answers, [r.text for r in taps]
    for r in taps:  # the tap that lost the race is told why, never a 500
        if r.status_code != 200:
            assert r.status_code == 409 and r.json()["code"].startswith("payments.") and r.json()["message"], r.text
    assert {a["order_no"] for a in answers} == {answers[0]["order_no"]}
    first = answers[0]
    assert first["channel"] == "card_wallet" and first["completed"] is True and first["amount_fen"] == MORTGAGE_FEE
    assert first["params"]["paid"] is True and first["params"]["balance"] == TOPUP - MORTGAGE_FEE
    assert await Order.filter(purpose_kind="case", purpose_ref=str(case["id"])).count() == 1
    fee_journals = await Journal.filter(kind="fee", reference=first["order_no"]).count()
    assert fee_journals == 1  # one debit of the wallet
    assert await card_balance(http, channel, me) == TOPUP - MORTGAGE_FEE
    paid = ok(await http.get(f"/bff/{channel}/cases/{case['id']}", headers=me))
    assert paid["payment_state"] == "paid" and paid["needs_payment"] is False
    assert ok(await http.get(f"/bff/{channel}/orders/{first['order_no']}", headers=me))["state"] == "paid"

    # Paying again after the case is paid: refused, in Chinese by default and in English on
    # request, with a new key, the same key's fresh tap, or another method; nothing moves.
    before = await ledger_snapshot()
    case_row = await Case.get(id=case["id"])
    attempts = [({"method": "card"}, {}), ({"method": "card"}, {"Idempotency-Key": secrets.token_hex(8)}),
                ({"method": "wechat"}, {"Accept-Language": "en"})]
    for body, extra in attempts:
        r = await http.post(f"/bff/{channel}/pay/case/{case['id']}", json=body, headers={**me, **extra})
        assert r.status_code == 409, r.text
        answer = r.json()
        assert answer["code"] == "payments.already_paid", answer
        if extra.get("Accept-Language") == "en":
            assert answer["message"] == answer["message_en"] and answer["message"].isascii()
        else:
            assert answer["message"] != answer["message_en"] and not answer["message"].isascii()
    assert await ledger_snapshot() == before
    assert await card_balance(http, channel, me) == TOPUP - MORTGAGE_FEE
    assert await Order.filter(purpose_kind="case", purpose_ref=str(case["id"])).count() == 1
    after = await Case.get(id=case["id"])
    assert (after.payment_state, after.state, after.holds) == (case_row.payment_state, case_row.state, case_row.holds)
