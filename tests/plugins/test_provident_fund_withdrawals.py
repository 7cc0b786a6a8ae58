"""Provident-fund withdrawal rules per purpose through the HTTP API (refusals with their stable
codes, nothing written), rent and retirement payouts recorded, and the hourly task
provident_fund.reconcile_pending paying out an approval whose listener failed."""

from __future__ import annotations

import pytest

from core.feeds.synthetic import months_back
from plugins.provident_fund.items import WITHDRAW_CODE
from plugins.provident_fund.models import FundAccount, JournalEntry, Withdrawal
from tests.plugins.support import enable, feed_rows, id_for, this_month
from tests.plugins.test_provident_fund import BALANCE, account_row, saver  # noqa: F401 (fixture)
from tests.support.auth import make_citizen, make_staff

ACCOUNT = "430200000000101"
BANK = "6222020200001234567"
APPROVE = ("accept", "start_review", "approve")


def rent(amount_fen: int) -> dict:
    return {"withdraw_purpose": "rent", "withdraw_amount_fen": amount_fen, "bank_account": BANK}


async def apply(client, citizen, form: dict):
    return await client.post("/plugins/provident_fund/withdrawals", headers=citizen.headers, json={"form": form})


async def decide(client, case_id: int, actions=APPROVE) -> None:
    head = await make_staff(department_code="GJJ", roles=("clerk", "reviewer", "head"))
    for action in actions:
        r = await client.post(f"/cases/{case_id}/actions/{action}", headers=head.headers, json={})
        assert r.status_code == 200, (action, r.text)


async def assert_paid(case_no: str, amount_fen: int, balance_after: int) -> Withdrawal:
    withdrawal = await Withdrawal.get(case_no=case_no)
    assert withdrawal.status == "paid" and withdrawal.decided_at is not None
    entry = await JournalEntry.get(txn_no=withdrawal.payout_txn_no)
    assert (entry.kind, entry.amount_fen, entry.balance_after_fen) == ("withdrawal", -amount_fen, balance_after)
    assert (await FundAccount.get(account_no=withdrawal.account_no)).balance_fen == balance_after
    return withdrawal


async def test_purchase_over_the_price_is_refused(client, saver):  # noqa: F811
    form = {"withdraw_purpose": "purchase", "withdraw_amount_fen": 2_000_001, "price_fen": 2_000_000, "bank_account": BANK}
    r = await apply(client, saver, form)
    assert r.status_code == 409 and r.json()["code"] == "provident_fund.rule_violated", r.text
    assert r.json()["details"] == {"purpose": "purchase", "rule": "the amount may not exceed the purchase price",
                                   "price_fen": 2_000_000}
    assert "购房提取" in r.json()["message"] and r.json()["message_en"]
    assert await Withdrawal.all().count() == 0
    assert (await FundAccount.get(account_no=ACCOUNT)).balance_fen == BALANCE


async def test_rent_needs_deposits_within_three_months_then_pays_out_under_the_yearly_cap(client, saver):  # noqa: F811
    four_back, three_back = months_back(this_month(), 5)[:2]  # 4 and 3 months before this one
    await FundAccount.filter(account_no=ACCOUNT).update(last_period=four_back)
    r = await apply(client, saver, rent(600_000))
    assert r.status_code == 409 and r.json()["code"] == "provident_fund.rule_violated", r.text
    assert r.json()["details"]["rule"] == "deposits must be up to date within the last 3 months"
    assert r.json()["details"]["last_period"] == four_back
    assert await Withdrawal.all().count() == 0

    await FundAccount.filter(account_no=ACCOUNT).update(last_period=three_back)  # just within
    r = await apply(client, saver, rent(1_200_000))
    assert r.status_code == 201, r.text
    await decide(client, r.json()["case_id"])
    await assert_paid(r.json()["case_no"], 1_200_000, BALANCE - 1_200_000)

    r = await apply(client, saver, rent(600_001))  # 12,000 + 6,000.01 yuan > 18,000 this year
    assert r.status_code == 409 and r.json()["details"]["already_fen"] == 1_200_000, r.text
    r = await apply(client, saver, rent(600_000))  # up to the cap exactly
    assert r.status_code == 201, r.text
    assert await Withdrawal.filter(purpose="rent").count() == 2


@pytest.fixture
async def retiree(app, tmp_path):
    id_number = id_for("19600310", county="430221")  # a man of 66
    person = await make_citizen(id_number=id_number, name="赵德明")
    await feed_rows(tmp_path, "provident_fund", "accounts", [
        account_row(id_number, "赵德明", account_no="430200000000301", status="sealed", balance_fen="8765432",
                    last_period="202401")])
    await enable(WITHDRAW_CODE)
    return person


def retirement(amount_fen: int) -> dict:
    return {"withdraw_purpose": "retirement", "withdraw_amount_fen": amount_fen, "bank_account": BANK}


async def test_retirement_withdraws_the_whole_balance_and_closes_the_account(client, retiree):
    r = await apply(client, retiree, retirement(8_000_000))
    assert r.status_code == 409 and r.json()["code"] == "provident_fund.rule_violated", r.text
    assert r.json()["details"]["rule"] == "retirement withdraws the whole balance and closes the account"
    assert r.json()["details"]["balance_fen"] == 8_765_432
    assert await Withdrawal.all().count() == 0

    r = await apply(client, retiree, retirement(8_765_432))  # a sealed account may be withdrawn on retirement
    assert r.status_code == 201, r.text
    await decide(client, r.json()["case_id"])
    await assert_paid(r.json()["case_no"], 8_765_432, 0)
    account = await FundAccount.get(account_no="430200000000301")
    assert account.status == "closed"
    r = await apply(client, retiree, retirement(1))
    assert r.status_code == 409 and r.json()["code"] == "provident_fund.account_not_normal", r.text
    assert r.json()["details"] == {"status": "closed"}


async def test_reconcile_pays_out_an_approval_whose_listener_failed(client, saver, monkeypatch):  # noqa: F811
    from plugins.provident_fund import service
    from plugins.provident_fund.tasks import reconcile_pending

    approved = await apply(client, saver, rent(500_000))
    in_review = await apply(client, saver, rent(400_000))
    assert approved.status_code == 201 and in_review.status_code == 201, (approved.text, in_review.text)

    async def database_gone(case_no):  # the payout fails after the approval committed (logged, not undone)
        raise ConnectionError("database connection lost")

    monkeypatch.setattr(service, "pay_out", database_gone)
    await decide(client, approved.json()["case_id"])
    monkeypatch.undo()
    await decide(client, in_review.json()["case_id"], ("accept", "start_review"))
    case = (await client.get(f"/cases/{approved.json()['case_id']}", headers=saver.headers)).json()
    assert case["state"] == "approved"
    assert await Withdrawal.filter(status="pending").count() == 2
    assert (await FundAccount.get(account_no=ACCOUNT)).balance_fen == BALANCE

    assert await reconcile_pending() == 1  # the approved one only
    await assert_paid(approved.json()["case_no"], 500_000, BALANCE - 500_000)
    assert (await Withdrawal.get(case_no=in_review.json()["case_no"])).status == "pending"
    assert await reconcile_pending() == 0  # nothing twice
    assert (await FundAccount.get(account_no=ACCOUNT)).balance_fen == BALANCE - 500_000
    assert await JournalEntry.filter(kind="withdrawal").count() == 1


async def test_staff_list_the_applications_of_their_department_and_region_only(client, saver):  # noqa: F811
    from tests.plugins.support import HOME

    r = await apply(client, saver, rent(300_000))
    assert r.status_code == 201, r.text
    case_no = r.json()["case_no"]
    url = "/plugins/provident_fund/staff/applications"
    for region in (HOME, "430200000000"):  # the case's county, and the city above it
        county = await make_staff(department_code="GJJ", roles=("clerk",), region_code=region)
        listed = (await client.get(url, headers=county.headers)).json()
        assert [w["case_no"] for w in listed["withdrawals"]] == [case_no], region
    elsewhere = await make_staff(department_code="GJJ", roles=("head",), region_code="430202000000")
    r = await client.get(url, headers=elsewhere.headers)
    assert r.status_code == 200 and r.json()["withdrawals"] == [] and r.json()["loans"] == []
    bureau = await make_staff(department_code="RSJ", roles=("head",), region_code=HOME)
    assert (await client.get(url, headers=bureau.headers)).status_code == 403
    assert (await client.get(url, headers=saver.headers)).status_code == 403


async def test_a_malformed_form_is_refused_with_every_error_and_writes_nothing(client, saver):  # noqa: F811
    r = await apply(client, saver, {"withdraw_purpose": "rent", "withdraw_amount_fen": "abc", "bank_account": "12"})
    assert r.status_code == 422 and r.json()["code"] == "cases.application_invalid", r.text
    assert {e["field"] for e in r.json()["details"]["errors"]} == {"form.withdraw_amount_fen", "form.bank_account"}
    r = await apply(client, saver, {})
    assert r.status_code == 422 and {e["field"] for e in r.json()["details"]["errors"]} == {
        "form.withdraw_purpose", "form.withdraw_amount_fen", "form.bank_account"}
    r = await client.post("/plugins/provident_fund/withdrawals", headers=saver.headers, json={"form": "rent"})
    assert r.status_code == 422 and r.json()["details"]["errors"][0]["field"] == "form"
    r = await client.post("/plugins/provident_fund/loans", headers=saver.headers, json={"form": {"loan_months": "x"}})
    assert r.status_code == 422 and "form.loan_months" in {e["field"] for e in r.json()["details"]["errors"]}
    assert await Withdrawal.all().count() == 0


async def test_the_retirement_age_comes_from_the_verified_id_not_the_form(client, saver):  # noqa: F811
    older = id_for("19600310", county="430221")  # someone else's, of retirement age
    form = {**retirement(BALANCE), "applicant_id_number": older}
    r = await apply(client, saver, form)
    assert r.status_code == 409 and r.json()["details"]["rule"].startswith("the applicant has not reached"), r.text
    # Through the platform's own application route, the form cannot name anyone but the applicant.
    r = await client.post("/cases", headers=saver.headers, json={"item_code": WITHDRAW_CODE, "form": form})
    assert r.status_code == 422, r.text
    assert {(e["field"], e["code"]) for e in r.json()["details"]["errors"]} == {("form.applicant_id_number", "verified_identity")}
    assert await Withdrawal.all().count() == 0
    assert (await FundAccount.get(account_no=ACCOUNT)).balance_fen == BALANCE
