"""The message centre and subscription settings from both clients: case events arrive as
messages, are read, and the mini-program records the subscribe templates the user allowed."""

from __future__ import annotations

from tests.e2e.housing_loan_plugin import MORTGAGE
from tests.e2e.test_citizen_journeys import enable_for_county, new_person, ok, settle, sign_in


async def test_messages_read_and_subscriptions(http, phone):
    headers = await sign_in(http, phone, "miniapp", *new_person())
    await enable_for_county(http)
    ok(await http.post("/bff/miniapp/apply", headers=headers, json={
        "item_code": MORTGAGE, "form": {"phone": "13912345678", "property_address": "醴陵市一路1号"}}), 201)
    await settle()

    inbox = ok(await http.get("/bff/miniapp/messages", headers=headers))
    assert inbox["total"] >= 1 and inbox["unread"] == inbox["total"]
    english = ok(await http.get("/bff/miniapp/messages", headers={**headers, "Accept-Language": "en"}))
    assert english["items"][0]["title"] == english["items"][0]["title_en"]
    home = ok(await http.get("/bff/miniapp/home", headers=headers))
    assert home["messages"]["unread"] == inbox["unread"] and home["messages"]["latest"]
    elder = ok(await http.get("/bff/miniapp/home", headers={**headers, "X-Zhushida-Mode": "elder"}))
    assert elder["messages"]["latest"] == [] and elder["services"]["layout"] == "elder"

    first_id = inbox["items"][0]["id"]
    read = ok(await http.post("/bff/miniapp/messages/read", json={"ids": [first_id]}, headers=headers))
    assert read["marked"] == 1 and read["unread"] == inbox["unread"] - 1
    assert ok(await http.get("/bff/miniapp/messages?unread=1", headers=headers))["total"] == inbox["unread"] - 1
    ok(await http.post("/bff/miniapp/messages/read", json={}, headers=headers))
    assert ok(await http.get("/bff/miniapp/messages?unread=1", headers=headers))["total"] == 0

    subs = ok(await http.get("/bff/miniapp/subscriptions", headers=headers))
    templates = subs["wechat_templates"]
    assert templates and subs["wechat_grants"] == {}
    template_id = next(iter(templates.values()))
    saved = ok(await http.put("/bff/miniapp/subscriptions", headers=headers, json={
        "settings": {"*": {"wechat": True, "sms": False}}, "wechat_accepted": {template_id: 2}}))
    assert saved["settings"]["*"] == {"wechat": True, "sms": False} and saved["wechat_grants"] == {template_id: 2}
    bad = await http.put("/bff/miniapp/subscriptions", headers=headers, json={"settings": {"no.such": {"sms": 1}}})
    assert bad.status_code == 400 and bad.json()["code"] == "messages.settings_invalid"


async def test_app_has_no_subscribe_templates_and_anonymous_browsing(http, phone):
    headers = await sign_in(http, phone, "app", *new_person())
    await enable_for_county(http)
    subs = ok(await http.get("/bff/app/subscriptions", headers=headers))
    assert "wechat_templates" not in subs
    r = await http.put("/bff/app/subscriptions", headers=headers, json={"wechat_accepted": {"x": 1}})
    assert r.status_code == 400
    browse = await http.get("/bff/miniapp/catalogue", params={"region": "430281000000"})
    assert browse.status_code == 200 and browse.headers["cache-control"] == "public, max-age=60"
    assert browse.json()["total"] >= 3


async def test_service_detail_in_english(http, phone):
    from tests.e2e.housing_loan_plugin import BUNDLE, LOAN

    headers = await sign_in(http, phone, "app", *new_person())
    await enable_for_county(http)
    english = {**headers, "Accept-Language": "en-US,en;q=0.8"}
    detail = ok(await http.get(f"/bff/app/services/{LOAN}", headers=english))
    assert detail["name"] == "Provident fund loan approval"
    labels = {f["key"]: f["label"] for f in detail["fields"]}
    assert labels["loan_amount"] == "Loan amount (yuan)" and labels["phone"] == "Phone"
    assert detail["materials"][0]["name"] == "Proof of income"
    chinese = ok(await http.get(f"/bff/app/services/{LOAN}", headers=headers))
    assert chinese["name"] == "住房公积金贷款审批" and chinese["fields"][0]["label"] == "申请人姓名"
    bundle = ok(await http.get(f"/bff/app/services/{BUNDLE}", headers=english))
    assert bundle["name"] == "Get a provident fund loan"
    catalogue = ok(await http.get("/bff/app/catalogue", headers=english))
    names = [e["name"] for g in catalogue["groups"] for e in g["entries"]]
    assert "Mortgage registration" in names
