"""Periodic work of the fund centre."""

from __future__ import annotations

import logging

from core.tasks import task

log = logging.getLogger("zhushida.provident_fund")


@task("provident_fund.reconcile_pending")
async def reconcile_pending() -> int:
    """Pay out withdrawals whose case was approved while the payout did not run (a listener that
    failed after the approval): the case history is the truth, the payout is idempotent."""
    from core.cases import api as cases
    from plugins.provident_fund import service
    from plugins.provident_fund.items import WITHDRAW_CODE
    from plugins.provident_fund.models import Withdrawal

    paid = 0
    for withdrawal in await Withdrawal.filter(status="pending").exclude(case_id=None):
        case = await cases.get_case(withdrawal.case_id)
        if case is not None and case.item_code == WITHDRAW_CODE and case.state in ("approved", "delivered", "closed"):
            done = await service.pay_out(withdrawal.case_no)
            paid += int(done is not None and done.status == "paid")
    if paid:
        log.info("paid out %d withdrawal(s) approved earlier", paid)
    return paid
