"""Account merge (``zhushida_account_merged``): pension certifications follow the citizen (one per
insured person and year already, by ID-number key, so the merge cannot duplicate one)."""

from __future__ import annotations

from plugins.social_security.models import PensionCertification


async def merge_account(from_account_id: int, into_account_id: int) -> None:
    await PensionCertification.filter(account_id=from_account_id).update(account_id=into_account_id)
