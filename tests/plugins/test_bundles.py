"""The two bundles (一件事一次办) end to end through the HTTP API: one form with fields asked once,
one payment, child cases at two departments run in parallel, one result."""

from __future__ import annotations

import pytest

from core import tasks
from core.cases.bundles import mark_bundle_paid
from core.errors import AppError
from plugins.provident_fund.items import FUND_LOAN_BUNDLE, LOAN_CODE, WITHDRAW_CODE
from plugins.provident_fund.models import FundAccount, Loan, Withdrawal
from plugins.real_estate.items import MORTGAGE_CODE, PROOF_TYPE, SECOND_HAND_HOME, TRANSFER_CODE
from plugins.real_estate.models import Encumbrance, Owner, Transfer
from tests.plugins.support import enable, feed_rows, id_for, pay_with_card
from tests.plugins.test_provident_fund import account_row
from tests.support.auth import make_citizen, make_staff

UNIT = "430281001002GB00012F00000007"
PROPERTY = {"unit_no": UNIT, "cert_no": "湘(2018)株洲市不动产权第0000777号", "region_code": "430281001000",
            "address": "湖南省株洲市醴陵市长江北路8号1栋1单元602室", "usage": "residential", "area_m2_x100": "12000",
            "land_use_end": "2088-12-31", "registered_on": "2018-09-01"}


@pytest.fixture
async def city(app, tmp_path):
    owner_id, buyer_id = id_for("19750521", county="430221"), id_for("19930214")
    owner = await make_citizen(id_number=owner_id, name="黄志明")
    buyer = await make_citizen(id_number=buyer_id, name="谭雨桐")
    await feed_rows(tmp_path, "real_estate", "properties", [PROPERTY])
    await feed_rows(tmp_path, "real_estate", "owners", [{"unit_no": UNIT, "id_number": owner_id, "name": "黄志明",
                                                          "share_bp": "10000"}])
    await feed_rows(tmp_path, "provident_fund", "accounts", [
        account_row(owner_id, "黄志明", account_no="430200000000201", balance_fen="4000000"),
        account_row(buyer_id, "谭雨桐", account_no="430200000000202", balance_fen="9000000")])
    await enable(LOAN_CODE, WITHDRAW_CODE, MORTGAGE_CODE, TRANSFER_CODE, FUND_LOAN_BUNDLE.code, SECOND_HAND_HOME.code)
    return owner, buyer


async def run_through(client, case_id: int, staff) -> None:
    for action in ("accept", "start_review", "approve"):
        r = await client.post(f"/cases/{case_id}/actions/{action}", headers=staff.headers, json={})
        assert r.status_code == 200, (action, r.text)


async def test_provident_fund_loan_bundle(client, city):
    owner, _ = city
    r = await client.get(f"/catalogue/bundles/{FUND_LOAN_BUNDLE.code}/form", headers=owner.headers)
    assert r.status_code == 200, r.text
    keys = [f["key"] for f in r.json()["fields"]]
    for shared in ("applicant_name", "applicant_id_number", "phone", "property_unit_no", "loan_amount_fen",
                   "loan_months"):
        assert keys.count(shared) == 1, (shared, keys)  # asked once for both departments
    assert {"mortgagee", "repayment_method"} <= set(keys)
    assert r.json()["values"]["property_unit_no"] == UNIT  # prefilled from the registration centre (免填写)
    assert {"applicant_name", "applicant_id_number", "phone", "property_unit_no"} <= set(r.json()["prefilled"])
    form = {"phone": "13807339001", "loan_amount_fen": 30_000_000, "loan_months": 300,
            "repayment_method": "equal_instalment", "property_unit_no": UNIT, "mortgagee": "株洲市住房公积金管理中心"}
    r = await client.post("/bundles", headers=owner.headers, json={"bundle_code": FUND_LOAN_BUNDLE.code, "form": form})
    assert r.status_code == 201, r.text
    bundle = r.json()
    assert bundle["fee_fen"] == 8_000 and len(bundle["cases"]) == 2
    await pay_with_card(client, owner, "bundle", str(bundle["id"]), 8_000)  # one payment for both
    by_item = {c["item_code"]: c["id"] for c in bundle["cases"]}
    fund_staff = await make_staff(department_code="GJJ", roles=("clerk", "reviewer", "head"))
    registry_staff = await make_staff(department_code="BDC", roles=("clerk", "reviewer", "head"))
    await run_through(client, by_item[MORTGAGE_CODE], registry_staff)  # in parallel, any order
    await run_through(client, by_item[LOAN_CODE], fund_staff)
    done = (await client.get(f"/bundles/{bundle['id']}", headers=owner.headers)).json()
    assert done["status"] == "completed", done
    loan = await Loan.get(account_id=owner.account_id)
    assert loan.status == "approved" and loan.principal_fen == 30_000_000
    plan = (await client.get(f"/plugins/provident_fund/loans/{loan.id}", headers=owner.headers)).json()["plan"]
    assert sum(i["principal_fen"] for i in plan) == 30_000_000 and len(plan) == 300
    mortgage = await Encumbrance.get(unit_no=UNIT)
    assert (mortgage.kind, mortgage.amount_fen, mortgage.status) == ("mortgage", 30_000_000, "active")
    # The one result holds each child's result: the registration certificate (不动产登记证明) of the
    # mortgage, in the wallet with the loan's amount and term.
    results = {r["item_code"]: r for r in done["results"]}
    assert set(results) == {LOAN_CODE, MORTGAGE_CODE} and results[LOAN_CODE]["state"] == "approved"
    assert results[MORTGAGE_CODE]["result"]["registration_ref"] == mortgage.ref_no
    wallet = {c["identifier"]: c for c in (await client.get("/certificates", headers=owner.headers)).json()}
    proof = wallet[results[MORTGAGE_CODE]["result"]["certificate"]]
    content = {f["name"]: f["value"] for f in proof["fields"]}
    assert proof["type_code"] == PROOF_TYPE and content["cert_no"] == mortgage.ref_no
    assert content["secured_amount_fen"] == 30_000_000 and content["term"].endswith(mortgage.ends_on.isoformat())
    assert mortgage.ends_on.year == mortgage.starts_on.year + 25  # loan_months 300, asked once


async def test_second_hand_home_bundle(client, city):
    owner, buyer = city
    # One form: the fields both items ask (applicant, phone, price) appear once, the person prefilled.
    r = await client.get(f"/catalogue/bundles/{SECOND_HAND_HOME.code}/form", headers=buyer.headers)
    assert r.status_code == 200, r.text
    keys = [f["key"] for f in r.json()["fields"]]
    for shared in ("applicant_name", "applicant_id_number", "phone", "price_fen"):
        assert keys.count(shared) == 1, (shared, keys)
    assert {"seller_name", "withdraw_purpose", "bank_account"} <= set(keys)
    assert set(r.json()["prefilled"]) == {"applicant_name", "applicant_id_number", "phone"}
    assert r.json()["values"]["applicant_id_number"].endswith(buyer.id_number[-4:])  # masked on screen
    form = {"property_unit_no": UNIT, "price_fen": 96_000_000, "seller_name": "黄志明",
            "withdraw_purpose": "purchase", "withdraw_amount_fen": 9_000_000, "bank_account": "6217002920100012345"}
    r = await client.post("/bundles", headers=buyer.headers, json={"bundle_code": SECOND_HAND_HOME.code, "form": form})
    assert r.status_code == 201, r.text
    bundle = r.json()
    by_item = {c["item_code"]: c for c in bundle["cases"]}
    assert set(by_item) == {TRANSFER_CODE, WITHDRAW_CODE}
    for child in by_item.values():  # answered once, given to both departments (phone prefilled)
        assert child["form"]["price_fen"] == 96_000_000 and child["form"]["phone"].startswith("139")
    [transfer] = (await client.get("/plugins/real_estate/transfers", headers=buyer.headers)).json()["transfers"]
    assert transfer["deed_tax_rate_bp"] == 150 and transfer["deed_tax_fen"] == 1_440_000  # 1.5 %: 120 m²
    assert transfer["bundle_case_id"] == bundle["id"]
    registry_staff = await make_staff(department_code="BDC", roles=("clerk", "reviewer", "head"))
    r = await client.post(f"/cases/{by_item[TRANSFER_CODE]['id']}/actions/accept", headers=registry_staff.headers, json={})
    assert r.status_code == 409 and r.json()["code"] == "cases.held"  # seller not confirmed, nothing paid
    # The one payment cannot be made while the deed tax is unknown (the seller has not confirmed).
    await client.post("/card", headers=buyer.headers)
    r = await client.post("/payments/orders", headers=buyer.headers,
                          json={"purpose_kind": "bundle", "purpose_ref": str(bundle["id"]), "client_key": "bundle-early-1"})
    assert r.status_code == 409 and r.json()["code"] == "cases.bundle_charge_pending", r.text
    assert r.json()["details"]["reason"] == "real_estate.not_confirmed"
    assert r.json()["details"]["case_no"] == by_item[TRANSFER_CODE]["case_no"]
    assert (await client.post(f"/plugins/real_estate/transfers/{transfer['id']}/confirm",
                              headers=owner.headers)).status_code == 201
    # The deed tax of a bundle's transfer is not paid on its own.
    r = await client.post("/payments/orders", headers=buyer.headers,
                          json={"purpose_kind": "deed_tax", "purpose_ref": str(transfer["id"]), "client_key": "deed-tax-alone"})
    assert r.status_code == 409 and r.json()["code"] == "real_estate.pay_with_bundle", r.text
    # The amount is checked: a report of the fee alone is refused and changes nothing.
    with pytest.raises(AppError) as wrong:
        await mark_bundle_paid(bundle["id"], amount_fen=8_000, payment_ref="ZS-WRONG-AMOUNT")
    assert wrong.value.code == "cases.payment_mismatch" and wrong.value.details["expected_fen"] == 1_448_000
    assert (await Transfer.get(id=transfer["id"])).payment_order_no is None
    # One payment: the registration fee and the deed tax together.
    order = await pay_with_card(client, buyer, "bundle", str(bundle["id"]), 8_000 + 1_440_000)
    assert order["amount_fen"] == 8_000 + 1_440_000
    await tasks.drain()
    paid = await Transfer.get(id=transfer["id"])
    assert paid.payment_order_no == order["order_no"] and paid.status == "tax_paid"
    r = await client.get(f"/bundles/{bundle['id']}", headers=buyer.headers)
    assert r.json()["payment_state"] == "paid"
    assert all(c["holds"] == [] for c in r.json()["cases"])  # payment, seller and deed-tax holds all released
    # A duplicate notification of that payment changes nothing; another amount is refused.
    from core.cases.payment_purposes import bundle_paid
    from payments.api import get_order

    info = await get_order(order["order_no"])
    await bundle_paid(info)
    assert (await Transfer.get(id=transfer["id"])).payment_order_no == order["order_no"]
    r = await client.post("/payments/orders", headers=buyer.headers,
                          json={"purpose_kind": "bundle", "purpose_ref": str(bundle["id"]), "client_key": "bundle-again-1"})
    assert r.status_code == 409, r.text

    fund_staff = await make_staff(department_code="GJJ", roles=("clerk", "reviewer", "head"))
    await run_through(client, by_item[WITHDRAW_CODE]["id"], fund_staff)
    await run_through(client, by_item[TRANSFER_CODE]["id"], registry_staff)
    done = (await client.get(f"/bundles/{bundle['id']}", headers=buyer.headers)).json()
    assert done["status"] == "completed", done
    assert (await Transfer.get(id=transfer["id"])).status == "registered"
    assert [o.name_masked for o in await Owner.filter(unit_no=UNIT)] == ["谭*桐"]
    withdrawal = await Withdrawal.get(account_id=buyer.account_id)
    assert withdrawal.status == "paid" and withdrawal.purpose == "purchase"
    assert (await FundAccount.get(account_no="430200000000202")).balance_fen == 0
    # The one result holds each child's result: the new title certificate in the buyer's wallet.
    results = {r["item_code"]: r for r in done["results"]}
    assert set(results) == {TRANSFER_CODE, WITHDRAW_CODE}
    assert results[WITHDRAW_CODE]["state"] == "approved"
    registered = await Transfer.get(id=transfer["id"])
    assert results[TRANSFER_CODE]["result"]["cert_no"] == registered.new_cert_no
    wallet = {c["identifier"]: c for c in (await client.get("/certificates", headers=buyer.headers)).json()}
    title = wallet[results[TRANSFER_CODE]["result"]["certificate"]]
    assert title["type_code"] == "BDCQZS"
    assert {f["name"]: f["value"] for f in title["fields"]}["cert_no"] == registered.new_cert_no
