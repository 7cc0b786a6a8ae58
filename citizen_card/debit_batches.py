"""Terminal debits taken together on PostgreSQL: one round trip and one commit for many.

Each app process sends a debit to the database at once when none is in flight; the debits that
arrive meanwhile wait and go as the next batch (at most :data:`MAX_BATCH`), in one call of the
database function ``card_debit_batch`` (``citizen_card/db_rules.py``, migration 0003). Inside,
each debit is the same one statement as on its own - nonce, card, balance, limits, terminal,
merchant and secret version checked on the rows it writes - in a block of its own, so a debit that
breaks a unique index (a nonce, txn id or token used before) is rolled back alone and reported by
the constraint's name, and the others stand. A batch costs PostgreSQL one transaction instead of
one per debit, and the app one query: what measured 0.8 ms of PostgreSQL CPU per debit on its
own took about half in batches of eight (bench/README.md).

Debits are sent ordered by card number, so two batches lock wallets in the same order and never
deadlock on them. Should a batch fail as a whole all the same (a deadlock with other work, a value
the database refuses), each of its debits is run again on its own, and only a debit that fails
alone gets the error. Without a batch in flight nothing waits: an idle terminal's debit is not
delayed.
"""

from __future__ import annotations

import asyncio
import weakref
from dataclasses import dataclass
from datetime import date, datetime

from tortoise import connections

MAX_BATCH = 32  # a block per debit is a subtransaction: stay well under PostgreSQL's cache of 64

_CALL = 'SELECT * FROM "card_debit_batch"($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)'


@dataclass(frozen=True, slots=True)
class DebitRequest:
    amount: int
    card_number: str
    terminal_id: int
    merchant_id: int
    txn_id: str
    counter: int
    kid: str
    memo: str
    secret_version: int
    nonce_key: str | None  # None: the caller records the request's nonce itself (or there is none)
    day: date
    at: datetime
    limit_per_day: int
    limit_per_payment: int


@dataclass(frozen=True, slots=True)
class Outcome:
    """Paid (``debit_id`` set), refused by a condition (nothing set: nothing was written but the
    nonce), or rolled back by a unique index (``violated``: the constraint's name)."""

    debit_id: int | None
    card_id: int | None
    journal_id: int | None
    violated: str | None


@dataclass(slots=True)
class Counters:
    """How batching went in this process (read by tests and the benchmark)."""

    batches: int = 0
    debits: int = 0
    retried_alone: int = 0


counters = Counters()


async def execute(requests: list[DebitRequest]) -> list[Outcome]:
    """Run debits in one call, in this order (the caller orders them by card); one Outcome each."""
    first = requests[0]
    rows = await connections.get("default").execute_query_dict(_CALL, [
        [r.amount for r in requests], [r.card_number for r in requests], [r.terminal_id for r in requests],
        [r.merchant_id for r in requests], [r.txn_id for r in requests], [r.counter for r in requests],
        [r.kid for r in requests], [r.memo for r in requests], [r.secret_version for r in requests],
        [r.nonce_key for r in requests], [r.day for r in requests], [r.at for r in requests],
        first.limit_per_day, first.limit_per_payment,
    ])
    by_index = {row["idx"]: row for row in rows}
    return [Outcome(by_index[i]["debit_id"], by_index[i]["card_id"], by_index[i]["journal_id"], by_index[i]["violated"])
            for i in range(1, len(requests) + 1)]


class _Batcher:
    """The debits of one event loop waiting for the database."""

    def __init__(self) -> None:
        self.waiting: list[tuple[DebitRequest, asyncio.Future[Outcome]]] = []
        self.draining: asyncio.Task[None] | None = None

    async def take(self, request: DebitRequest) -> Outcome:
        future: asyncio.Future[Outcome] = asyncio.get_running_loop().create_future()
        self.waiting.append((request, future))
        if self.draining is None:
            self.draining = asyncio.create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        try:
            while self.waiting:
                batch, self.waiting = self.waiting[:MAX_BATCH], self.waiting[MAX_BATCH:]
                batch.sort(key=lambda item: item[0].card_number)  # one wallet lock order for all batches
                await self._run(batch)
        finally:
            self.draining = None

    async def _run(self, batch: list[tuple[DebitRequest, asyncio.Future[Outcome]]]) -> None:
        try:
            outcomes = await execute([request for request, _future in batch])
        except Exception as exc:  # the batch as a whole failed: nothing of it was written
            if len(batch) > 1:
                counters.retried_alone += len(batch)
                for item in batch:
                    await self._run([item])
            elif not batch[0][1].done():
                batch[0][1].set_exception(exc)
            return
        counters.batches += 1
        counters.debits += len(batch)
        for (_request, future), outcome in zip(batch, outcomes, strict=True):
            if not future.done():  # a request cancelled meanwhile: its debit stands (a retry answers it)
                future.set_result(outcome)


_batchers: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Batcher] = weakref.WeakKeyDictionary()


async def take(request: DebitRequest, *, alone: bool = False) -> Outcome:
    """The debit's outcome, in the next batch of this process (``alone``: at once, in the caller's
    task - e.g. inside a transaction the caller holds)."""
    if alone:
        return (await execute([request]))[0]
    loop = asyncio.get_running_loop()
    batcher = _batchers.get(loop)
    if batcher is None:
        batcher = _batchers[loop] = _Batcher()
    return await batcher.take(request)
