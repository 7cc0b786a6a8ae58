"""Case events of the fund centre's items: check and record on submission (a rule refusal makes
the system refuse acceptance, with the stable code), pay out / grant on approval, issue the proof
of deposits on its instant approval."""

from __future__ import annotations

import logging
from typing import Any

from core.errors import AppError
from plugins.provident_fund import service
from plugins.provident_fund.items import DEPOSIT_PROOF_CODE, LOAN_CODE, WITHDRAW_CODE
from plugins.provident_fund.models import Loan, Withdrawal

log = logging.getLogger("zhushida.provident_fund")
ENDED = {"reject": "refused", "refuse": "refused", "withdraw": "withdrawn", "terminate": "refused"}


async def _case_and_form(case_id: int) -> tuple[Any, dict[str, Any]]:
    from core.cases import api as cases

    case = await cases.get_case(case_id)
    return case, cases.unseal(case.form_data or {})


async def on_case_event(event: Any) -> None:
    if event.item_code == DEPOSIT_PROOF_CODE and event.effect == "approve":
        case, form = await _case_and_form(event.case_id)
        await service.issue_deposit_proof(case, form)
        return
    if event.item_code not in (WITHDRAW_CODE, LOAN_CODE):
        return
    from core.cases import api as cases

    model = Withdrawal if event.item_code == WITHDRAW_CODE else Loan
    if event.kind == "submitted":
        case, form = await _case_and_form(event.case_id)
        try:
            if event.item_code == WITHDRAW_CODE:
                await service.open_withdrawal(case, form)
            else:
                await service.open_loan(case, form)
        except AppError as exc:  # the rules say no: refuse acceptance, with the code the client can read
            await cases.transition(event.case_id, "reject", None, comment=f"{exc.code}: {exc.message}",
                                   data={"code": exc.code, "details": exc.details})
    elif event.effect == "approve":
        if event.item_code == WITHDRAW_CODE:
            withdrawal = await service.pay_out(event.case_no)
            if withdrawal is not None and withdrawal.status != "paid":
                log.warning("withdrawal of case %s not paid out: %s", event.case_no, withdrawal.refusal_code)
        else:
            await service.approve_loan(event.case_no)
    elif event.effect in ENDED:
        await model.filter(case_no=event.case_no).filter(status__in=("pending", "applied")).update(
            status=ENDED[event.effect])
