"""Account merge (``zhushida_account_merged``): withdrawal and loan applications follow the
citizen (fund accounts themselves are keyed by ID number, which the merge keeps)."""

from __future__ import annotations

from plugins.provident_fund.models import Loan, Withdrawal


async def merge_account(from_account_id: int, into_account_id: int) -> None:
    for model in (Withdrawal, Loan):
        await model.filter(account_id=from_account_id).update(account_id=into_account_id)
