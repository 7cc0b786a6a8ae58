"""Account merge (``zhushida_account_merged``): rateable cases and ratings follow the citizen (one
rating per case, so merging cannot make two for one case)."""

from __future__ import annotations

from core.evaluations.models import Evaluation, RateableCase


async def merge_account(from_account_id: int, into_account_id: int) -> None:
    await RateableCase.filter(applicant_id=from_account_id).update(applicant_id=into_account_id)
    await Evaluation.filter(account_id=from_account_id).update(account_id=into_account_id)
