"""Key rotation for personal data: re-encrypt and re-hash every row not yet under the current key.

Run after putting a new key first in ``ZHUSHIDA_DATA_KEYS`` (old keys stay listed until this has
finished): ``zhushida identity rotate-keys``. Rows are rewritten in small transactions, each row
locked while it is rewritten, so the app keeps serving; running it twice is harmless.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from core.db import transaction
from core.identity.accounts import COL_ID, COL_NAME, COL_PHONE
from core.identity.authority import COL_POP_ID, COL_POP_NAME
from core.identity.crypto import get_cipher
from core.identity.enterprises import COL_BIZ_REP
from core.identity.models import Account, BusinessRecord, PopulationRecord

BATCH = 500

# model -> [(encrypted column, associated-data column name, hash column or None)]
PLAN: list[tuple[Any, list[tuple[str, str, str | None]]]] = [
    (
        Account,
        [
            ("name_enc", COL_NAME, None),
            ("phone_enc", COL_PHONE, "phone_hash"),
            ("id_number_enc", COL_ID, "id_number_hash"),
        ],
    ),
    (
        PopulationRecord,
        [("id_number_enc", COL_POP_ID, "id_number_hash"), ("name_enc", COL_POP_NAME, None)],
    ),
    # The register's hash is the account-side ID hash (it is compared with accounts' ID numbers).
    (BusinessRecord, [("legal_rep_id_enc", COL_BIZ_REP, "legal_rep_id_hash")]),
]


def _hash_column_for(model: Any, enc: str, aad: str) -> str:
    return COL_ID if model is BusinessRecord else aad


async def rotate_keys(progress: Callable[[int], None] | None = None) -> dict[str, int]:
    """Rewrite every stale row; returns rows rewritten per table."""
    cipher = get_cipher()
    current = cipher.current_kid
    done: dict[str, int] = {}
    for model, columns in PLAN:
        rewritten = 0
        last_id = 0
        while True:
            rows = await model.filter(id__gt=last_id).order_by("id").limit(BATCH)
            if not rows:
                break
            last_id = rows[-1].id
            stale = [
                r
                for r in rows
                if any(
                    cipher.key_of(getattr(r, enc)) not in (None, current) for enc, _a, _h in columns
                )
            ]
            for row in stale:
                async with transaction():
                    locked = await model.filter(id=row.id).select_for_update().first()
                    if locked is None:
                        continue
                    for enc, aad, hash_col in columns:
                        clear = cipher.decrypt(getattr(locked, enc), column=aad)
                        setattr(locked, enc, cipher.encrypt(clear, column=aad))
                        if hash_col and clear is not None:
                            setattr(
                                locked,
                                hash_col,
                                cipher.lookup_hash(clear, column=_hash_column_for(model, enc, aad)),
                            )
                    await locked.save()
                rewritten += 1
                if progress:
                    progress(1)
        done[model._meta.db_table] = rewritten
    return done


async def stale_rows() -> int:
    """How many rows still carry data under an older key."""
    cipher = get_cipher()
    count = 0
    for model, columns in PLAN:
        for row in await model.all():
            if any(
                cipher.key_of(getattr(row, enc)) not in (None, cipher.current_kid)
                for enc, _a, _h in columns
            ):
                count += 1
    return count
