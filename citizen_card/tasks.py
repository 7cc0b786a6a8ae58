"""Background tasks of the citizen card (Celery with a broker, in process in the embedded default)."""

from __future__ import annotations

from core.tasks import task


@task("card.purge_debit_nonces")
async def purge_debit_nonces() -> int:
    """Forget debit-request nonces older than the signature window (PostgreSQL records them)."""
    from citizen_card.debits import purge_debit_nonces as purge

    return await purge()


ALL = [purge_debit_nonces]
