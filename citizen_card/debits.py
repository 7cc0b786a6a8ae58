"""Terminal payments: a debit against a dynamic QR token, and refunds of it.

Idempotent by the terminal's transaction id: the same id with the same content answers the
original result, with different content it is refused (``card.txn_conflict``). Concurrent debits
on one card are serialised by the wallet's row lock (PostgreSQL): the balance, daily spending and
the one-debit-per-token check are all read and written under it.

The terminal handed in may be the process's copy (:class:`citizen_card.terminals.SignedTerminal`):
that it and its merchant are still active and its secret not rotated is checked inside the debit
statement on PostgreSQL, and by a read before any other answer.

On PostgreSQL the debit itself is one statement in the database function ``card_debit_batch``
(``db_rules.DEBIT_BATCH_FUNCTION``), sent together with the other debits of the moment
(``debit_batches``); on SQLite the same rules run through the ORM under the wallet's row lock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import NoReturn

from tortoise import connections
from tortoise.exceptions import IntegrityError

from citizen_card import cards, debit_batches, errors, ledger, qr, terminals
from citizen_card.models import Card, Debit, DebitNonce, Refund, Terminal
from citizen_card.terminals import SignedTerminal
from core import changes
from core.db import transaction, transaction_open
from core.errors import BAD_REQUEST, CONFLICT, AppError

MAX_TXN_ID = 64


class _TokenUsed(Exception):
    """Raised under the wallet lock when the token already paid; sorted out after rollback."""


@dataclass(frozen=True, slots=True)
class PaidDebit:
    """A debit the one statement just wrote: the fields of :class:`Debit`, without building an ORM
    object on every payment."""

    id: int
    terminal_id: int
    merchant_id: int
    txn_id: str
    card_id: int
    amount: int
    qr_counter: int
    qr_kid: str
    refunded: int
    journal_id: int
    created_at: datetime


@dataclass(frozen=True, slots=True)
class CardRef:
    id: int
    number: str


@dataclass(frozen=True, slots=True)
class DebitResult:
    debit: Debit | PaidDebit
    card: Card | CardRef
    replayed: bool  # True when this answers a retry of a debit that already succeeded


@dataclass(frozen=True, slots=True)
class RefundResult:
    refund: Refund
    debit: Debit
    replayed: bool


MAX_AMOUNT = 10**12  # fen; far above any limit, and well inside a 64-bit column


def _check_amount(amount: int) -> None:
    if not isinstance(amount, int) or isinstance(amount, bool) or not 0 < amount <= MAX_AMOUNT:
        raise errors.BAD_AMOUNT()


def _check_txn_id(txn_id: str) -> None:
    if not txn_id or len(txn_id) > MAX_TXN_ID or not txn_id.isprintable():
        raise BAD_REQUEST(details={"field": "txn_id", "reason": "1-64 printable characters"})


TerminalLike = Terminal | SignedTerminal


async def _answer_retry(terminal: TerminalLike, txn_id: str, amount: int, claims: qr.QrClaims) -> DebitResult | None:
    existing = await Debit.get_or_none(terminal_id=terminal.id, txn_id=txn_id).select_related("card")
    if existing is None:
        return None
    if existing.amount != amount or existing.card.number != claims.card_number or existing.qr_counter != claims.counter:
        raise errors.TXN_CONFLICT(details={"txn_id": txn_id})
    return DebitResult(existing, existing.card, replayed=True)


async def debit(terminal: TerminalLike, *, txn_id: str, amount: int, qr_token: str, memo: str = "",
                now: float | None = None, nonce: str | None = None) -> DebitResult:
    """Take a payment. ``nonce`` is the request signature's nonce when the route left recording it
    to the debit (terminals.RECORDS_NONCE_ITSELF): on PostgreSQL the debit statement records it
    (and every refusal before the statement does), elsewhere the nonce store, first thing. Either
    way a replayed request is refused before anything else is answered."""
    postgres = ledger.is_postgres()
    if nonce is not None and not postgres:
        await terminals.record_nonce(terminal, nonce)
    statement_nonce = _nonce_key(terminal, nonce) if postgres and nonce is not None else None
    try:
        _check_txn_id(txn_id)
        _check_amount(amount)
        claims = qr.verify_signature(qr_token, qr.load_keyring().verifiers)
    except AppError:
        await _refusing(terminal, statement_nonce)  # a replay, disabled or rotated terminal hears that first
        raise
    try:
        qr.check_time(claims, now=now, grace_seconds=qr.get_card_settings().qr_submit_grace_seconds)
    except AppError:
        await _refusing(terminal, statement_nonce)
        # A retry of a debit that already succeeded gets its answer even after the token expired.
        retry = await _answer_retry(terminal, txn_id, amount, claims)
        if retry is not None:
            return retry
        raise
    if postgres:
        used = False
        try:
            paid = await _debit_in_batch(terminal, txn_id, amount, claims, memo, statement_nonce)
        except IntegrityError as exc:  # the nonce, the txn id or the token was used already
            if _violated(exc) == NONCE_KEY_CONSTRAINT:
                raise errors.TERMINAL_NONCE() from None
            await _record_statement_nonce(statement_nonce)  # rolled back with the statement
            paid, used = None, True
        if paid is not None:
            return paid
        await terminals.confirm(terminal)
        retry = await _answer_retry(terminal, txn_id, amount, claims)
        if retry is not None:
            return retry
        if used:
            raise errors.QR_REPLAYED()
        await _explain_refusal(claims, amount)
    await terminals.confirm(terminal)
    try:
        return await _debit_under_lock(terminal, txn_id, amount, claims, memo)
    except (IntegrityError, _TokenUsed):
        # The txn id or the token was used already (perhaps by a concurrent request): a retry of
        # this very debit gets the original answer, anything else is a replay.
        retry = await _answer_retry(terminal, txn_id, amount, claims)
        if retry is not None:
            return retry
        raise errors.QR_REPLAYED() from None


NONCE_KEY_CONSTRAINT = "card_debit_nonce_pkey"
_RECORD_NONCE = 'INSERT INTO "card_debit_nonce" ("key", "seen_at") VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING "key"'


def _nonce_key(terminal: TerminalLike, nonce: str) -> str:
    return f"{terminal.id}:{nonce}"


def _violated(exc: IntegrityError) -> str | None:
    """The name of the unique constraint a debit broke (``_debit_in_batch`` raises it by name)."""
    return exc.args[0] if exc.args and isinstance(exc.args[0], str) else None


async def _record_statement_nonce(key: str | None) -> None:
    """Record a debit request's nonce outside the statement (a refusal before it, or the statement
    rolled back); a nonce seen before is a replay."""
    if key is None:
        return
    rows = await connections.get("default").execute_query_dict(_RECORD_NONCE, [key, datetime.now(UTC)])
    if not rows:
        raise errors.TERMINAL_NONCE()


async def _refusing(terminal: TerminalLike, statement_nonce: str | None) -> None:
    await _record_statement_nonce(statement_nonce)
    await terminals.confirm(terminal)


async def purge_debit_nonces(now: datetime | None = None) -> int:
    """Forget debit nonces older than the signature window: a request that old is refused as stale."""
    window = timedelta(seconds=2 * qr.get_card_settings().signature_max_skew_seconds + 1)
    return await DebitNonce.filter(seen_at__lt=(now or datetime.now(UTC)) - window).delete()


async def _card_and_limits(claims: qr.QrClaims, amount: int) -> tuple[Card, int, int]:
    card = await Card.get_or_none(number=claims.card_number)
    if card is None:
        raise errors.NO_CARD()
    per_payment, per_day = cards.limits_of(card)
    if amount > per_payment:
        raise errors.OVER_PAYMENT_LIMIT(details={"limit": per_payment})
    return card, per_payment, per_day


async def _debit_under_lock(terminal: TerminalLike, txn_id: str, amount: int, claims: qr.QrClaims,
                            memo: str) -> DebitResult:
    """Portable path (SQLite): read and write under the wallet's row lock with the ORM."""
    retry = await _answer_retry(terminal, txn_id, amount, claims)
    if retry is not None:
        return retry
    card, _per_payment, per_day = await _card_and_limits(claims, amount)
    merchant = await ledger.merchant_account(terminal.merchant_id)
    async with transaction():
        wallet = await ledger.lock_wallet(card.id)
        if not wallet.spendable:
            raise errors.NOT_ACTIVE(details={"state": (await Card.get(id=card.id)).state})
        if await Debit.exists(card_id=card.id, qr_counter=claims.counter):
            raise _TokenUsed()
        today = ledger.local_today()
        spent = wallet.spent_today if wallet.spent_day == today else 0
        if spent + amount > per_day:
            raise errors.OVER_DAILY_LIMIT(details={"limit": per_day, "spent_today": spent})
        wallet.spent_day, wallet.spent_today = today, spent + amount
        journal = await ledger.post(
            "debit", f"{terminal.id}:{txn_id}", [(wallet, -amount), (merchant, amount)], memo=memo,
        )
        record = await Debit.create(
            terminal_id=terminal.id, merchant_id=terminal.merchant_id, txn_id=txn_id, card_id=card.id,
            amount=amount, qr_counter=claims.counter, qr_kid=claims.kid, journal_id=journal.id,
        )
    return DebitResult(record, card, replayed=False)


async def _debit_in_batch(terminal: TerminalLike, txn_id: str, amount: int, claims: qr.QrClaims,
                          memo: str, nonce_key: str | None) -> DebitResult | None:
    """PostgreSQL: the debit as one statement, sent with the other debits of this moment
    (citizen_card/debit_batches.py). None when a condition refused it (nothing written but the
    nonce); IntegrityError naming the constraint when a nonce, txn id or token was used already."""
    settings = qr.get_card_settings()
    at = datetime.now(UTC)
    request = debit_batches.DebitRequest(
        amount, claims.card_number, terminal.id, terminal.merchant_id, txn_id, claims.counter, claims.kid,
        memo[:128], terminal.secret_version, nonce_key, ledger.local_today(at), at, settings.limit_per_day,
        settings.limit_per_payment,
    )
    outcome = await debit_batches.take(request, alone=transaction_open())
    if outcome.violated is not None:
        raise IntegrityError(outcome.violated)
    if outcome.debit_id is None:
        return None
    changes.publish("card", outcome.card_id)  # committed; no I/O here
    record = PaidDebit(outcome.debit_id, terminal.id, terminal.merchant_id, txn_id, outcome.card_id, amount,
                       claims.counter, claims.kid, 0, outcome.journal_id, at)
    return DebitResult(record, CardRef(outcome.card_id, claims.card_number), replayed=False)


async def _explain_refusal(claims: qr.QrClaims, amount: int) -> NoReturn:
    """Say why the statement wrote nothing (read after the fact, for the message only)."""
    card, _per_payment, per_day = await _card_and_limits(claims, amount)
    wallet = await ledger.LedgerAccount.get(card_id=card.id)
    if not wallet.spendable:
        raise errors.NOT_ACTIVE(details={"state": card.state})
    if wallet.balance < amount:
        raise errors.INSUFFICIENT(details={"balance": wallet.balance, "amount": amount})
    spent = wallet.spent_today if wallet.spent_day == ledger.local_today() else 0
    if spent + amount > per_day:
        raise errors.OVER_DAILY_LIMIT(details={"limit": per_day, "spent_today": spent})
    raise CONFLICT(details={"reason": "the card or terminal changed meanwhile; nothing was debited, retry"})


async def refund(terminal: TerminalLike, *, txn_id: str, amount: int, original_txn_id: str | None = None,
                 debit_id: int | None = None, reason: str = "") -> RefundResult:
    """Give back (part of) a debit of the same merchant, to the card it came from - or, if that
    card was replaced since, to its successor."""
    _check_txn_id(txn_id)
    _check_amount(amount)
    existing = await Refund.get_or_none(terminal_id=terminal.id, txn_id=txn_id).select_related("debit")
    if existing is not None:
        return _same_refund(existing, amount, original_txn_id, debit_id, terminal)
    original = await _find_debit(terminal, original_txn_id, debit_id)
    target = await cards.current_card_for_credit(original.card_id)
    try:
        async with transaction():
            locked = await Debit.select_for_update(no_key=True).get(id=original.id)
            left = locked.amount - locked.refunded
            if amount > left:
                raise errors.REFUND_TOO_LARGE(details={"refundable": left})
            wallet = await ledger.lock_wallet(target.id)
            merchant = await ledger.merchant_account(terminal.merchant_id)
            journal = await ledger.post(
                "refund", f"{terminal.id}:{txn_id}", [(merchant, -amount), (wallet, amount)], memo=reason,
            )
            await Debit.filter(id=locked.id).update(refunded=locked.refunded + amount)
            record = await Refund.create(
                terminal_id=terminal.id, txn_id=txn_id, debit_id=locked.id, amount=amount, journal_id=journal.id,
            )
    except IntegrityError:
        existing = await Refund.get_or_none(terminal_id=terminal.id, txn_id=txn_id).select_related("debit")
        if existing is None:
            raise
        return _same_refund(existing, amount, original_txn_id, debit_id, terminal)
    return RefundResult(record, await Debit.get(id=original.id), replayed=False)


def _same_refund(existing: Refund, amount: int, original_txn_id: str | None, debit_id: int | None,
                 terminal: TerminalLike) -> RefundResult:
    matches = existing.amount == amount and (
        (debit_id is not None and existing.debit_id == debit_id)
        or (original_txn_id is not None and existing.debit.txn_id == original_txn_id
            and existing.debit.terminal_id == terminal.id)
    )
    if not matches:
        raise errors.TXN_CONFLICT(details={"txn_id": existing.txn_id})
    return RefundResult(existing, existing.debit, replayed=True)


async def _find_debit(terminal: TerminalLike, original_txn_id: str | None, debit_id: int | None) -> Debit:
    if debit_id is not None:
        found = (await Debit.get_or_none(id=debit_id, merchant_id=terminal.merchant_id)
                 if 0 < debit_id < 2**63 else None)
    elif original_txn_id is not None:
        found = await Debit.get_or_none(terminal_id=terminal.id, txn_id=original_txn_id)
    else:
        found = None
    if found is None:
        raise errors.DEBIT_NOT_FOUND()
    return found


def debit_view(result: DebitResult) -> dict:
    from citizen_card.numbers import mask

    d = result.debit
    return {
        "debit_id": d.id, "txn_id": d.txn_id, "amount": d.amount, "refunded": d.refunded,
        "card": mask(result.card.number), "status": "succeeded", "replayed": result.replayed,
        "created_at": _iso(d.created_at),
    }


def refund_view(result: RefundResult) -> dict:
    r = result.refund
    return {
        "refund_id": r.id, "txn_id": r.txn_id, "debit_id": r.debit_id, "amount": r.amount,
        "debit_refunded_total": result.debit.refunded, "status": "succeeded", "replayed": result.replayed,
        "created_at": _iso(r.created_at),
    }


def _iso(at: datetime) -> str:
    return at.isoformat().replace("+00:00", "Z")
