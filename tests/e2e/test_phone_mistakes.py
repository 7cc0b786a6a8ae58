"""Everything a phone can send wrong gets a clear, localised error and changes nothing."""

from __future__ import annotations

import secrets
import time as _time

import pytest

from core.cases.models import BundleCase, Case, CaseEventLog
from payments.models import Order
from tests.e2e.conftest import COUNTY
from tests.e2e.housing_loan_plugin import BUNDLE, LOAN, MORTGAGE
from tests.e2e.test_citizen_journeys import (
    bearer,
    enable_for_county,
    log_in,
    new_person,
    ok,
    sign_in,
    verify_in_county,
)
from tests.support.auth import make_operator


async def two_citizens(http, phone, channel: str = "app"):
    a = await sign_in(http, phone, channel, *new_person())
    b = await sign_in(http, phone, channel, *new_person("19910101"))
    await enable_for_county(http)
    return a, b


FOREIGN_MESSAGES = {"zh": "您访问的内容不存在", "en": "Not found"}


@pytest.mark.parametrize("channel", ["miniapp", "app"])
async def test_another_persons_case_number_is_not_found_and_untouched(http, phone, channel):
    alice, mallory = await two_citizens(http, phone, channel)
    case_id = ok(await http.post(f"/bff/{channel}/apply", headers=alice, json={
        "item_code": MORTGAGE, "form": {"phone": "13912345678", "property_address": "醴陵市一路1号"}}), 201)["case"]["id"]
    before = await Case.get(id=case_id)
    events = await CaseEventLog.filter(case_id=case_id).count()
    for lang, message in FOREIGN_MESSAGES.items():
        for method, path, body in (
            ("GET", f"/bff/{channel}/cases/{case_id}", None),
            ("POST", f"/bff/{channel}/cases/{case_id}/withdraw", {}),
            ("POST", f"/bff/{channel}/cases/{case_id}/resubmit", {"form": {"property_address": "别人的地址"}}),
            ("POST", f"/bff/{channel}/pay/case/{case_id}", {"method": "wechat"}),
            ("POST", f"/bff/{channel}/rate/{case_id}", {"level": 1}),
        ):
            r = await http.request(method, path, json=body, headers={**mallory, "Accept-Language": lang})
            assert r.status_code == 404, (lang, path, r.text)
            assert r.json()["code"] == "not_found" and r.json()["message"] == message, r.text
    after = await Case.get(id=case_id)
    assert (after.state, after.payment_state, after.version, after.form_data, after.delivery) == \
        (before.state, before.payment_state, before.version, before.form_data, before.delivery)
    assert after.state == "pre_review" and after.payment_state == "unpaid"
    assert await CaseEventLog.filter(case_id=case_id).count() == events
    assert await Order.filter(purpose_ref=str(case_id)).count() == 0
    assert ok(await http.get(f"/bff/{channel}/cases", headers=mallory))["items"] == []
    # The owner withdraws (撤回); a second withdraw is refused and changes nothing.
    withdrawn = ok(await http.post(f"/bff/{channel}/cases/{case_id}/withdraw", json={"comment": "不办了"}, headers=alice))
    assert withdrawn["state"] == "withdrawn" and withdrawn["applicant_actions"] == []
    again = await http.post(f"/bff/{channel}/cases/{case_id}/withdraw", json={}, headers=alice)
    assert again.status_code == 409 and again.json()["code"] == "cases.action_not_allowed"
    r = await http.post(f"/bff/{channel}/cases/{case_id}/approve", json={}, headers=alice)
    assert r.status_code == 404  # not an applicant action
    done = ok(await http.get(f"/bff/{channel}/cases", params={"status": "done"}, headers=alice))
    assert [c["id"] for c in done["items"]] == [case_id]
    assert ok(await http.get(f"/bff/{channel}/cases", params={"status": "open"}, headers=alice))["items"] == []


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
    # Two taps without a key reuse one order (the card wallet and paying twice: test_card_wallet_fees).
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


class _LaterClock:
    """The ``time`` module as seen ``offset`` seconds from now: wall clock and monotonic both."""

    def __init__(self, offset: float) -> None:
        self.offset = offset

    def time(self) -> float:
        return _time.time() + self.offset

    def monotonic(self) -> float:
        return _time.monotonic() + self.offset

    def __getattr__(self, name: str):
        return getattr(_time, name)


def move_time_past_access_expiry(monkeypatch) -> None:
    """Sessions read ``time.time()`` (token expiry) and each process's resolved-token cache reads
    ``time.monotonic()`` (core.changes.LocalCache); both jump past the access-token lifetime."""
    from core import changes
    from core.identity import sessions

    later = _LaterClock(sessions.ACCESS_TTL + 5)
    monkeypatch.setattr(sessions, "time", later)
    monkeypatch.setattr(changes, "time", later)


@pytest.mark.parametrize("channel", ["miniapp", "app"])
async def test_an_expired_token_is_refused_and_changes_nothing(http, phone, monkeypatch, channel):
    name, id_number, number = new_person()
    pair = await log_in(http, phone, channel, number)
    headers = bearer(pair["access_token"])
    await verify_in_county(http, channel, headers, name, id_number)
    await enable_for_county(http)
    case_id = ok(await http.post(f"/bff/{channel}/apply", headers=headers, json={
        "item_code": MORTGAGE, "form": {"phone": number, "property_address": "醴陵市一路1号"}}), 201)["case"]["id"]
    assert ok(await http.get(f"/bff/{channel}/home", headers=headers))["region_code"] == COUNTY  # resolved and cached
    cases, orders, events = await Case.all().count(), await Order.all().count(), await CaseEventLog.all().count()

    move_time_past_access_expiry(monkeypatch)
    attempts = (
        ("GET", f"/bff/{channel}/home", None),
        ("POST", f"/bff/{channel}/apply", {"item_code": MORTGAGE, "form": {"phone": number, "property_address": "x"}}),
        ("POST", f"/bff/{channel}/pay/case/{case_id}", {"method": "wechat"}),
        ("POST", f"/bff/{channel}/cases/{case_id}/withdraw", {}),
    )
    for lang, message in (("zh", "请先登录"), ("en", "Please sign in first")):
        for method, path, body in attempts:
            extra = {"Accept-Language": "en"} if lang == "en" else {}
            r = await http.request(method, path, json=body, headers={**headers, **extra,
                                                                      "Idempotency-Key": secrets.token_hex(8)})
            assert r.status_code == 401, (lang, path, r.text)
            assert r.json()["code"] == "auth.required" and r.json()["message"] == message, r.text
    assert (await Case.all().count(), await Order.all().count(), await CaseEventLog.all().count()) == (cases, orders, events)
    assert (await Case.get(id=case_id)).state == "pre_review"

    # The phone's way back: its refresh token (valid for longer) gives a working pair.
    renewed = ok(await http.post("/identity/token/refresh", json={"refresh_token": pair["refresh_token"]}))
    again = ok(await http.get(f"/bff/{channel}/cases/{case_id}", headers=bearer(renewed["access_token"])))
    assert again["state"] == "pre_review"
