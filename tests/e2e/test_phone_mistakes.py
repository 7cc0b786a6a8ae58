"""Everything a phone can send wrong gets a clear, localised error and changes nothing."""

from __future__ import annotations

import secrets

from core.cases.models import BundleCase, Case
from payments.models import Order
from tests.e2e.conftest import COUNTY
from tests.e2e.housing_loan_plugin import BUNDLE, LOAN, MORTGAGE
from tests.e2e.test_citizen_journeys import enable_for_county, new_person, ok, sign_in
from tests.support.auth import make_operator


async def two_citizens(http, phone):
    a = await sign_in(http, phone, "app", *new_person())
    b = await sign_in(http, phone, "app", *new_person("19910101"))
    await enable_for_county(http)
    return a, b


async def test_another_persons_case_number_is_not_found_and_untouched(http, phone):
    alice, mallory = await two_citizens(http, phone)
    case_id = ok(await http.post("/bff/app/apply", headers=alice, json={
        "item_code": MORTGAGE, "form": {"phone": "13912345678", "property_address": "醴陵市一路1号"}}), 201)["case"]["id"]
    for method, path, body in (
        ("GET", f"/bff/app/cases/{case_id}", None),
        ("POST", f"/bff/app/cases/{case_id}/withdraw", {}),
        ("POST", f"/bff/app/pay/case/{case_id}", {"method": "wechat"}),
        ("POST", f"/bff/app/rate/{case_id}", {"level": 1}),
    ):
        r = await http.request(method, path, json=body, headers={**mallory, "Accept-Language": "en"})
        assert r.status_code == 404, (path, r.text)
        assert r.json()["message"] == "Not found" and r.json()["message_en"] == "Not found"
    case = await Case.get(id=case_id)
    assert case.state == "pre_review" and case.payment_state == "unpaid"
    assert await Order.filter(purpose_ref=str(case_id)).count() == 0
    # The owner withdraws (撤回); a second withdraw is refused and changes nothing.
    withdrawn = ok(await http.post(f"/bff/app/cases/{case_id}/withdraw", json={"comment": "不办了"}, headers=alice))
    assert withdrawn["state"] == "withdrawn" and withdrawn["applicant_actions"] == []
    again = await http.post(f"/bff/app/cases/{case_id}/withdraw", json={}, headers=alice)
    assert again.status_code == 409 and again.json()["code"] == "cases.action_not_allowed"
    r = await http.post(f"/bff/app/cases/{case_id}/approve", json={}, headers=alice)
    assert r.status_code == 404  # not an applicant action
    done = ok(await http.get("/bff/app/cases", params={"status": "done"}, headers=alice))
    assert [c["id"] for c in done["items"]] == [case_id]
    assert ok(await http.get("/bff/app/cases", params={"status": "open"}, headers=alice))["items"] == []


async def test_a_bundle_with_a_missing_part_is_refused_whole(http, phone):
    alice, _ = await two_citizens(http, phone)
    operator = await make_operator()
    ok(await http.put("/catalogue/enablement", headers=operator.headers,
                      json={"code": MORTGAGE, "region_code": COUNTY, "channel": "app", "enabled": False}))
    r = await http.post("/bff/app/apply", headers=alice, json={
        "bundle_code": BUNDLE, "form": {"phone": "13912345678", "loan_amount": 300_000, "property_address": "x"}})
    assert r.status_code == 403 and r.json()["code"] == "cases.item_not_enabled" and r.json()["message"]
    assert MORTGAGE in r.json()["details"]["not_enabled"]
    # A required answer of one part missing: every problem listed at once, nothing created.
    ok(await http.put("/catalogue/enablement", headers=operator.headers,
                      json={"code": MORTGAGE, "region_code": COUNTY, "channel": "app", "enabled": None}))
    r = await http.post("/bff/app/apply", headers=alice, json={"bundle_code": BUNDLE, "form": {"phone": "13912345678"}})
    assert r.status_code == 422 and r.json()["code"] == "cases.application_invalid"
    assert r.json()["message"] == "申请信息有误，请按提示逐项修改"
    assert await BundleCase.all().count() == 0 and await Case.all().count() == 0
    r = await http.post("/bff/app/apply", headers=alice, json={"form": {}})
    assert r.status_code == 400


async def test_double_taps_and_bad_keys(http, phone):
    alice, _ = await two_citizens(http, phone)
    body = {"item_code": MORTGAGE, "form": {"phone": "13912345678", "property_address": "醴陵市一路1号"}}
    r = await http.post("/bff/app/apply", json=body, headers={**alice, "Idempotency-Key": "short"})
    assert r.status_code == 400 and r.json()["code"] == "bff.idempotency_key_invalid"
    key = secrets.token_hex(8)
    first = ok(await http.post("/bff/app/apply", json=body, headers={**alice, "Idempotency-Key": key}), 201)
    second = ok(await http.post("/bff/app/apply", json=body, headers={**alice, "Idempotency-Key": key}))
    assert second["case"]["id"] == first["case"]["id"] and await Case.all().count() == 1
    case_id = first["case"]["id"]
    # Paying a free case, a method the client does not offer, and a wrong kind: refused, no order.
    r = await http.post(f"/bff/miniapp/pay/case/{case_id}", json={"method": "wechat"}, headers=alice)
    assert r.status_code == 403 and r.json()["code"] == "bff.channel_mismatch"
    r = await http.post(f"/bff/app/pay/case/{case_id}", json={"method": "bitcoin"}, headers=alice)
    assert r.status_code == 422 and r.json()["code"] == "bff.payment_choice_not_offered"
    r = await http.post(f"/bff/app/pay/parking/{case_id}", json={"method": "wechat"}, headers=alice)
    assert r.status_code == 404
    # Two taps without a key reuse one order, and a second payment after paying is refused.
    one = ok(await http.post(f"/bff/app/pay/case/{case_id}", json={"method": "alipay"}, headers=alice))
    two = ok(await http.post(f"/bff/app/pay/case/{case_id}", json={"method": "alipay"}, headers=alice))
    assert one["order_no"] == two["order_no"] and await Order.all().count() == 1
    assert one["params"]  # the signed order string for the Alipay SDK


async def test_loan_item_absent_on_a_channel_is_not_offered(http, phone):
    alice, _ = await two_citizens(http, phone)
    operator = await make_operator()
    ok(await http.put("/catalogue/enablement", headers=operator.headers,
                      json={"code": LOAN, "region_code": COUNTY, "channel": "app", "enabled": False}))
    r = await http.get(f"/bff/app/services/{LOAN}", headers=alice)
    assert r.status_code == 404 and r.json()["code"] == "bff.service_not_offered"
    assert (await http.get("/bff/app/services/nope", headers=alice)).status_code == 404
