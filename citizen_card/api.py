"""The public interface of the citizen card for other packages (the BFF), stable across changes
of the modules behind it.

    from citizen_card import api as card_api

    summary = await card_api.card_summary(account_id)        # None when the citizen has no live card
    qr = await card_api.payment_qr(account_id, image="svg")  # fresh token (+ image data URI)
    page = await card_api.transactions(account_id, before_id=None, limit=20)
    statement = await card_api.monthly_statement(account_id, "2026-11")

Proxy sessions (acting for a relative) must not reach these: the card is its holder's only.
"""

from __future__ import annotations

import base64
from typing import Any

from citizen_card import cards, ledger, qr, statements
from citizen_card.numbers import mask


async def card_summary(account_id: int) -> dict[str, Any] | None:
    card = await cards.live_card(account_id)
    if card is None:
        return None
    wallet = await ledger.LedgerAccount.get(card_id=card.id)
    per_payment, per_day = cards.limits_of(card)
    return {
        "number": mask(card.number), "last4": card.number[-4:], "state": card.state, "balance": wallet.balance,
        "limits": {"per_payment": per_payment, "per_day": per_day},
    }


async def payment_qr(account_id: int, image: str | None = None) -> dict[str, Any]:
    """A fresh payment token for the holder's active card; ``image`` "svg"/"png" adds the QR."""
    issued = await qr.issue_token(await cards.require_live_card(account_id))
    body: dict[str, Any] = {
        "token": issued.token, "kid": issued.claims.kid, "expires_at": issued.claims.expires_at,
        "ttl_seconds": issued.claims.expires_at - issued.claims.issued_at,
    }
    if image:
        media = "image/svg+xml" if image == "svg" else "image/png"
        body["image"] = f"data:{media};base64," + base64.b64encode(qr.render(issued.token, image)).decode()
    return body


async def transactions(account_id: int, *, before_id: int | None = None, limit: int = 20) -> dict[str, Any]:
    return await statements.transactions(account_id, before_id=before_id, limit=limit)


async def monthly_statement(account_id: int, month: str) -> dict[str, Any]:
    return await statements.monthly_statement(account_id, month)
