"""Account merge (``zhushida_account_merged``): cases, bundles and uploads follow the person.
The event log keeps the ids of whoever acted at the time (an audit trail is not rewritten)."""

from __future__ import annotations

from core.cases.models import BundleCase, Case, Upload


async def merge_account(from_account_id: int, into_account_id: int) -> None:
    for model, column in ((Case, "applicant_id"), (Case, "submitted_by"), (BundleCase, "applicant_id"),
                          (BundleCase, "submitted_by"), (Upload, "owner_id")):
        await model.filter(**{column: from_account_id}).update(**{column: into_account_id})
