"""A son acts for his elderly mother (亲友代办) on the app; a citizen tops up the citizen card on
either channel (``wx.requestPayment`` parameters in the mini-program, app-pay parameters in the
app) and pays at a shop terminal with the dynamic QR from the card screen. HTTP only, sandbox
providers."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

import pytest

from tests.citizen_card.helpers import make_terminal
from tests.e2e.conftest import COUNTY
from tests.e2e.housing_loan_plugin import LOAN
from tests.e2e.test_citizen_journeys import (
    bearer,
    enable_for_county,
    new_person,
    ok,
    sign_in,
)


async def test_son_acts_for_his_mother(http, phone):
    mother_name, mother_id, mother_phone = new_person("19500303", born_in="430221000000")  # born in the old 株洲县
    son_name, son_id, son_phone = new_person("19900808")
    mother = await sign_in(http, phone, "miniapp", mother_name, mother_id, mother_phone)
    son = await sign_in(http, phone, "app", son_name, son_id, son_phone)
    await enable_for_county(http)

    expires = (datetime.now(UTC) + timedelta(days=90)).isoformat()
    grant = ok(await http.post("/identity/proxies", headers=mother, json={
        "grantee_phone": son_phone, "expires_at": expires, "relation": "child"}), 201)
    ok(await http.post(f"/identity/proxies/{grant['id']}/accept", headers=son, json={}))

    me = ok(await http.get("/bff/app/me", headers=son))
    assert [r["grant_id"] for r in me["relatives"]] == [grant["id"]] and me["relatives"][0]["relation"] == "child"
    acting = ok(await http.post("/bff/app/act-for", headers=son, json={"grant_id": grant["id"]}))
    for_mother = bearer(acting["access_token"])
    mother_id_ = ok(await http.get("/bff/miniapp/me", headers=mother))["account"]["id"]
    assert acting["me"]["acting_for"]["account_id"] == mother_id_ and acting["me"]["relatives"] == []
    assert acting["me"]["acting_for"]["name"] != mother_name  # masked
    nested = await http.post("/bff/app/act-for", headers=for_mother, json={"grant_id": grant["id"]})
    assert nested.status_code == 403

    home = ok(await http.get("/bff/app/home", headers=for_mother))
    assert home["acting_for"] is not None and home["region_code"] == COUNTY
    assert home["card"] is None  # a relative never spends the mother's card
    detail = ok(await http.get(f"/bff/app/services/{LOAN}", headers=for_mother))
    assert detail["acting_for"] == home["acting_for"] and "applicant_name" in detail["prefilled"]
    applied = ok(await http.post("/bff/app/apply", headers=for_mother, json={
        "item_code": LOAN, "form": {"phone": mother_phone, "loan_amount": 300_000}}), 201)
    case_id = applied["case"]["id"]

    # The case is the mother's: she sees it, the son acting for her sees it, the son himself not.
    assert [c["id"] for c in ok(await http.get("/bff/miniapp/cases", headers=mother))["items"]] == [case_id]
    assert [c["id"] for c in ok(await http.get("/bff/app/cases", headers=for_mother))["items"]] == [case_id]
    assert ok(await http.get("/bff/app/cases", headers=son))["items"] == []
    assert (await http.get(f"/bff/app/cases/{case_id}", headers=son)).status_code == 404
    timeline = ok(await http.get(f"/bff/app/cases/{case_id}", headers=for_mother))["timeline"]
    assert timeline[0]["kind"] == "submitted" and timeline[0]["on_behalf"] is True

    # The mother revokes: the acting session stops at once, with a clear error.
    ok(await http.post(f"/identity/proxies/{grant['id']}/revoke", headers=mother, json={}))
    gone = await http.get("/bff/app/home", headers={**for_mother, "Accept-Language": "en"})
    assert gone.status_code == 401 and gone.json()["message"] == "Please sign in first"


@pytest.mark.parametrize("channel", ["miniapp", "app"])
async def test_card_topped_up_then_used_at_a_terminal(http, sandbox, phone, channel):
    name, id_number, number = new_person("19920202")
    me = await sign_in(http, phone, channel, name, id_number, number)
    empty = ok(await http.get(f"/bff/{channel}/card", headers=me))
    assert empty == {"card": {"has_card": False}, "qr": None}
    ok(await http.post("/card", headers=me), 201)

    topup = await pay_wechat_topup(http, sandbox, me, 5000, channel)
    assert topup["amount_fen"] == 5000
    screen = ok(await http.get(f"/bff/{channel}/card", params={"image": "svg"}, headers=me))
    assert screen["card"]["balance_fen"] == 5000 and screen["card"]["state_label"] == "正常"
    assert screen["qr"]["image"].startswith("data:image/svg+xml;base64,") and screen["qr"]["ttl_seconds"] <= 120

    terminal = await make_terminal(http)
    debit = await terminal.debit(screen["qr"]["token"], 1850)
    assert debit.status_code in (200, 201), debit.text
    assert ok(await http.get(f"/bff/{channel}/card", headers=me))["card"]["balance_fen"] == 3150
    replayed = await terminal.debit(screen["qr"]["token"], 1850)  # the same QR shown twice
    assert replayed.status_code >= 400
    assert ok(await http.get(f"/bff/{channel}/card", headers=me))["card"]["balance_fen"] == 3150


async def pay_wechat_topup(http, sandbox, headers, amount: int, channel: str = "app") -> dict:
    """Top up through WeChat Pay as the phone does: the mini-program gets the object for
    ``wx.requestPayment`` (JSAPI), the app the OpenSDK parameters; WeChat confirms in the sandbox
    and its signed notification is replayed to the platform."""
    key = secrets.token_hex(10)
    first = ok(await http.post(f"/bff/{channel}/card/topup", json={"amount_fen": amount, "method": "wechat"},
                               headers={**headers, "Idempotency-Key": key}))
    again = ok(await http.post(f"/bff/{channel}/card/topup", json={"amount_fen": amount, "method": "wechat"},
                               headers={**headers, "Idempotency-Key": key}))
    assert again["order_no"] == first["order_no"] and again["replayed"] is True
    params = first["params"]
    if channel == "miniapp":
        assert first["method"] == "jsapi"
        assert set(params) == {"timeStamp", "nonceStr", "package", "signType", "paySign"}
        assert params["package"].startswith("prepay_id=") and params["signType"] == "RSA"
    else:
        assert set(params) == {"appid", "partnerid", "prepayid", "package", "noncestr", "timestamp", "sign"}
    paid = ok(await sandbox.post("/wechatpay/_dev/pay", json={"out_trade_no": first["order_no"]}))
    note = paid["notification"]
    ok(await http.post("/payments/notify/wechatpay", content=note["body"].encode(), headers=note["headers"]))
    from core import tasks

    await tasks.drain()
    assert ok(await http.get(f"/bff/{channel}/orders/{first['order_no']}", headers=headers))["state"] == "paid"
    return first


async def test_a_grant_limited_to_one_service(http, phone):
    from tests.e2e.housing_loan_plugin import MORTGAGE_ITEM

    mother_name, mother_id, mother_phone = new_person("19520606", born_in="430221000000")
    daughter_name, daughter_id, daughter_phone = new_person("19910909")
    mother = await sign_in(http, phone, "app", mother_name, mother_id, mother_phone)
    daughter = await sign_in(http, phone, "miniapp", daughter_name, daughter_id, daughter_phone)
    await enable_for_county(http)
    expires = (datetime.now(UTC) + timedelta(days=30)).isoformat()
    grant = ok(await http.post("/identity/proxies", headers=mother, json={
        "grantee_phone": daughter_phone, "expires_at": expires, "relation": "child",
        "scope": [MORTGAGE_ITEM.basic_code]}), 201)
    ok(await http.post(f"/identity/proxies/{grant['id']}/accept", headers=daughter, json={}))
    switched = ok(await http.post("/bff/miniapp/act-for", headers=daughter, json={"grant_id": grant["id"]}))
    assert switched["me"]["acting_for"]["scope"] == [MORTGAGE_ITEM.basic_code]
    acting = bearer(switched["access_token"])

    assert ok(await http.get(f"/bff/miniapp/services/{LOAN}", headers=acting))["can_apply"] is False
    refused = await http.post("/bff/miniapp/apply", headers=acting, json={
        "item_code": LOAN, "form": {"phone": mother_phone, "loan_amount": 300_000}})
    assert refused.status_code == 403 and refused.json()["code"] == "auth.forbidden"
    ok(await http.post("/bff/miniapp/apply", headers=acting, json={
        "item_code": MORTGAGE_ITEM.code, "form": {"phone": mother_phone, "property_address": "醴陵市一路1号"}}), 201)
    assert len(ok(await http.get("/bff/app/cases", headers=mother))["items"]) == 1
