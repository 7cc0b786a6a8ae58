"""The two bundles (一件事一次办) end to end through the HTTP API: one form with fields asked once,
one payment, child cases at two departments run in parallel, one result."""

from __future__ import annotations

import pytest

from core import tasks
from plugins.provident_fund.items import FUND_LOAN_BUNDLE, LOAN_CODE, WITHDRAW_CODE
from plugins.provident_fund.models import FundAccount, Loan, Withdrawal
from plugins.real_estate.items import MORTGAGE_CODE, SECOND_HAND_HOME, TRANSFER_CODE
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
    assert keys.count("property_unit_no") == 1 and keys.count("loan_amount_fen") == 1  # asked once
    assert keys.count("applicant_id_number") == 1
    assert r.json()["values"]["property_unit_no"] == UNIT  # prefilled from the registration centre (免填写)
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


async def test_second_hand_home_bundle(client, city):
    owner, buyer = city
    form = {"phone": "13807339002", "property_unit_no": UNIT, "price_fen": 96_000_000, "seller_name": "黄志明",
            "withdraw_purpose": "purchase", "withdraw_amount_fen": 9_000_000, "bank_account": "6217002920100012345"}
    r = await client.post("/bundles", headers=buyer.headers, json={"bundle_code": SECOND_HAND_HOME.code, "form": form})
    assert r.status_code == 201, r.text
    bundle = r.json()
    by_item = {c["item_code"]: c["id"] for c in bundle["cases"]}
    assert set(by_item) == {TRANSFER_CODE, WITHDRAW_CODE}
    [transfer] = (await client.get("/plugins/real_estate/transfers", headers=buyer.headers)).json()["transfers"]
    assert transfer["deed_tax_rate_bp"] == 150 and transfer["deed_tax_fen"] == 1_440_000  # 1.5 %: 120 m²
    registry_staff = await make_staff(department_code="BDC", roles=("clerk", "reviewer", "head"))
    r = await client.post(f"/cases/{by_item[TRANSFER_CODE]}/actions/accept", headers=registry_staff.headers, json={})
    assert r.status_code == 409 and r.json()["code"] == "cases.held"  # seller not confirmed, nothing paid
    assert (await client.post(f"/plugins/real_estate/transfers/{transfer['id']}/confirm",
                              headers=owner.headers)).status_code == 201
    await pay_with_card(client, buyer, "bundle", str(bundle["id"]), 8_000)
    await pay_with_card(client, buyer, "deed_tax", str(transfer["id"]), 1_440_000)
    await tasks.drain()
    fund_staff = await make_staff(department_code="GJJ", roles=("clerk", "reviewer", "head"))
    await run_through(client, by_item[WITHDRAW_CODE], fund_staff)
    await run_through(client, by_item[TRANSFER_CODE], registry_staff)
    done = (await client.get(f"/bundles/{bundle['id']}", headers=buyer.headers)).json()
    assert done["status"] == "completed", done
    assert (await Transfer.get(id=transfer["id"])).status == "registered"
    assert [o.name_masked for o in await Owner.filter(unit_no=UNIT)] == ["谭*桐"]
    withdrawal = await Withdrawal.get(account_id=buyer.account_id)
    assert withdrawal.status == "paid" and withdrawal.purpose == "purchase"
    assert (await FundAccount.get(account_no="430200000000202")).balance_fen == 0
