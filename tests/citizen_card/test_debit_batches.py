"""Debits taken together on PostgreSQL (citizen_card/debit_batches.py): the debits that arrive
while one batch is in flight go as the next; each is still checked and written as on its own, a
debit that breaks a unique index fails alone, and a batch the database refuses as a whole is run
again debit by debit."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from tortoise.exceptions import OperationalError

from citizen_card import debit_batches, debits, errors, ledger, qr
from citizen_card.models import Card, Debit, Terminal
from core.errors import AppError
from tests.citizen_card.helpers import balance, fund
from tests.conftest import BACKEND
from tests.support.auth import make_citizen

pytestmark = pytest.mark.skipif(BACKEND != "services", reason="batches are PostgreSQL's (SQLite has one writer)")


async def _holders(client, n: int, funds: int) -> list:
    holders = []
    for _ in range(n):
        holder = await make_citizen(level=2)
        assert (await client.post("/card", headers=holder.headers)).status_code == 201
        await fund(holder.account_id, funds)
        holders.append(holder)
    return holders


async def _pay(terminal: Terminal, holder, amount: int, txn_id: str, token: str | None = None):
    if token is None:
        token = (await qr.issue_token(await Card.get(holder_id=holder.account_id))).token
    try:
        return await debits.debit(terminal, txn_id=txn_id, amount=amount, qr_token=token)
    except AppError as exc:
        return exc


async def test_concurrent_debits_go_in_batches_and_each_is_exact(client, terminal):
    holders = await _holders(client, 3, 10_000)
    shop = await Terminal.get(id=terminal.terminal_id)
    cards = [await Card.get(holder_id=h.account_id) for h in holders]
    tokens = [(await qr.issue_token(cards[i % 3])).token for i in range(45)]  # so the debits arrive at once
    before = (debit_batches.counters.batches, debit_batches.counters.debits)
    results = await asyncio.gather(*(_pay(shop, holders[i % 3], 100 + i, f"B-{i}", tokens[i]) for i in range(45)))
    assert all(isinstance(r, debits.DebitResult) and not r.replayed for r in results), results
    batches = debit_batches.counters.batches - before[0]
    assert debit_batches.counters.debits - before[1] == 45 and batches < 45  # some went together
    for i, holder in enumerate(holders):
        assert await balance(holder.account_id) == 10_000 - sum(100 + k for k in range(i, 45, 3))
    assert await Debit.all().count() == 45


async def test_in_one_batch_a_used_token_or_txn_fails_alone(client, terminal):
    payer, other = await _holders(client, 2, 10_000)
    shop = await Terminal.get(id=terminal.terminal_id)
    token = (await qr.issue_token(await Card.get(holder_id=payer.account_id))).token
    retried = (await qr.issue_token(await Card.get(holder_id=other.account_id))).token
    last = (await qr.issue_token(await Card.get(holder_id=other.account_id))).token
    before = (debit_batches.counters.batches, debit_batches.counters.debits)
    results = await asyncio.gather(
        _pay(shop, other, 50, "T-4", last),  # goes alone; the others arrive meanwhile and go together
        _pay(shop, payer, 300, "T-1", token), _pay(shop, payer, 300, "T-2", token),  # one token twice
        _pay(shop, other, 200, "T-3", retried), _pay(shop, other, 200, "T-3", retried),  # a retry: one debit
    )
    results = results[1:] + results[:1]
    batches, sent = debit_batches.counters.batches - before[0], debit_batches.counters.debits - before[1]
    assert sent == 5 and batches < sent  # the conflicts below met inside one batch
    paid_by_token = [r for r in results[:2] if isinstance(r, debits.DebitResult)]
    assert len(paid_by_token) == 1 and [r.code for r in results[:2] if isinstance(r, AppError)] == ["card.qr.replayed"]
    assert all(isinstance(r, debits.DebitResult) for r in results[2:])
    assert results[2].debit.id == results[3].debit.id and [results[2].replayed, results[3].replayed].count(True) == 1
    assert await balance(payer.account_id) == 9_700 and await balance(other.account_id) == 9_750


async def test_a_batch_the_database_refuses_is_run_again_debit_by_debit(client, terminal):
    holders = await _holders(client, 2, 10_000)
    shop = await Terminal.get(id=terminal.terminal_id)
    now = datetime.now(UTC)
    settings = qr.get_card_settings()
    cards = [await Card.get(holder_id=h.account_id) for h in holders]

    def request(card: Card, txn_id: str, kid: str) -> debit_batches.DebitRequest:
        return debit_batches.DebitRequest(
            100, card.number, shop.id, shop.merchant_id, txn_id, 10**9 + len(txn_id) * 7 + ord(txn_id[-1]), kid, "",
            shop.secret_version, None, ledger.local_today(now), now, settings.limit_per_day, settings.limit_per_payment)

    retried = debit_batches.counters.retried_alone
    outcomes = await asyncio.gather(
        debit_batches.take(request(cards[0], "F-1", "k1")),
        debit_batches.take(request(cards[1], "F-2", "k" * 40)),  # longer than the column: the batch fails
        debit_batches.take(request(cards[0], "F-3", "k1")),
        return_exceptions=True,
    )
    assert isinstance(outcomes[1], OperationalError)
    assert outcomes[0].debit_id and outcomes[2].debit_id and outcomes[0].violated is None
    assert debit_batches.counters.retried_alone > retried
    assert await balance(holders[0].account_id) == 9_800 and await balance(holders[1].account_id) == 10_000


async def test_a_refused_debit_in_a_batch_writes_nothing(client, terminal):
    rich, poor = await _holders(client, 2, 1_000)
    shop = await Terminal.get(id=terminal.terminal_id)
    results = await asyncio.gather(_pay(shop, rich, 600, "P-1"), _pay(shop, poor, 1_500, "P-2"),
                                   _pay(shop, rich, 600, "P-3"))
    codes = sorted(r.code for r in results if isinstance(r, AppError))
    assert codes == [errors.INSUFFICIENT().code] * 2  # the second 600 on the rich card, and the poor one
    assert await balance(rich.account_id) == 400 and await balance(poor.account_id) == 1_000
