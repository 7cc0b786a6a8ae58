"""Whole citizen journeys through HTTP only, per channel, against the sandbox with the real SDKs:
sign in, verify to level 2, see the county's services, apply for 我要办公积金贷款 with a prefilled
form, fix the one correction asked for, pay, get the result by courier, show the certificate,
rate the service — then a relative acting for an elderly parent, and the card topped up and used
at a terminal."""

from __future__ import annotations

import secrets

import httpx
import pytest

from core import tasks
from tests.e2e.conftest import COUNTY, TOWNSHIP
from tests.e2e.housing_loan_plugin import (
    APPROVAL_TYPE,
    BDC_DEPT,
    BUNDLE,
    GJJ_DEPT,
    LOAN,
    MORTGAGE,
    MORTGAGE_FEE,
)
from tests.support.auth import fake_id_number, make_operator, make_staff


def new_person(birth: str = "19900412", born_in: str = COUNTY) -> tuple[str, str, str]:
    """A name, a valid resident ID (region of birth ``born_in``) and a mobile number nobody uses yet."""
    return "刘建国", fake_id_number(born_in, birth), f"137{secrets.randbelow(10**8):08d}"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def ok(response: httpx.Response, status: int = 200) -> dict:
    assert response.status_code == status, f"{response.request.method} {response.request.url.path}: {response.text}"
    return response.json() if response.content else {}


async def settle() -> None:
    await tasks.drain()


async def sign_in(http: httpx.AsyncClient, phone, channel: str, name: str, id_number: str, number: str) -> dict[str, str]:
    """Sign in on the channel and reach real-name level 2 in the county; returns the auth header."""
    headers = bearer((await log_in(http, phone, channel, number))["access_token"])
    await verify_in_county(http, channel, headers, name, id_number)
    return headers


async def log_in(http: httpx.AsyncClient, phone, channel: str, number: str) -> dict:
    """The channel's sign-in (wx.login + the getPhoneNumber button, or phone + SMS code) for a
    new person; returns the login answer (token pair and me)."""
    from tests.support.auth import ensure_region

    await ensure_region(TOWNSHIP)  # the city's region tree, loaded by operators
    if channel == "miniapp":
        wx = await phone.wx_login(f"wx-user-{number}")
        login = ok(await http.post("/bff/miniapp/login", json={"code": wx["code"]}))
        assert login["me"]["level"] == 0 and login["created"] is True
        phone_code = await phone.wx_phone_code(number)  # the getPhoneNumber button
        ok(await http.post("/identity/phone/link-wechat", json={"phone_code": phone_code},
                           headers=bearer(login["access_token"])))
    else:
        ok(await http.post("/bff/app/sms-code", json={"phone": number}))
        code = await phone.last_code(number)
        login = ok(await http.post("/bff/app/login", json={"phone": number, "sms_code": code}))
        assert login["me"]["level"] == 1 and login["me"]["level_label"] == "手机号认证"
    return login


async def verify_in_county(http: httpx.AsyncClient, channel: str, headers: dict, name: str, id_number: str) -> None:
    """Real-name verification (level 2) against the population register, home region the county."""
    from core.identity.authority import add_population_record

    await add_population_record(name, id_number, region_code=COUNTY)  # the public-security register
    ok(await http.post("/identity/verify/id", json={"name": name, "id_number": id_number}, headers=headers))
    ok(await http.put("/identity/me/home-region", json={"region_code": COUNTY}, headers=headers))
    me = ok(await http.get(f"/bff/{channel}/me", headers=headers))
    assert me["level"] == 2 and me["home_region"]["code"] == COUNTY and "醴陵市" in me["home_region"]["path"]
    assert me["account"]["id_number"] != id_number  # masked


async def enable_for_county(http: httpx.AsyncClient) -> None:
    operator = await make_operator()
    for code in (LOAN, MORTGAGE, BUNDLE):
        ok(await http.put("/catalogue/enablement", headers=operator.headers,
                          json={"code": code, "region_code": COUNTY, "channel": "*", "enabled": True}))


async def pay_wechat(http, sandbox, channel: str, headers: dict, kind: str, ref: object) -> dict:
    """Tap "pay" (twice: a double tap), let WeChat confirm, replay its signed notification."""
    key = secrets.token_hex(12)
    first = ok(await http.post(f"/bff/{channel}/pay/{kind}/{ref}", json={"method": "wechat"},
                               headers={**headers, "Idempotency-Key": key}))
    again = ok(await http.post(f"/bff/{channel}/pay/{kind}/{ref}", json={"method": "wechat"},
                               headers={**headers, "Idempotency-Key": key}))
    assert again["order_no"] == first["order_no"] and again["replayed"] is True
    params = first["params"]
    if channel == "miniapp":  # exactly what wx.requestPayment takes
        assert set(params) == {"timeStamp", "nonceStr", "package", "signType", "paySign"}
        assert params["package"].startswith("prepay_id=") and params["signType"] == "RSA"
    else:  # WeChat OpenSDK app pay
        assert set(params) == {"appid", "partnerid", "prepayid", "package", "noncestr", "timestamp", "sign"}
        assert params["package"] == "Sign=WXPay"
    paid = ok(await sandbox.post("/wechatpay/_dev/pay", json={"out_trade_no": first["order_no"]}))
    note = paid["notification"]
    ok(await http.post("/payments/notify/wechatpay", content=note["body"].encode(), headers=note["headers"]))
    await settle()
    status = ok(await http.get(f"/bff/{channel}/orders/{first['order_no']}", headers=headers))
    assert status["state"] == "paid"
    return first


async def decide(http: httpx.AsyncClient, case_id: int, department: str) -> None:
    staff = await make_staff(department_code=department, roles=("clerk", "reviewer", "head"))
    for action in ("accept", "start_review", "approve"):
        ok(await http.post(f"/cases/{case_id}/actions/{action}", json={}, headers=staff.headers))
    await settle()


@pytest.mark.parametrize("channel", ["miniapp", "app"])
async def test_new_citizen_gets_a_provident_fund_loan(http, sandbox, phone, channel):
    name, id_number, number = new_person()
    headers = await sign_in(http, phone, channel, name, id_number, number)
    await enable_for_county(http)

    # Home: the county's services on this channel, the bundle first, the fund widget, no errors.
    home = ok(await http.get(f"/bff/{channel}/home", headers=headers))
    assert home["degraded"] == [] and home["region_code"] == COUNTY
    groups = {g["category"]: [e["code"] for e in g["entries"]] for g in home["services"]["groups"]}
    assert groups["一件事"] == [BUNDLE] and LOAN in groups["住房公积金"] and MORTGAGE in groups["不动产"]
    assert any(w["key"] == "e2e_housing.fund_balance" for w in home["widgets"])
    found = ok(await http.get(f"/bff/{channel}/search", params={"q": "gjjdk"}, headers=headers))
    assert LOAN in [e["code"] for e in found["items"]]

    # Detail: one form for both departments, name and ID filled in from the verified identity.
    detail = ok(await http.get(f"/bff/{channel}/services/{BUNDLE}", headers=headers))
    assert detail["kind"] == "bundle" and detail["name"] == "我要办公积金贷款" and detail["can_apply"] is True
    assert {"applicant_name", "applicant_id_number"} <= set(detail["prefilled"])
    assert detail["values"]["applicant_id_number"] != id_number  # masked on screen
    keys = {f["key"] for f in detail["fields"]}
    assert {"loan_amount", "property_address", "phone"} <= keys

    # Apply (a double tap answers the same application).
    body = {"bundle_code": BUNDLE, "form": {"phone": number, "loan_amount": 2_000_000, "property_address": "醴陵市瓷城大道8号"},
            "delivery": {MORTGAGE: {"result": "courier"}}}
    key = secrets.token_hex(10)
    r = await http.post(f"/bff/{channel}/apply", json=body, headers={**headers, "Idempotency-Key": key})
    assert r.status_code == 422 and r.json()["code"] == "cases.application_invalid"  # above the item's maximum
    body["form"]["loan_amount"] = 600_000
    applied = ok(await http.post(f"/bff/{channel}/apply", json=body, headers={**headers, "Idempotency-Key": key}), 201)
    replay = ok(await http.post(f"/bff/{channel}/apply", json=body, headers={**headers, "Idempotency-Key": key}))
    assert replay["replayed"] is True and replay["bundle"]["id"] == applied["bundle"]["id"]
    bundle = applied["bundle"]
    assert bundle["fee_fen"] == MORTGAGE_FEE and bundle["needs_payment"] is True
    case_of = {c["item_code"]: c["id"] for c in bundle["cases"]}

    # Courier delivery of the registration certificate, to the citizen's address; the fee is paid
    # through the BFF like any other.
    address = ok(await http.post("/delivery/addresses", headers=headers, json={
        "name": name, "phone": number, "region_code": TOWNSHIP, "detail": "来龙门街道建设路88号"}), 201)
    shipment = ok(await http.post(f"/delivery/cases/{case_of[MORTGAGE]}/shipments", headers=headers, json={
        "kind": "result", "courier": "sf", "address_id": address["id"]}), 201)
    if shipment["state"] == "awaiting_payment":
        await pay_wechat(http, sandbox, channel, headers, "delivery_fee", shipment["no"])

    # The fund centre asks for one correction, all at once (一次性告知).
    clerk = await make_staff(department_code=GJJ_DEPT, roles=("clerk",))
    ok(await http.post(f"/cases/{case_of[LOAN]}/actions/request_correction", headers=clerk.headers, json={
        "data": {"items": [{"target": "field", "key": "loan_amount", "reason": "贷款额度超过可贷额度，请改为50万元以内"}]}}))
    waiting = ok(await http.get(f"/bff/{channel}/cases", params={"status": "action"}, headers=headers))
    loan_card = next(c for c in waiting["items"] if c["id"] == case_of[LOAN])
    assert loan_card["applicant_actions"][:1] == ["resubmit"] and loan_card["corrections"][0]["key"] == "loan_amount"
    home = ok(await http.get(f"/bff/{channel}/home", headers=headers))
    assert case_of[LOAN] in [c["id"] for c in home["cases"]["cases"]]
    fixed = ok(await http.post(f"/bff/{channel}/cases/{case_of[LOAN]}/resubmit", headers=headers,
                               json={"form": {"loan_amount": 500_000}}))
    assert fixed["state"] == "pre_review" and fixed["corrections"] == []

    # One payment for the bundle: WeChat Pay through the real SDK and the sandbox.
    await pay_wechat(http, sandbox, channel, headers, "bundle", bundle["id"])
    paid_bundle = ok(await http.get(f"/bff/{channel}/bundles/{bundle['id']}", headers=headers))
    assert paid_bundle["payment_state"] == "paid" and paid_bundle["needs_payment"] is False

    # Both departments decide; the loan approval becomes an e-certificate, the registration is posted.
    await decide(http, case_of[LOAN], GJJ_DEPT)
    await decide(http, case_of[MORTGAGE], BDC_DEPT)
    parcels = ok(await http.get(f"/delivery/cases/{case_of[MORTGAGE]}/shipments", headers=headers))
    waybill = parcels[0]["waybill_no"]
    assert waybill
    for _step in ("accepted", "picked_up", "in_transit", "delivered"):
        ok(await sandbox.post("/couriers/sf/_dev/advance", json={"waybill_no": waybill}))
        await settle()
    mortgage = ok(await http.get(f"/bff/{channel}/cases/{case_of[MORTGAGE]}", headers=headers))
    assert mortgage["state"] == "delivered"

    loan = ok(await http.get(f"/bff/{channel}/cases/{case_of[LOAN]}", headers=headers))
    kinds = [step["kind"] for step in loan["timeline"]]
    for kind in ("submitted", "request_correction", "resubmit", "accept", "approve"):
        assert kind in kinds, kinds
    assert loan["timeline"][0]["label"] == "已提交申请"

    wallet = ok(await http.get(f"/bff/{channel}/certificates", headers=headers))
    approval = next(c for c in wallet["items"] if c["type_code"] == APPROVAL_TYPE)
    shown = ok(await http.post(f"/bff/{channel}/certificates/{approval['id']}/show", json={}, headers=headers))
    assert shown["code"] and shown["qr_svg"].startswith("data:image/svg+xml")
    verified = ok(await http.get("/certificates/verify", params={"code": shown["code"]}))
    assert "500000" in str(verified)

    rated = ok(await http.post(f"/bff/{channel}/rate/{case_of[LOAN]}", json={"level": 1, "comment": "一次办好"},
                               headers=headers), 201)
    assert rated["level"] == 1
    twice = await http.post(f"/bff/{channel}/rate/{case_of[LOAN]}", json={"level": 2}, headers=headers)
    assert twice.status_code == 409

    # The prefill read of the citizen's identity by the fund centre's plugin is in their log.
    log = ok(await http.get(f"/bff/{channel}/access-log", headers=headers))
    assert any(e["purpose"] == "公积金贷款表单预填" for e in log["items"])
    messages = ok(await http.get(f"/bff/{channel}/messages", headers=headers))
    assert messages["total"] >= 1
