"""A department plugin whose account-merge implementation fails (a bug, a lost connection)."""

from __future__ import annotations

from core.hooks import hookimpl

ZHUSHIDA_CONTRACT = "1"


@hookimpl
def zhushida_account_merged(from_account_id, into_account_id):
    async def fail() -> None:
        raise RuntimeError(f"could not move rows of {from_account_id}")

    return fail()
