"""我要办公积金贷款 with the city's real department plugins (plugins/provident_fund and
plugins/real_estate, loaded through their entry points), per channel, through the BFF over HTTP:
the fund centre and the registration centre have imported their records (department feeds), a
new citizen signs in, verifies, sees the bundle for the county with the fund-balance widget, gets
the bundle form prefilled (identity and the property unit), applies with the registration proof
to be posted, chooses the courier and an address, fixes the fund centre's one correction, pays the
registration fee with WeChat Pay (real SDK, sandbox; a double tap makes one order, paying again is
refused), both departments decide, the sandbox courier delivers the 不动产登记证明 and the case is
delivered, the loan exists with its plan and the mortgage is registered, the citizen shows the
e-certificate as a QR a third party verifies, and rates both services."""

from __future__ import annotations

import asyncio

import pytest

from payments.models import Order
from plugins.provident_fund.items import FUND_LOAN_BUNDLE, LOAN_CODE
from plugins.provident_fund.models import Loan
from plugins.real_estate.items import MORTGAGE_CODE, PROOF_TYPE
from plugins.real_estate.models import Encumbrance
from tests.e2e.conftest import COUNTY, TOWNSHIP
from tests.e2e.test_citizen_journeys import ok, pay_wechat, settle, sign_in
from tests.plugins.support import feed_rows, id_for
from tests.plugins.test_provident_fund import account_row
from tests.support.auth import make_operator, make_staff

UNIT = "430281001002GB00012F00000009"
PROPERTY = {"unit_no": UNIT, "cert_no": "湘(2019)醴陵市不动产权第0000999号", "region_code": "430281001000",
            "address": "湖南省株洲市醴陵市瓷城大道9号2栋1单元301室", "usage": "residential", "area_m2_x100": "11000",
            "land_use_end": "2088-12-31", "registered_on": "2019-05-01"}


@pytest.mark.parametrize("channel", ["miniapp", "app"])
async def test_real_provident_fund_loan(http, sandbox, phone, tmp_path, channel):
    name = "黄志明"
    id_number = id_for("19750521", county="430221")
    number = "1380733" + ("9001" if channel == "miniapp" else "9002")
    # The departments' own records, imported by their feeds (not a phone action).
    await feed_rows(tmp_path, "real_estate", "properties", [PROPERTY])
    await feed_rows(tmp_path, "real_estate", "owners", [{"unit_no": UNIT, "id_number": id_number, "name": name,
                                                          "share_bp": "10000"}])
    await feed_rows(tmp_path, "provident_fund", "accounts", [account_row(id_number, name, balance_fen="4000000")])
    headers = await sign_in(http, phone, channel, name, id_number, number)
    operator = await make_operator()
    for code in (LOAN_CODE, MORTGAGE_CODE, FUND_LOAN_BUNDLE.code):
        ok(await http.put("/catalogue/enablement", headers=operator.headers,
                          json={"code": code, "region_code": COUNTY, "channel": "*", "enabled": True}))

    home = ok(await http.get(f"/bff/{channel}/home", headers=headers))
    assert FUND_LOAN_BUNDLE.code in [e["code"] for g in home["services"]["groups"] for e in g["entries"]]
    widget = next(w for w in home["widgets"] if w["plugin"] == "provident_fund")
    assert widget["data"]["balance_fen"] == 4_000_000 and widget["title"] == "公积金余额"

    # The bundle's one form, prefilled: identity (masked on screen) and the unit from the registry.
    detail = ok(await http.get(f"/bff/{channel}/services/{FUND_LOAN_BUNDLE.code}", headers=headers))
    assert detail["kind"] == "bundle" and detail["name"] == "我要办公积金贷款" and detail["can_apply"] is True
    assert detail["values"]["property_unit_no"] == UNIT  # 免填写 from the registration centre
    assert {"applicant_name", "applicant_id_number", "property_unit_no"} <= set(detail["prefilled"])
    assert detail["values"]["applicant_id_number"] != id_number
    assert {"loan_amount_fen", "loan_months", "mortgagee"} <= {f["key"] for f in detail["fields"]}

    form = {"phone": number, "loan_amount_fen": 30_000_000, "loan_months": 300, "repayment_method": "equal_instalment",
            "mortgagee": "株洲市住房公积金管理中心"}
    key = f"fund-loan-{channel}-1"
    apply = {"bundle_code": FUND_LOAN_BUNDLE.code, "form": form, "delivery": {MORTGAGE_CODE: {"result": "courier"}}}
    applied = ok(await http.post(f"/bff/{channel}/apply", json=apply, headers={**headers, "Idempotency-Key": key}), 201)
    replay = ok(await http.post(f"/bff/{channel}/apply", json=apply, headers={**headers, "Idempotency-Key": key}))
    assert replay["replayed"] is True and replay["bundle"]["id"] == applied["bundle"]["id"]
    bundle = applied["bundle"]
    assert bundle["fee_fen"] == 8_000 and len(bundle["cases"]) == 2
    case_of = {c["item_code"]: c["id"] for c in bundle["cases"]}

    # The registration proof by courier, to a new address; its fee (if the citizen pays it) too.
    posted = ok(await http.post(f"/bff/{channel}/cases/{case_of[MORTGAGE_CODE]}/delivery", headers=headers, json={
        "method": "courier", "courier": "sf",
        "address": {"name": name, "phone": number, "region_code": TOWNSHIP, "detail": "来龙门街道瓷城大道9号"}}))
    assert posted["delivery"]["result"] == "courier" and posted["shipment"]["open"] is True
    assert "courier" in posted["delivery_methods"]
    if posted["shipment"]["pay"]:
        await pay_wechat(http, sandbox, channel, headers, "delivery_fee", posted["shipment"]["no"])

    # The fund centre asks for one correction; the citizen fixes it.
    fund_staff = await make_staff(department_code="GJJ", roles=("clerk", "reviewer", "head"))
    registry_staff = await make_staff(department_code="BDC", roles=("clerk", "reviewer", "head"))
    ok(await http.post(f"/cases/{case_of[LOAN_CODE]}/actions/request_correction", headers=fund_staff.headers, json={
        "data": {"items": [{"target": "field", "key": "loan_months", "reason": "贷款期限请按还款能力改为240个月"}]}}))
    waiting = ok(await http.get(f"/bff/{channel}/cases?status=action", headers=headers))
    assert [c["id"] for c in waiting["items"]] == [case_of[LOAN_CODE]]
    assert waiting["items"][0]["corrections"][0]["key"] == "loan_months"
    fixed = ok(await http.post(f"/bff/{channel}/cases/{case_of[LOAN_CODE]}/resubmit", json={"form": {"loan_months": 240}},
                               headers=headers))
    assert fixed["corrections"] == [] and fixed["state"] == "pre_review"

    # Pay: a double tap (two taps at once, no key) makes one order; then WeChat Pay for real.
    taps = await asyncio.gather(*(http.post(f"/bff/{channel}/pay/bundle/{bundle['id']}", json={"method": "wechat"},
                                            headers=headers) for _ in range(2)))
    assert [t.status_code for t in taps] == [200, 200], [t.text for t in taps]
    assert taps[0].json()["order_no"] == taps[1].json()["order_no"]
    paid = await pay_wechat(http, sandbox, channel, headers, "bundle", bundle["id"])
    assert paid["order_no"] == taps[0].json()["order_no"]
    assert await Order.filter(purpose_kind="bundle", purpose_ref=str(bundle["id"])).count() == 1
    again = await http.post(f"/bff/{channel}/pay/bundle/{bundle['id']}", json={"method": "wechat"},
                            headers={**headers, "Accept-Language": "en"})
    assert again.status_code == 409 and again.json()["code"] == "payments.already_paid"
    assert again.json()["message"] == "This has already been paid"

    for case_id, staff in ((case_of[MORTGAGE_CODE], registry_staff), (case_of[LOAN_CODE], fund_staff)):
        for action in ("accept", "start_review", "approve"):
            ok(await http.post(f"/cases/{case_id}/actions/{action}", headers=staff.headers, json={}))
    await settle()

    # The sandbox courier carries the proof to the citizen; the case becomes delivered.
    parcels = ok(await http.get(f"/delivery/cases/{case_of[MORTGAGE_CODE]}/shipments", headers=headers))
    waybill = parcels[0]["waybill_no"]
    assert waybill and parcels[0]["courier"] == "sf"
    for _step in ("accepted", "picked_up", "in_transit", "delivered"):
        ok(await sandbox.post("/couriers/sf/_dev/advance", json={"waybill_no": waybill}))
        await settle()
    mortgage = ok(await http.get(f"/bff/{channel}/cases/{case_of[MORTGAGE_CODE]}", headers=headers))
    assert mortgage["state"] == "delivered" and mortgage["result"]["delivery"]["method"] == "courier"
    assert mortgage["result"]["delivery"]["waybill"] == waybill

    done = ok(await http.get(f"/bff/{channel}/bundles/{bundle['id']}", headers=headers))
    assert done["status"] == "completed" and done["payment_state"] == "paid"
    me = ok(await http.get(f"/bff/{channel}/me", headers=headers))["account"]["id"]
    loan = await Loan.get(account_id=me)
    assert loan.status == "approved" and loan.principal_fen == 30_000_000
    assert (await Encumbrance.get(unit_no=UNIT)).kind == "mortgage"
    timeline = ok(await http.get(f"/bff/{channel}/cases/{case_of[LOAN_CODE]}", headers=headers))["timeline"]
    assert [s["kind"] for s in timeline][:3] == ["submitted", "request_correction", "resubmit"]

    # 亮证: the 不动产登记证明 from the wallet as a short-lived QR; a bank verifies it.
    wallet = ok(await http.get(f"/bff/{channel}/certificates", headers=headers))
    proof = next(c for c in wallet["items"] if c["type_code"] == PROOF_TYPE)
    shown = ok(await http.post(f"/bff/{channel}/certificates/{proof['id']}/show", json={}, headers=headers))
    assert shown["code"] and shown["qr_svg"].startswith("data:image/svg+xml")
    verified = ok(await http.get("/certificates/verify", params={"code": shown["code"]}))
    assert "株洲市住房公积金管理中心" in str(verified) and id_number not in str(verified)

    for case_id in (case_of[LOAN_CODE], case_of[MORTGAGE_CODE]):
        rated = ok(await http.post(f"/bff/{channel}/rate/{case_id}", json={"level": 1, "comment": "一次办好"},
                                   headers=headers), 201)
        assert rated["level"] == 1
