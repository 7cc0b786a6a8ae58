"""Housing provident fund through the HTTP API on imported data: the citizen's own account and
journal, the balance widget, prefill from the own account, the proof of deposits (缴存证明) as an
instant e-certificate, withdrawals (rules, refusals, payout recorded), loans with plans.
More withdrawal rules and the reconcile task: test_provident_fund_withdrawals.py; plans to the fen:
test_provident_fund_loans.py."""

from __future__ import annotations

import pytest

from plugins.provident_fund.items import DEPOSIT_PROOF_CODE, LOAN_CODE, WITHDRAW_CODE
from plugins.provident_fund.models import FundAccount, JournalEntry, Loan, Withdrawal
from tests.plugins.support import enable, feed_rows, id_for, this_month
from tests.support.auth import make_citizen, make_staff

BALANCE = 5_000_000  # 50,000 yuan


def account_row(id_number: str, name: str, **over) -> dict:
    row = {"account_no": "430200000000101", "id_number": id_number, "name": name, "employer_name": "株洲时代电子有限公司",
           "employer_uscc": "91430211MA4L5Y6W01", "status": "normal", "balance_fen": str(BALANCE),
           "deposit_base_fen": "800000", "personal_rate_bp": "1200", "employer_rate_bp": "1200",
           "opened_on": "2015-03-01", "last_period": this_month(), "region_code": "430281001000"}
    row.update(over)
    return row


@pytest.fixture
async def saver(app, tmp_path):
    from stdnum.cn import uscc

    id_number = id_for("19900715")
    person = await make_citizen(id_number=id_number, name="王建国")
    code = "91430211MA4L5Y6W0"
    row = account_row(id_number, "王建国", employer_uscc=code + uscc.calc_check_digit(code + "0"))
    await feed_rows(tmp_path, "provident_fund", "accounts", [row])
    await feed_rows(tmp_path, "provident_fund", "journal", [
        {"txn_no": f"J{this_month()}01", "account_no": row["account_no"], "kind": "deposit", "period": this_month(),
         "amount_fen": "192000", "balance_after_fen": str(BALANCE), "booked_on": "2026-01-10"}])
    await enable(WITHDRAW_CODE, LOAN_CODE, DEPOSIT_PROOF_CODE)
    return person


async def test_own_account_journal_and_widget_only(client, saver, host):
    r = await client.get("/plugins/provident_fund/me", headers=saver.headers)
    assert r.status_code == 200, r.text
    [account] = r.json()["accounts"]
    assert account["balance_fen"] == BALANCE and account["monthly_deposit_fen"] == 192_000
    assert account["name"] == "王*国" and "*" in account["id_number"]
    r = await client.get("/plugins/provident_fund/me/journal", headers=saver.headers)
    assert r.json()["entries"][0]["amount_fen"] == 192_000
    stranger = await make_citizen()
    assert (await client.get("/plugins/provident_fund/me", headers=stranger.headers)).json() == {"accounts": []}
    r = await client.get("/plugins/provident_fund/me/journal?account_no=430200000000101", headers=stranger.headers)
    assert r.status_code == 404
    assert (await client.get("/plugins/provident_fund/me")).status_code == 401
    widgets = dict(await host.gather("zhushida_home_widgets", user=saver.principal, region=None, channel="app"))
    assert widgets["provident_fund"].data["balance_fen"] == BALANCE


async def test_withdrawal_refusals_have_stable_codes_and_write_nothing(client, saver):
    base = {"withdraw_purpose": "purchase", "withdraw_amount_fen": BALANCE + 1, "price_fen": 90_000_000,
            "bank_account": "6222020200001234567"}
    r = await client.post("/plugins/provident_fund/withdrawals", headers=saver.headers, json={"form": base})
    assert r.status_code == 409 and r.json()["code"] == "provident_fund.over_balance", r.text
    rent = {**base, "withdraw_purpose": "rent", "withdraw_amount_fen": 2_000_000}
    del rent["price_fen"]
    r = await client.post("/plugins/provident_fund/withdrawals", headers=saver.headers, json={"form": rent})
    assert r.status_code == 409 and r.json()["code"] == "provident_fund.rule_violated"
    assert r.json()["details"]["cap_fen"] == 1_800_000 and r.json()["message_en"]
    retire = {**rent, "withdraw_purpose": "retirement", "withdraw_amount_fen": BALANCE}
    r = await client.post("/plugins/provident_fund/withdrawals", headers=saver.headers, json={"form": retire})
    assert r.status_code == 409 and r.json()["details"]["rule"].startswith("the applicant has not reached")
    assert await Withdrawal.all().count() == 0


async def test_generic_submission_over_the_balance_is_refused_by_the_system(client, saver):
    form = {"withdraw_purpose": "purchase", "withdraw_amount_fen": BALANCE + 100, "price_fen": 90_000_000,
            "bank_account": "6222020200001234567", "phone": "13807330001"}
    r = await client.post("/cases", headers=saver.headers, json={"item_code": WITHDRAW_CODE, "form": form})
    assert r.status_code == 201, r.text
    case = (await client.get(f"/cases/{r.json()['id']}", headers=saver.headers)).json()
    assert case["state"] == "not_accepted"
    events = (await client.get(f"/cases/{case['id']}/events", headers=saver.headers)).json()
    events = events["events"] if isinstance(events, dict) else events
    reject = next(e for e in events if e["kind"] == "reject")
    assert reject["actor_kind"] == "system" and "provident_fund.over_balance" in str(reject), reject
    assert await Withdrawal.all().count() == 0


async def test_purchase_withdrawal_is_approved_and_paid_out_once(client, saver):
    form = {"withdraw_purpose": "purchase", "withdraw_amount_fen": 3_000_000, "price_fen": 90_000_000,
            "bank_account": "6222020200001234567"}
    r = await client.post("/plugins/provident_fund/withdrawals", headers=saver.headers, json={"form": form})
    assert r.status_code == 201, r.text
    case_id = r.json()["case_id"]
    assert r.json()["withdrawal"]["status"] == "pending" and r.json()["withdrawal"]["bank_account"].endswith("4567")
    head = await make_staff(department_code="GJJ", roles=("clerk", "reviewer", "head"))
    for action in ("accept", "start_review", "approve"):
        r = await client.post(f"/cases/{case_id}/actions/{action}", headers=head.headers, json={})
        assert r.status_code == 200, (action, r.text)
    withdrawal = await Withdrawal.get(case_no=r.json()["case_no"])
    assert withdrawal.status == "paid" and withdrawal.payout_txn_no
    account = await FundAccount.get(account_no="430200000000101")
    assert account.balance_fen == BALANCE - 3_000_000
    entry = await JournalEntry.get(txn_no=withdrawal.payout_txn_no)
    assert entry.amount_fen == -3_000_000 and entry.balance_after_fen == account.balance_fen
    case = (await client.get(f"/cases/{case_id}", headers=saver.headers)).json()
    assert case["result"] == {"payout_txn_no": withdrawal.payout_txn_no, "amount_fen": 3_000_000, "purpose": "purchase",
                              "bank_account": withdrawal.bank_account_masked, "account_closed": False}
    from plugins.provident_fund import service

    await service.pay_out(withdrawal.case_no)  # replay: nothing more
    assert (await FundAccount.get(account_no="430200000000101")).balance_fen == BALANCE - 3_000_000
    listed = (await client.get("/plugins/provident_fund/staff/applications", headers=head.headers)).json()
    assert listed["withdrawals"][0]["status"] == "paid"
    other_dept = await make_staff(department_code="BDC", roles=("head",))
    assert (await client.get("/plugins/provident_fund/staff/applications", headers=other_dept.headers)).status_code == 403


@pytest.mark.parametrize("method", ["equal_instalment", "equal_principal"])
async def test_loan_application_with_a_plan_to_the_fen(client, saver, method):
    form = {"loan_amount_fen": 40_000_000, "loan_months": 240, "repayment_method": method,
            "property_unit_no": "430281001002GB00012F00000001"}
    r = await client.post("/plugins/provident_fund/loans", headers=saver.headers, json={"form": form})
    assert r.status_code == 201, r.text
    loan = r.json()["loan"]
    assert loan["annual_rate_bp"] == 285 and len(loan["plan"]) == 240 and loan["status"] == "applied"
    assert sum(i["principal_fen"] for i in loan["plan"]) == 40_000_000
    assert loan["plan"][-1]["remaining_fen"] == 0
    assert all(i["principal_fen"] + i["interest_fen"] == i["payment_fen"] for i in loan["plan"])
    if method == "equal_instalment":  # constant payment but the last
        assert len({i["payment_fen"] for i in loan["plan"][:-1]}) == 1
    else:
        assert {i["principal_fen"] for i in loan["plan"]} == {166_667, 166_666}
    stranger = await make_citizen()
    assert (await client.get(f"/plugins/provident_fund/loans/{loan['id']}", headers=stranger.headers)).status_code == 404
    head = await make_staff(department_code="GJJ", roles=("clerk", "reviewer", "head"))
    for action in ("accept", "start_review", "approve"):
        assert (await client.post(f"/cases/{r.json()['case_id']}/actions/{action}", headers=head.headers,
                                  json={})).status_code == 200
    assert (await Loan.get(id=loan["id"])).status == "approved"
    result = (await client.get(f"/cases/{r.json()['case_id']}", headers=saver.headers)).json()["result"]
    assert result == {"loan_id": loan["id"], "principal_fen": 40_000_000, "annual_rate_bp": 285, "months": 240,
                      "method": method, "total_interest_fen": sum(i["interest_fen"] for i in loan["plan"]),
                      "first_payment_fen": loan["plan"][0]["payment_fen"], "first_due_on": loan["plan"][0]["due_on"]}


async def test_loan_over_the_limit_is_refused(client, saver):
    account = await FundAccount.get(account_no="430200000000101")
    await FundAccount.filter(id=account.id).update(balance_fen=1_000_000)  # limit: 15 x 10,000 yuan
    form = {"loan_amount_fen": 20_000_000, "loan_months": 120, "repayment_method": "equal_principal",
            "property_unit_no": "430281001002GB00012F00000001"}
    r = await client.post("/plugins/provident_fund/loans", headers=saver.headers, json={"form": form})
    assert r.status_code == 409 and r.json()["code"] == "provident_fund.loan_invalid", r.text
    assert r.json()["details"]["limit_fen"] == 15_000_000
    assert await Loan.all().count() == 0


async def test_plan_calculator(client, saver):
    r = await client.get("/plugins/provident_fund/loan-plan?principal_fen=50000000&months=360", headers=saver.headers)
    assert r.status_code == 200
    assert r.json()["plan"][0]["payment_fen"] == 206_779  # 2,067.79 yuan: 500,000 over 30 years at 2.85 %
    assert r.json()["totals"]["principal_fen"] == 50_000_000
    bad = await client.get("/plugins/provident_fund/loan-plan?principal_fen=1&months=12&method=x", headers=saver.headers)
    assert bad.status_code == 400


async def test_deposit_proof_is_an_instant_e_certificate(client, saver, tmp_path):
    from core.certificates.identifier import parse
    from core.feeds.synthetic import months_back
    from plugins.provident_fund.items import BODY

    earlier = months_back(this_month(), 3)[:2]  # two more deposit months, and an interest line that is no deposit
    await feed_rows(tmp_path, "provident_fund", "journal", [
        *({"txn_no": f"J{m}01", "account_no": "430200000000101", "kind": "deposit", "period": m, "amount_fen": "192000",
           "balance_after_fen": str(BALANCE), "booked_on": f"{m[:4]}-{m[4:]}-10"} for m in earlier),
        {"txn_no": f"J{earlier[0]}I", "account_no": "430200000000101", "kind": "interest", "period": earlier[0],
         "amount_fen": "7500", "balance_after_fen": str(BALANCE), "booked_on": f"{earlier[0][:4]}-{earlier[0][4:]}-28"}])
    r = await client.post("/plugins/provident_fund/deposit-proofs", headers=saver.headers, json={"proof_use": "loan"})
    assert r.status_code == 201, r.text
    assert r.json()["state"] == "approved" and r.json()["result"]["deposited"] is True
    result = r.json()["result"]
    identifier = parse(result["certificate"])
    assert (identifier.type_code, identifier.issuer_credit_code, identifier.version) == ("GJJJCZM", BODY, 1)
    r = await client.get(f"/certificates/{result['certificate_id']}", headers=saver.headers)
    assert r.status_code == 200, r.text
    cert = r.json()
    assert (cert["type_name"], cert["issuer_name"], cert["status"]) == ("住房公积金缴存证明", "株洲市住房公积金管理中心", "valid")
    id_number = id_for("19900715")
    assert {f["name"]: f["value"] for f in cert["fields"]} == {
        "name": "王*国", "id_number": id_number[:3] + "*" * 11 + id_number[-4:],
        "account_no": "430********0101",  # masked like every long number on the platform
        "employer": "株洲时代电子有限公司", "status": "正常缴存", "opened_on": "2015-03-01",
        "deposit_base": "8000.00", "deposit_rates": "单位12%，个人12%", "monthly_deposit": "1920.00",
        "deposit_from": earlier[0], "paid_up_to": this_month(), "deposit_months": 3, "balance": "50000.00"}
    wallet = (await client.get("/certificates", headers=saver.headers)).json()
    assert [c["identifier"] for c in wallet] == [result["certificate"]]
    stranger = await make_citizen()
    r = await client.post("/plugins/provident_fund/deposit-proofs", headers=stranger.headers, json={})
    assert r.status_code == 404 and r.json()["code"] == "provident_fund.no_account"
    assert (await client.get(f"/certificates/{result['certificate_id']}", headers=stranger.headers)).status_code == 404


async def test_forms_are_prefilled_from_the_own_account_only(client, saver, tmp_path, host):
    from core.catalogue.registry import get_registry

    r = await client.get(f"/catalogue/items/{LOAN_CODE}/form", headers=saver.headers)
    assert r.status_code == 200, r.text
    values = r.json()["values"]
    assert values["fund_account_no"] == "430200000000101" and values["employer_name"] == "株洲时代电子有限公司"
    neighbour_id = id_for("19920301")
    neighbour = await make_citizen(id_number=neighbour_id, name="李红")
    await feed_rows(tmp_path, "provident_fund", "accounts", [
        account_row(neighbour_id, "李红", account_no="430200000000102", employer_name="株洲中车机车配件有限公司",
                    balance_fen="1234500")])
    values = (await client.get(f"/catalogue/items/{LOAN_CODE}/form", headers=neighbour.headers)).json()["values"]
    assert (values["fund_account_no"], values["employer_name"]) == ("430200000000102", "株洲中车机车配件有限公司")
    stranger = await make_citizen()
    values = (await client.get(f"/catalogue/items/{LOAN_CODE}/form", headers=stranger.headers)).json()["values"]
    assert "fund_account_no" not in values and "employer_name" not in values
    keys = ["provident_fund.account_no", "provident_fund.monthly_deposit_fen", "provident_fund.balance_fen"]
    item = get_registry().item(LOAN_CODE)
    answers = dict(await host.gather("zhushida_form_prefill", account_id=neighbour.account_id, item=item, keys=keys))
    assert answers["provident_fund"] == {"provident_fund.account_no": "430200000000102",
                                         "provident_fund.monthly_deposit_fen": 192_000,
                                         "provident_fund.balance_fen": 1_234_500}
    answers = dict(await host.gather("zhushida_form_prefill", account_id=stranger.account_id, item=item, keys=keys))
    assert not answers.get("provident_fund")
    # Naming another citizen's account in a form finds nothing, and writes nothing.
    form = {"loan_amount_fen": 10_000_000, "loan_months": 120, "repayment_method": "equal_principal",
            "property_unit_no": "430281001002GB00012F00000001", "fund_account_no": "430200000000102"}
    r = await client.post("/plugins/provident_fund/loans", headers=saver.headers, json={"form": form})
    assert r.status_code == 404 and r.json()["code"] == "provident_fund.no_account", r.text
    r = await client.post("/plugins/provident_fund/deposit-proofs", headers=saver.headers,
                          json={"account_no": "430200000000102"})
    assert r.status_code == 404 and r.json()["code"] == "provident_fund.no_account"
    assert await Loan.all().count() == 0
