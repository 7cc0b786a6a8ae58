"""The fund centre's logic on imported data: a citizen's accounts, prefill, the proof of deposits,
withdrawals (checked, paid out under a row lock), loans with repayment plans. Case events drive it
(events.py)."""

from __future__ import annotations

import contextlib
import datetime as dt
from typing import Any

from core import errors
from core.db import transaction
from core.feeds import pii
from plugins.provident_fund import loans, rules
from plugins.provident_fund.models import (
    FundAccount,
    JournalEntry,
    Loan,
    LoanInstalment,
    Withdrawal,
)

SHANGHAI = dt.timezone(dt.timedelta(hours=8))
PLUGIN = "plugin:provident_fund"
STATUS_ZH = {"normal": "正常缴存", "sealed": "封存", "closed": "销户"}
DEPOSIT_KINDS = ("deposit", "supplement")  # 汇缴, 补缴
# Prefill keys (免填写) answered from the citizen's main account, for this plugin's forms and any other's.
PREFILL = {
    "provident_fund.account_no": lambda a: a.account_no,
    "provident_fund.employer": lambda a: a.employer_name,
    "provident_fund.monthly_deposit_fen": lambda a: a.monthly_deposit_fen,
    "provident_fund.balance_fen": lambda a: a.balance_fen,
}


def today() -> dt.date:
    return dt.datetime.now(SHANGHAI).date()


async def id_number_of(account_id: int, reader: Any, purpose: str) -> str | None:
    from core.identity import api as identity

    data = await identity.read_personal_data(account_id, reader=reader, purpose=purpose, fields=("id_number",))
    return data.id_number if data else None


async def accounts_of(account_id: int, reader: Any, purpose: str = "查询住房公积金账户") -> list[FundAccount]:
    id_number = await id_number_of(account_id, reader, purpose)
    if not id_number:
        return []
    return await FundAccount.filter(person_key__in=pii.person_keys(id_number)).order_by("-status", "account_no")


async def main_account(account_id: int, reader: Any, purpose: str) -> FundAccount:
    accounts = await accounts_of(account_id, reader, purpose)
    for account in accounts:  # the one in normal deposit first, else any
        if account.status == "normal":
            return account
    if accounts:
        return accounts[0]
    raise rules.NO_ACCOUNT()


async def chosen_account(account_id: int, reader: Any, purpose: str, account_no: str | None) -> FundAccount:
    """The citizen's account a form names, else their main one; an account that is not theirs is
    not found (``provident_fund.no_account``), whoever holds it."""
    if not account_no:
        return await main_account(account_id, reader, purpose)
    for account in await accounts_of(account_id, reader, purpose):
        if account.account_no == account_no:
            return account
    raise rules.NO_ACCOUNT(details={"account_no": account_no})


async def prefill(account_id: int, item: Any, keys: list[str]) -> dict[str, Any]:
    wanted = [k for k in keys if k in PREFILL]
    if not wanted:
        return {}
    try:
        account = await main_account(account_id, PLUGIN, f"免填写 {getattr(item, 'name', '')}"[:128])
    except errors.AppError:  # no account: nothing to answer
        return {}
    return {k: PREFILL[k](account) for k in wanted}


def account_view(a: FundAccount) -> dict[str, Any]:
    return {"account_no": a.account_no, "name": a.name_masked, "id_number": a.id_masked, "employer": a.employer_name,
            "status": a.status, "balance_fen": a.balance_fen, "monthly_deposit_fen": a.monthly_deposit_fen,
            "deposit_base_fen": a.deposit_base_fen, "personal_rate_bp": a.personal_rate_bp,
            "employer_rate_bp": a.employer_rate_bp, "last_period": a.last_period, "opened_on": a.opened_on.isoformat()}


async def journal(account_no: str, limit: int = 36) -> list[dict[str, Any]]:
    rows = await JournalEntry.filter(account_no=account_no).order_by("-booked_on", "-id").limit(limit)
    return [{"txn_no": r.txn_no, "kind": r.kind, "period": r.period, "amount_fen": r.amount_fen,
             "balance_after_fen": r.balance_after_fen, "booked_on": r.booked_on.isoformat()} for r in rows]


# ---- proof of deposits (缴存证明) ------------------------------------------------------------------


def yuan(fen: int) -> str:
    sign = "-" if fen < 0 else ""
    return f"{sign}{abs(fen) // 100}.{abs(fen) % 100:02d}"


def percent(bp: int) -> str:
    return f"{bp / 100:g}%"


async def deposit_periods(account_no: str) -> list[str]:
    """The months the journal shows a deposit for (汇缴 or 补缴), oldest first."""
    periods = await JournalEntry.filter(account_no=account_no, kind__in=DEPOSIT_KINDS).exclude(
        period=None).distinct().values_list("period", flat=True)
    return sorted(set(periods))


async def deposit_proof_data(account: FundAccount, name: str, id_number: str) -> dict[str, Any]:
    periods = await deposit_periods(account.account_no)
    data = {
        "name": name, "id_number": id_number, "account_no": account.account_no, "employer": account.employer_name,
        "status": STATUS_ZH[account.status], "opened_on": account.opened_on.isoformat(),
        "deposit_base": yuan(account.deposit_base_fen),
        "deposit_rates": f"单位{percent(account.employer_rate_bp)}，个人{percent(account.personal_rate_bp)}",
        "monthly_deposit": yuan(account.monthly_deposit_fen), "deposit_from": periods[0] if periods else None,
        "paid_up_to": account.last_period, "deposit_months": len(periods), "balance": yuan(account.balance_fen),
    }
    return {k: v for k, v in data.items() if v not in (None, "")}


async def issue_deposit_proof(case: Any, form: dict[str, Any]) -> dict[str, Any]:
    """On the (instant) approval: the 缴存证明 as an e-certificate from the account the form names,
    or a result saying there is no account."""
    from core.certificates import api as certificates
    from core.identity import api as identity
    from plugins.provident_fund.items import CERT_TYPE

    purpose = "开具住房公积金缴存证明"
    try:
        account = await chosen_account(case.applicant_id, PLUGIN, purpose, form.get("fund_account_no"))
    except errors.AppError:
        result = {"deposited": False, "message": rules.NO_ACCOUNT.zh, "message_en": rules.NO_ACCOUNT.en}
    else:
        person = await identity.read_personal_data(case.applicant_id, reader=PLUGIN, purpose=purpose,
                                                   fields=("name", "id_number"))
        cert = await certificates.issue(CERT_TYPE, case.applicant_id,
                                        await deposit_proof_data(account, person.name, person.id_number),
                                        case_id=case.id, region_code=case.region_code)
        result = {"deposited": True, "certificate_id": cert.id, "certificate": cert.identifier}
    await attach_case_result(case.id, result)  # the certificate is in the wallet either way
    return result


# ---- withdrawals ----------------------------------------------------------------------------------


async def rent_withdrawn_this_year(account_no: str, year: int) -> int:
    rows = await Withdrawal.filter(account_no=account_no, purpose="rent", status="paid",
                                   created_at__gte=dt.datetime(year, 1, 1, tzinfo=SHANGHAI))
    return sum(w.amount_fen for w in rows)


async def check_withdrawal(account: FundAccount, form: dict[str, Any], id_number: str) -> None:
    purpose = form["withdraw_purpose"]
    rent = await rent_withdrawn_this_year(account.account_no, today().year) if purpose == "rent" else 0
    rules.check_withdrawal(account, purpose, int(form["withdraw_amount_fen"]), id_number=id_number,
                           rent_paid_this_year_fen=rent, price_fen=form.get("price_fen"), today=today())


async def open_withdrawal(case: Any, form: dict[str, Any]) -> Withdrawal:
    """On submission: check the rules (a refusal propagates) and record the application."""
    # The applicant's verified ID decides the retirement age, never the one typed into the form.
    id_number = await id_number_of(case.applicant_id, PLUGIN, "受理住房公积金提取")
    account = await chosen_account(case.applicant_id, PLUGIN, "受理住房公积金提取", form.get("fund_account_no"))
    await check_withdrawal(account, form, id_number)
    bank = str(form.get("bank_account", ""))
    return await Withdrawal.create(account_id=case.applicant_id, account_no=account.account_no,
                                   purpose=form["withdraw_purpose"], amount_fen=int(form["withdraw_amount_fen"]),
                                   case_no=case.case_no, case_id=case.id, region_code=case.region_code, bank_account_masked=("*" * 8 + bank[-4:]) if bank else "",
                                   details={"price_fen": form.get("price_fen")})


async def pay_out(case_no: str) -> Withdrawal:
    """On approval: under a row lock re-check the balance, debit it, journal the payout. Exactly
    once per withdrawal; a balance that no longer suffices refuses the payout (recorded)."""
    async with transaction():
        withdrawal = await Withdrawal.filter(case_no=case_no).select_for_update().first()
        if withdrawal is None or withdrawal.status != "pending":
            return withdrawal
        account = await FundAccount.filter(account_no=withdrawal.account_no).select_for_update().first()
        if account is None or withdrawal.amount_fen > account.balance_fen:
            withdrawal.status, withdrawal.refusal_code = "refused", rules.OVER_BALANCE.code
            withdrawal.decided_at = dt.datetime.now(dt.UTC)
            await withdrawal.save()
            return withdrawal
        account.balance_fen -= withdrawal.amount_fen
        closes = withdrawal.purpose == "retirement" and account.balance_fen == 0
        if closes:
            account.status = "closed"
        await account.save(update_fields=["balance_fen", "status"])
        txn_no = f"ZSD-W{withdrawal.id:010d}"
        await JournalEntry.create(txn_no=txn_no, account_no=account.account_no, kind="withdrawal", period=None,
                                  amount_fen=-withdrawal.amount_fen, balance_after_fen=account.balance_fen,
                                  booked_on=today())
        withdrawal.status, withdrawal.payout_txn_no = "paid", txn_no
        withdrawal.decided_at = dt.datetime.now(dt.UTC)
        await withdrawal.save()
    if withdrawal.case_id is not None:  # the citizen's result: what was paid, where, under which number
        await attach_case_result(withdrawal.case_id, {
            "payout_txn_no": txn_no, "amount_fen": withdrawal.amount_fen, "purpose": withdrawal.purpose,
            "bank_account": withdrawal.bank_account_masked, "account_closed": closes})
    return withdrawal


async def approve_loan(case_no: str) -> Loan | None:
    """On approval: the loan is granted as applied for; the case's result is its plan's key figures."""
    async with transaction():
        loan = await Loan.filter(case_no=case_no).select_for_update().first()
        if loan is None or loan.status != "applied":
            return loan
        loan.status = "approved"
        await loan.save(update_fields=["status"])
    first = await LoanInstalment.filter(loan_id=loan.id, seq=1).first()
    if loan.case_id is not None:
        await attach_case_result(loan.case_id, {
            "loan_id": loan.id, "principal_fen": loan.principal_fen, "annual_rate_bp": loan.annual_rate_bp,
            "months": loan.months, "method": loan.method, "total_interest_fen": loan.total_interest_fen,
            "first_payment_fen": first.payment_fen if first else None,
            "first_due_on": first.due_on.isoformat() if first else None})
    return loan


async def attach_case_result(case_id: int, result: dict[str, Any]) -> None:
    from core.cases import api as cases

    with contextlib.suppress(errors.AppError):  # the case moved on (closed): the record stays on our row
        await cases.attach_result(case_id, result)


def withdrawal_view(w: Withdrawal) -> dict[str, Any]:
    return {"id": w.id, "case_no": w.case_no, "account_no": w.account_no, "purpose": w.purpose,
            "amount_fen": w.amount_fen, "status": w.status, "payout_txn_no": w.payout_txn_no,
            "bank_account": w.bank_account_masked, "refusal_code": w.refusal_code or None}


# ---- loans ----------------------------------------------------------------------------------------


def first_due(day: dt.date) -> dt.date:
    """Repayments start on the 20th of the month after the loan is granted."""
    return dt.date(day.year + (day.month == 12), day.month % 12 + 1, 20)


async def open_loan(case: Any, form: dict[str, Any]) -> Loan:
    account = await chosen_account(case.applicant_id, PLUGIN, "受理住房公积金贷款", form.get("fund_account_no"))
    principal, months = int(form["loan_amount_fen"]), int(form["loan_months"])
    rules.check_loan(account, principal, months, today())
    rate = rules.loan_rate_bp(months)
    plan = loans.repayment_plan(principal, rate, months, form["repayment_method"], first_due(today()))
    async with transaction():
        loan = await Loan.create(account_id=case.applicant_id, account_no=account.account_no, principal_fen=principal,
                                 annual_rate_bp=rate, months=months, method=form["repayment_method"],
                                 case_no=case.case_no, case_id=case.id, region_code=case.region_code,
                                 property_unit_no=form.get("property_unit_no", ""),
                                 total_interest_fen=loans.totals(plan)["interest_fen"])
        await LoanInstalment.bulk_create([
            LoanInstalment(loan=loan, seq=i.seq, due_on=i.due_on, principal_fen=i.principal_fen,
                           interest_fen=i.interest_fen, payment_fen=i.payment_fen, remaining_fen=i.remaining_fen)
            for i in plan])
    return loan


async def loan_view(loan: Loan, *, with_plan: bool = True) -> dict[str, Any]:
    view: dict[str, Any] = {
        "id": loan.id, "case_no": loan.case_no, "account_no": loan.account_no, "principal_fen": loan.principal_fen,
        "annual_rate_bp": loan.annual_rate_bp, "months": loan.months, "method": loan.method, "status": loan.status,
        "property_unit_no": loan.property_unit_no, "total_interest_fen": loan.total_interest_fen,
    }
    if with_plan:
        rows = await LoanInstalment.filter(loan_id=loan.id).order_by("seq")
        view["plan"] = [{"seq": r.seq, "due_on": r.due_on.isoformat(), "principal_fen": r.principal_fen,
                         "interest_fen": r.interest_fen, "payment_fen": r.payment_fen,
                         "remaining_fen": r.remaining_fen} for r in rows]
    return view

