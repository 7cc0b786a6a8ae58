"""Citizen and staff routes, mounted under ``/plugins/provident_fund``. A citizen sees only their
own accounts (found by their verified resident ID); staff of the fund centre see the applications."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, get, post
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter

from core import errors
from core.auth import ensure_citizen_owns, principal_of, requires
from plugins.provident_fund import loans, rules, service
from plugins.provident_fund.items import LOAN, LOAN_CODE, WITHDRAW, WITHDRAW_CODE
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
    """Check the rules first (a clear 4xx refusal), then apply through the case engine."""
    from core.cases import api as cases
    from core.catalogue.forms import validate
    from core.identity import api as identity

    p = principal_of(request)
    form = dict(body.get("form") or {})
    info = await identity.get_account(p.subject_id)
    data = await identity.read_personal_data(p.subject_id, reader=p, purpose=item.name,
                                             fields=("name", "id_number", "phone"))
    form.setdefault("applicant_name", data.name)
    form.setdefault("applicant_id_number", data.id_number)
    if data.phone:
        form.setdefault("phone", data.phone)
    validate(item.form, form)
    account = await service.main_account(p.subject_id, p, item.name)
    if item is WITHDRAW:
        await service.check_withdrawal(account, form, data.id_number)
    else:
        rules.check_loan(account, int(form["loan_amount_fen"]), int(form["loan_months"]), service.today())
    region = body.get("region_code") or (info.home_region_code if info else None)
    return await cases.submit(p, item.implementation_code, region_code=region, form=form,
                              materials=body.get("materials"), delivery=body.get("delivery"))


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
    """The fund centre's workbench view of withdrawals and loans (its own department only)."""
    from core.identity import api as identity

    p = principal_of(request)
    if p.kind == "staff":
        department = await identity.get_department_by_id(p.department_id) if p.department_id else None
        if department is None or department.code != WITHDRAW.department_code:
            raise errors.FORBIDDEN(details={"reason": "not staff of the fund centre"})
    withdrawals = Withdrawal.all().order_by("-id")
    loans_q = Loan.all().order_by("-id")
    if status:
        withdrawals, loans_q = withdrawals.filter(status=status), loans_q.filter(status=status)
    return {"withdrawals": [service.withdrawal_view(w) for w in await withdrawals.limit(200)],
            "loans": [await service.loan_view(x, with_plan=False) for x in await loans_q.limit(200)],
            "items": [WITHDRAW_CODE, LOAN_CODE]}


ROUTES = [my_accounts, my_journal, apply_withdrawal, my_withdrawals, apply_loan, my_loan, loan_plan, staff_applications]
