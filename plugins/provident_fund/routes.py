"""Citizen and staff routes, mounted under ``/plugins/provident_fund``. A citizen sees only their
own accounts (found by their verified resident ID); staff of the fund centre see the applications."""

from __future__ import annotations

import dataclasses
from typing import Annotated, Any

from litestar import Request, get, post
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter

from core import errors
from core.auth import ensure_citizen_owns, principal_of, requires, significant_prefix
from plugins.provident_fund import loans, rules, service
from plugins.provident_fund.items import DEPOSIT_PROOF, LOAN, LOAN_CODE, WITHDRAW, WITHDRAW_CODE
from plugins.provident_fund.models import Loan, Withdrawal

citizen = requires("citizen", min_level=2)
staff = requires("staff", "admin", roles=("clerk", "reviewer", "head"))


@get("/me", guards=[citizen])
async def my_accounts(request: Request) -> dict[str, Any]:
    p = principal_of(request)
    accounts = await service.accounts_of(p.subject_id, p)
    return {"accounts": [service.account_view(a) for a in accounts]}


@get("/me/journal", guards=[citizen])
async def my_journal(request: Request, account_no: FromQuery[str | None] = None,
                     limit: Annotated[int, QueryParameter(ge=1, le=240)] = 36) -> dict[str, Any]:
    p = principal_of(request)
    accounts = {a.account_no: a for a in await service.accounts_of(p.subject_id, p)}
    if account_no is None and accounts:
        account_no = next(iter(accounts))
    if account_no not in accounts:
        raise errors.NOT_FOUND()
    return {"account_no": account_no, "entries": await service.journal(account_no, limit)}


async def _submit(request: Request, item: Any, body: dict[str, Any]) -> Any:
    """Check the fund centre's rules first — a clear 4xx refusal, nothing written — then apply
    through the case engine, which fills the prefilled fields, validates the whole form (a malformed
    one is its 422 with every error) and checks the rules again on submission."""
    from core.cases import api as cases
    from core.catalogue.api import validate_form
    from core.identity import api as identity

    p = principal_of(request)
    sent = body.get("form") or {}
    # The fields the platform prefills are the engine's to fill; the rest are typed here for the rules.
    checkable = tuple(dataclasses.replace(f, required=False) if f.prefill else f for f in item.form)
    cleaned, problems = validate_form(checkable, sent)
    if not problems:
        id_number = await service.id_number_of(p.subject_id, p, item.name)  # the verified one, not the form's
        account = await service.chosen_account(p.subject_id, p, item.name, cleaned.get("fund_account_no"))
        if item is WITHDRAW:
            await service.check_withdrawal(account, cleaned, id_number)
        else:
            rules.check_loan(account, cleaned["loan_amount_fen"], cleaned["loan_months"], service.today())
    info = await identity.get_account(p.subject_id)
    region = body.get("region_code") or (info.home_region_code if info else None)
    return await cases.submit(p, item.implementation_code, region_code=region, form=sent,
                              materials=body.get("materials"), delivery=body.get("delivery"))


@post("/deposit-proofs", guards=[citizen])
async def deposit_proof(request: Request, data: JSONBody[dict[str, Any]]) -> dict[str, Any]:
    """缴存证明: the account (named, else the main one) must be the citizen's; then applied as the
    instant item, so the certificate is in the wallet when this returns."""
    from core.cases import api as cases
    from core.identity import api as identity

    p = principal_of(request)
    account = await service.chosen_account(p.subject_id, p, DEPOSIT_PROOF.name, data.get("account_no"))
    info = await identity.get_account(p.subject_id)
    case = await cases.submit(p, DEPOSIT_PROOF.implementation_code,
                              region_code=data.get("region_code") or info.home_region_code,
                              form={"proof_use": data.get("proof_use", "other"), "fund_account_no": account.account_no})
    view = await cases.get(case.id, p)
    return {"case_id": case.id, "case_no": case.case_no, "state": view["state"], "result": view.get("result")}


@post("/withdrawals", guards=[citizen])
async def apply_withdrawal(request: Request, data: JSONBody[dict[str, Any]]) -> dict[str, Any]:
    case = await _submit(request, WITHDRAW, data)
    withdrawal = await Withdrawal.get(case_no=case.case_no)
    return {"case_id": case.id, "case_no": case.case_no, "withdrawal": service.withdrawal_view(withdrawal)}


@get("/withdrawals", guards=[citizen])
async def my_withdrawals(request: Request) -> dict[str, Any]:
    rows = await Withdrawal.filter(account_id=principal_of(request).subject_id).order_by("-id")
    return {"withdrawals": [service.withdrawal_view(w) for w in rows]}


@post("/loans", guards=[citizen])
async def apply_loan(request: Request, data: JSONBody[dict[str, Any]]) -> dict[str, Any]:
    case = await _submit(request, LOAN, data)
    loan = await Loan.get(case_no=case.case_no)
    return {"case_id": case.id, "case_no": case.case_no, "loan": await service.loan_view(loan)}


@get("/loans/{loan_id:int}", guards=[citizen])
async def my_loan(request: Request, loan_id: FromPath[int]) -> dict[str, Any]:
    loan = await Loan.get_or_none(id=loan_id)
    if loan is None:
        raise errors.NOT_FOUND()
    ensure_citizen_owns(principal_of(request), loan.account_id, service_code=LOAN.basic_code)
    return await service.loan_view(loan)


@get("/loan-plan", guards=[requires("citizen", "staff", "admin")])
async def loan_plan(principal_fen: Annotated[int, QueryParameter(ge=1, le=10**10)],
                    months: Annotated[int, QueryParameter(ge=1, le=360)],
                    method: FromQuery[str] = "equal_instalment") -> dict[str, Any]:
    """The repayment plan calculator (还款试算) at the fund centre's current rate."""
    if method not in loans.METHODS:
        raise errors.BAD_REQUEST(details={"method": list(loans.METHODS)})
    rate = rules.loan_rate_bp(months)
    plan = loans.repayment_plan(principal_fen, rate, months, method, service.first_due(service.today()))
    return {"annual_rate_bp": rate, "method": method, "totals": loans.totals(plan),
            "plan": [{"seq": i.seq, "due_on": i.due_on.isoformat(), "principal_fen": i.principal_fen,
                      "interest_fen": i.interest_fen, "payment_fen": i.payment_fen, "remaining_fen": i.remaining_fen}
                     for i in plan]}


@get("/staff/applications", guards=[staff])
async def staff_applications(request: Request, status: FromQuery[str | None] = None) -> dict[str, Any]:
    """The fund centre's workbench view of withdrawals and loans: its own department only, and for
    staff only the applications whose case lies in their region (an admin sees all)."""
    from core.identity import api as identity

    p = principal_of(request)
    withdrawals = Withdrawal.all().order_by("-id")
    loans_q = Loan.all().order_by("-id")
    if p.kind == "staff":
        department = await identity.get_department_by_id(p.department_id) if p.department_id else None
        if department is None or department.code != WITHDRAW.department_code or not p.region_code:
            raise errors.FORBIDDEN(details={"reason": "not staff of the fund centre"})
        prefix = significant_prefix(p.region_code)
        withdrawals = withdrawals.filter(region_code__startswith=prefix)
        loans_q = loans_q.filter(region_code__startswith=prefix)
    if status:
        withdrawals, loans_q = withdrawals.filter(status=status), loans_q.filter(status=status)
    return {"withdrawals": [service.withdrawal_view(w) for w in await withdrawals.limit(200)],
            "loans": [await service.loan_view(x, with_plan=False) for x in await loans_q.limit(200)],
            "items": [WITHDRAW_CODE, LOAN_CODE]}


ROUTES = [my_accounts, my_journal, deposit_proof, apply_withdrawal, my_withdrawals, apply_loan, my_loan, loan_plan,
          staff_applications]
