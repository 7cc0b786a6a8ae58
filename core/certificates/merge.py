"""Account merge (``zhushida_account_merged``): the e-certificates and their uses in cases follow
the holder. Two valid certificates of one type may result (e.g. a 参保证明 issued to each account):
both are genuine issued documents, so both stay, like any two issued versions."""

from __future__ import annotations

from core.certificates.models import Certificate, CertificateUse


async def merge_account(from_account_id: int, into_account_id: int) -> None:
    for model in (Certificate, CertificateUse):
        await model.filter(holder_account_id=from_account_id).update(holder_account_id=into_account_id)
