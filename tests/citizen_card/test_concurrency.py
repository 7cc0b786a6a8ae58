"""Races on one card. Meaningful on PostgreSQL, where the wallet row lock serialises them (the
services backend runs these against a real server with a connection pool); SQLite serialises
whole transactions, so the same assertions hold there too."""

from __future__ import annotations

import asyncio

from citizen_card import debits, qr
from citizen_card.errors import INSUFFICIENT
from citizen_card.models import Card, Debit, Terminal
from core.errors import AppError
from tests.citizen_card.helpers import balance, fund


async def _outcomes(coros) -> tuple[list, list[str]]:
    results = await asyncio.gather(*coros, return_exceptions=True)
    ok = [r for r in results if not isinstance(r, BaseException)]
    refused = [r.code for r in results if isinstance(r, AppError)]
    unexpected = [r for r in results if isinstance(r, BaseException) and not isinstance(r, AppError)]
    assert not unexpected, unexpected
    return ok, refused


async def test_concurrent_debits_never_overdraw(client, card_holder, terminal):
    await fund(card_holder.account_id, 10_000)
    card = await Card.get(holder_id=card_holder.account_id)
    term = await Terminal.get(id=terminal.terminal_id)
    tokens = [(await qr.issue_token(card)).token for _ in range(30)]
    ok, refused = await _outcomes(
        debits.debit(term, txn_id=f"R{i}", amount=500, qr_token=t) for i, t in enumerate(tokens)
    )
    assert len(ok) == 20 and refused == [INSUFFICIENT.code] * 10
    assert await balance(card_holder.account_id) == 0
    assert await Debit.filter(card_id=card.id).count() == 20


async def test_concurrent_retries_of_one_txn_debit_once(client, card_holder, terminal):
    await fund(card_holder.account_id, 10_000)
    card = await Card.get(holder_id=card_holder.account_id)
    term = await Terminal.get(id=terminal.terminal_id)
    token = (await qr.issue_token(card)).token
    ok, refused = await _outcomes(debits.debit(term, txn_id="SAME", amount=700, qr_token=token) for _ in range(12))
    assert refused == [] and len({r.debit.id for r in ok}) == 1
    assert sum(not r.replayed for r in ok) == 1
    assert await balance(card_holder.account_id) == 9_300


async def test_one_token_raced_by_many_terminals_pays_once(client, card_holder, terminal):
    from tests.citizen_card.helpers import make_terminal

    await fund(card_holder.account_id, 10_000)
    card = await Card.get(holder_id=card_holder.account_id)
    token = (await qr.issue_token(card)).token
    terms = [await Terminal.get(id=(await make_terminal(client, f"店{i}", "91430200MA4L16XK26")).terminal_id)
             for i in range(6)]
    ok, refused = await _outcomes(debits.debit(t, txn_id="T1", amount=300, qr_token=token) for t in terms)
    assert len(ok) == 1 and refused == ["card.qr.replayed"] * 5
    assert await balance(card_holder.account_id) == 9_700


async def test_loss_report_racing_debits(client, card_holder, terminal):
    """Debits that commit before the freeze stand; none after it."""
    from citizen_card import cards

    await fund(card_holder.account_id, 10_000)
    card = await Card.get(holder_id=card_holder.account_id)
    term = await Terminal.get(id=terminal.terminal_id)
    tokens = [(await qr.issue_token(card)).token for _ in range(10)]
    coros = [debits.debit(term, txn_id=f"L{i}", amount=100, qr_token=t) for i, t in enumerate(tokens)]
    coros.insert(5, cards.report_loss(card_holder.principal))
    results = await asyncio.gather(*coros, return_exceptions=True)
    paid = [r for r in results if isinstance(r, debits.DebitResult)]
    assert not [r for r in results if isinstance(r, BaseException) and not isinstance(r, AppError)], results
    refused = [r.code for r in results if isinstance(r, AppError)]
    assert set(refused) <= {"card.not_active"} and len(paid) + len(refused) == 10
    frozen_at = (await Card.get(id=card.id)).frozen_at
    assert all(p.debit.created_at <= frozen_at for p in paid)
    assert await balance(card_holder.account_id) == 10_000 - 100 * len(paid)


async def test_replacement_racing_debits_keeps_every_fen(client, card_holder, terminal):
    from citizen_card import cards

    await fund(card_holder.account_id, 10_000)
    card = await Card.get(holder_id=card_holder.account_id)
    term = await Terminal.get(id=terminal.terminal_id)
    tokens = [(await qr.issue_token(card)).token for _ in range(10)]
    coros = [debits.debit(term, txn_id=f"P{i}", amount=100, qr_token=t) for i, t in enumerate(tokens)]
    coros.insert(4, cards.replace(card_holder.principal))
    results = await asyncio.gather(*coros, return_exceptions=True)
    assert not [r for r in results if isinstance(r, BaseException) and not isinstance(r, AppError)], results
    paid = [r for r in results if isinstance(r, debits.DebitResult)]
    assert {r.code for r in results if isinstance(r, AppError)} <= {"card.not_active"}
    assert await balance(card_holder.account_id) == 10_000 - 100 * len(paid)
    assert await Card.filter(holder_id=card_holder.account_id).exclude(state="cancelled").count() == 1
