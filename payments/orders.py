"""Orders: idempotent creation, starting a payment, applying what a channel reports (exactly once),
fulfilment of the purpose, cancel and expiry.

State graph (every edge appends an :class:`OrderEvent`)::

    created ─pay→ paying ─paid→ paid ─refund→ partially_refunded ─refund→ refunded
       │             │                    └──────────refund (all)──────────→ refunded
       └──close──────┴─close→ closed          paying ─provider failed→ failed

Every state change is a conditional ``UPDATE ... WHERE state IN (allowed)`` in a transaction: the
UPDATE takes the order's row lock (PostgreSQL), a concurrent one waits and then matches nothing, so
concurrent deliveries of one notification change the state once. Paths that decide from several
fields (paying, refunding, closing) lock the row first with ``SELECT ... FOR UPDATE``. The
purpose's ``on_paid`` runs in the paying transaction, in a savepoint.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

from tortoise.exceptions import IntegrityError

from core.db import transaction
from core.errors import AppError
from payments import errors, registry
from payments.config import payments_settings
from payments.contract import ChannelTrade, OrderInfo, PayerContext, PrepayResult
from payments.models import Notification, Order, OrderEvent

log = logging.getLogger("zhushida.payments")

CLIENT_KEY = re.compile(r"^[A-Za-z0-9_.:-]{8,64}$")
PAYABLE = ("created", "paying")
PAID_STATES = ("paid", "partially_refunded", "refunded")
# A prepay must leave the citizen time to pay before the order expires.
PAY_MARGIN = timedelta(seconds=60)


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_number(prefix: str) -> str:
    """A merchant number: prefix + UTC timestamp + 10 random digits (26 chars, ≤ 32 for WeChat)."""
    return prefix + utcnow().strftime("%Y%m%d%H%M%S") + f"{secrets.randbelow(10**10):010d}"


def info(order: Order) -> OrderInfo:
    return OrderInfo(
        order_no=order.order_no, amount_fen=order.amount_fen, subject=order.subject,
        payer_account_id=order.payer_account_id, purpose_kind=order.purpose_kind,
        purpose_ref=order.purpose_ref, state=order.state, channel=order.channel, method=order.method,
        expires_at=order.expires_at, created_at=order.created_at, paid_at=order.paid_at,
        transaction_id=order.transaction_id, refunded_fen=order.refunded_fen, attach=dict(order.attach or {}),
        refundable_fen=(order.paid_amount_fen - order.refunded_fen - order.refund_reserved_fen)
        if order.state in ("paid", "partially_refunded") else 0,
    )


def _hash(payload: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


async def record_event(order: Order, from_state: str | None, to_state: str, reason: str, *,
                       actor: str = "system", data: dict[str, Any] | None = None) -> None:
    await OrderEvent.create(order_id=order.id, from_state=from_state, to_state=to_state, reason=reason,
                            actor=actor, data=data or {})


async def transition(order: Order, allowed_from: tuple[str, ...], to_state: str, reason: str, *,
                     actor: str = "system", data: dict[str, Any] | None = None, **fields: Any) -> bool:
    """Move ``order`` to ``to_state`` if it is still in ``allowed_from``; False if someone else won."""
    fields["updated_at"] = utcnow()
    changed = await Order.filter(id=order.id, state__in=allowed_from).update(state=to_state, **fields)
    if not changed:
        return False
    await record_event(order, order.state, to_state, reason, actor=actor, data=data)
    order.state = to_state
    for name, value in fields.items():
        setattr(order, name, value)
    return True


# ---- reading ---------------------------------------------------------------------------------------


async def get_order(order_no: str) -> Order:
    order = await Order.get_or_none(order_no=str(order_no)[:32])
    if order is None:
        raise errors.ORDER_NOT_FOUND(details={"order_no": order_no})
    return order


async def get_order_info(order_no: str) -> OrderInfo:
    return info(await get_order(order_no))


async def orders_for_purpose(kind: str, ref: str) -> list[OrderInfo]:
    return [info(o) for o in await Order.filter(purpose_kind=kind, purpose_ref=ref).order_by("-id")]


async def paid_order_for(kind: str, ref: str) -> OrderInfo | None:
    order = await Order.get_or_none(purpose_kind=kind, purpose_ref=ref, live_slot=1, state__in=PAID_STATES)
    return info(order) if order else None


# ---- creating ----------------------------------------------------------------------------------------


async def create_order(kind: str, ref: str, *, payer_account_id: int, client_key: str) -> OrderInfo:
    if not isinstance(client_key, str) or not CLIENT_KEY.match(client_key):
        raise errors.INVALID_KEY(details={"client_key": "8-64 characters of A-Z a-z 0-9 _ . : -"})
    ref = str(ref)
    if not ref or len(ref) > 64:
        raise errors.UNKNOWN_PURPOSE(details={"purpose_ref": "1-64 characters"})
    purpose = registry.purpose(kind)
    request_hash = _hash({"kind": kind, "ref": ref})

    existing = await Order.get_or_none(payer_account_id=payer_account_id, client_key=client_key)
    if existing is not None:
        return _same_request(existing, request_hash)

    quote = await purpose.describe(ref, payer_account_id)
    if not isinstance(quote.amount_fen, int) or isinstance(quote.amount_fen, bool) or quote.amount_fen <= 0:
        raise errors.INVALID_AMOUNT(details={"amount_fen": quote.amount_fen})
    if quote.payer_account_id != payer_account_id:
        raise errors.NOT_PAYER()

    for _attempt in range(3):
        live = await Order.get_or_none(purpose_kind=kind, purpose_ref=ref, live_slot=1)
        if live is not None:
            if live.state in PAID_STATES:
                raise errors.ALREADY_PAID(details={"order_no": live.order_no})
            if live.expires_at > utcnow() + PAY_MARGIN and live.payer_account_id == payer_account_id \
                    and live.amount_fen == quote.amount_fen:
                return info(live)  # one open order per purpose: hand back the one in progress
            await expire_order(live.order_no, force=True)
            continue
        ttl = quote.expires_in_seconds or payments_settings().order_ttl_seconds
        try:
            async with transaction():
                order = await Order.create(
                    order_no=new_number("ZS"), payer_account_id=payer_account_id, client_key=client_key,
                    request_hash=request_hash, purpose_kind=kind, purpose_ref=ref, live_slot=1,
                    subject=(quote.subject or kind)[:128], amount_fen=quote.amount_fen,
                    attach=dict(quote.attach or {}), state="created",
                    expires_at=utcnow() + timedelta(seconds=max(120, int(ttl))),
                )
                await record_event(order, None, "created", "create", actor=f"citizen:{payer_account_id}",
                                   data={"amount_fen": quote.amount_fen})
            return info(order)
        except IntegrityError:
            # A concurrent request won: the same client key, or another order for this purpose.
            existing = await Order.get_or_none(payer_account_id=payer_account_id, client_key=client_key)
            if existing is not None:
                return _same_request(existing, request_hash)
    raise errors.ALREADY_PAID(details={"reason": "another order for this purpose is in progress"})


def _same_request(existing: Order, request_hash: str) -> OrderInfo:
    if existing.request_hash != request_hash:
        raise errors.IDEMPOTENCY_CONFLICT(details={"order_no": existing.order_no})
    return info(existing)


# ---- paying ------------------------------------------------------------------------------------------


async def start_payment(order_no: str, channel_name: str, method: str, payer: PayerContext) -> PrepayResult:
    channel = registry.channel(channel_name)
    if method not in channel.methods:
        raise errors.UNKNOWN_CHANNEL(details={"channel": channel_name, "method": method,
                                              "methods": list(channel.methods)})
    async with transaction():
        order = await Order.filter(order_no=order_no).select_for_update().first()
        if order is None:
            raise errors.ORDER_NOT_FOUND(details={"order_no": order_no})
        if order.payer_account_id != payer.account_id:
            raise errors.ORDER_NOT_FOUND(details={"order_no": order_no})
        purpose = registry.purpose(order.purpose_kind)
        if purpose.channels is not None and channel_name not in purpose.channels:
            raise errors.CHANNEL_NOT_ALLOWED(details={"allowed": list(purpose.channels)})
        if order.state not in PAYABLE or order.expires_at <= utcnow() + PAY_MARGIN:
            raise errors.ORDER_NOT_PAYABLE(details={"state": order.state})
        if order.channel is not None and (order.channel, order.method) != (channel_name, method):
            raise errors.CHANNEL_LOCKED(details={"channel": order.channel, "method": order.method})
        if order.state == "created":
            await transition(order, ("created",), "paying", "prepay", actor=f"citizen:{payer.account_id}",
                             data={"channel": channel_name, "method": method},
                             channel=channel_name, method=method)
    # The provider is called outside the transaction: no lock is held across the network.
    try:
        result = await channel.prepay(info(order), method, payer)
    except AppError as exc:
        if exc.code == errors.PROVIDER_REFUSED.code:
            await _prepay_refused(order, channel_name, exc)
        raise
    if result.completed is not None:
        await apply_trade(channel_name, result.completed, source="prepay")
    return result


async def _prepay_refused(order: Order, channel_name: str, exc: AppError) -> None:
    """The provider refused the trade itself (not a network failure): unless it turns out to be
    paid already, the order has failed and the purpose is free for a new order."""
    try:
        trade = await registry.channel(channel_name).query(info(order))
    except AppError:
        return  # cannot tell: leave it paying; the periodic query and expiry settle it
    if trade.state == "paid":
        await apply_trade(channel_name, trade, source="query")
        return
    async with transaction():
        await transition(order, PAYABLE, "failed", "prepay_refused", data=dict(exc.details), live_slot=None,
                         closed_at=utcnow())


# ---- applying what the channel reports ----------------------------------------------------------------


async def apply_trade(channel_name: str, trade: ChannelTrade, *, source: str,
                      record: Notification | None = None) -> str:
    """Apply a channel's verified report of one trade; returns the outcome.

    Outcomes: ``applied`` (the order became paid now), ``duplicate`` (already paid by this very
    trade), ``unknown_order``, ``channel_mismatch``, ``amount_mismatch``, ``paid_after_close``,
    ``conflicting_trade``, ``not_paid`` (nothing to do).

    The state change is one conditional ``UPDATE ... WHERE state IN ('created', 'paying')``: it
    takes the row lock, and a concurrent delivery waiting on that lock re-reads the row and
    updates nothing (PostgreSQL re-checks the condition; SQLite serialises writers). Channel and
    amount are fixed once an order is being paid, so checking them on the first read is enough.
    ``record`` (a raw notification, unsaved) is stored with the outcome, in the same transaction
    when it changed the order.
    """
    if trade.state != "paid":
        return "not_paid"
    order = await Order.get_or_none(order_no=trade.order_no)
    verdict = _verdict(order, channel_name, trade)
    if verdict is None:
        now = utcnow()
        async with transaction():
            # fulfilled_at is set optimistically: the purpose is told below, in this transaction.
            changed = await Order.filter(id=order.id, state__in=PAYABLE).update(
                state="paid", paid_amount_fen=trade.amount_fen, transaction_id=trade.transaction_id,
                paid_at=trade.paid_at or now, fulfilled_at=now, updated_at=now,
            )
            if changed:
                await record_event(order, order.state, "paid", f"paid:{source}",
                                   data={"transaction_id": trade.transaction_id})
                order.state, order.paid_amount_fen, order.paid_at = "paid", trade.amount_fen, trade.paid_at or now
                order.transaction_id, order.fulfilled_at = trade.transaction_id, now
                await _fulfil(order, optimistic=True)
                await _keep(record, "applied")
                return "applied"
        order = await Order.get(id=order.id)  # lost the race: classify what the winner left
        verdict = _verdict(order, channel_name, trade) or "duplicate"
    if verdict == "paid_after_close":
        log.error("order %s is %s but %s reports it paid (%s)", order.order_no, order.state, channel_name,
                  trade.transaction_id)
        await record_event(order, order.state, order.state, "paid_after_close",
                           data={"transaction_id": trade.transaction_id, "source": source})
    elif verdict in ("amount_mismatch", "conflicting_trade"):
        log.warning("payment report for %s refused (%s): %s fen, trade %s", trade.order_no, verdict,
                    trade.amount_fen, trade.transaction_id)
    await _keep(record, verdict)
    return verdict


async def _keep(record: Notification | None, outcome: str) -> None:
    if record is not None:
        record.outcome = outcome
        await record.save()


def _verdict(order: Order | None, channel_name: str, trade: ChannelTrade) -> str | None:
    """Why a paid trade cannot be applied to ``order`` as it is, or None when it can."""
    if order is None:
        return "unknown_order"
    if order.channel != channel_name:
        return "channel_mismatch"
    if trade.amount_fen != order.amount_fen:
        return "amount_mismatch"
    if order.state in PAID_STATES:
        if order.transaction_id and trade.transaction_id and order.transaction_id != trade.transaction_id:
            return "conflicting_trade"
        return "duplicate"
    if order.state not in PAYABLE:
        return "paid_after_close"
    return None


async def _fulfil(order: Order, *, optimistic: bool = False) -> None:
    """Tell the purpose, inside the caller's transaction, in a savepoint: a failing purpose is
    retried by :func:`retry_fulfilments`; the payment stays recorded either way."""
    purpose = registry.purposes().get(order.purpose_kind)
    try:
        if purpose is None:
            raise LookupError(f"no purpose {order.purpose_kind!r} registered")
        async with transaction():
            await purpose.on_paid(info(order))
    except Exception:
        log.exception("on_paid of purpose %s failed for order %s", order.purpose_kind, order.order_no)
        await Order.filter(id=order.id).update(fulfilled_at=None, fulfil_attempts=order.fulfil_attempts + 1)
        return
    if not optimistic:
        await Order.filter(id=order.id).update(fulfilled_at=utcnow())


async def retry_fulfilments(limit: int = 100) -> int:
    """Run ``on_paid`` again for paid orders whose purpose failed (periodic)."""
    done = 0
    ids = await Order.filter(state__in=PAID_STATES, fulfilled_at=None, fulfil_attempts__lt=20) \
        .limit(limit).values_list("id", flat=True)
    for order_id in ids:
        async with transaction():
            order = await Order.filter(id=order_id, fulfilled_at=None).select_for_update().first()
            if order is None:
                continue
            await _fulfil(order)
            done += 1
    return done


# ---- cancel, expiry, active query ---------------------------------------------------------------------


async def cancel_order(order_no: str, *, reason: str = "cancelled", actor: str = "system") -> OrderInfo:
    order = await get_order(order_no)
    if order.state in PAID_STATES:
        raise errors.ORDER_NOT_CANCELLABLE()
    if order.state in ("closed", "failed"):
        return info(order)
    outcome = await _close(order, reason=reason, actor=actor)
    order = await get_order(order_no)
    if outcome == "paid":
        raise errors.ORDER_NOT_CANCELLABLE(details={"reason": "paid meanwhile"})
    return info(order)


async def expire_order(order_no: str, *, force: bool = False) -> str:
    """Close an expired unpaid order (first asking the channel: it may have been paid)."""
    order = await get_order(order_no)
    if order.state not in PAYABLE or (not force and order.expires_at > utcnow()):
        return "skipped"
    return await _close(order, reason="expired", actor="system")


async def _close(order: Order, *, reason: str, actor: str) -> str:
    if order.channel is not None:
        channel = registry.channel(order.channel)
        trade = await channel.query(info(order))
        if trade.state == "paid":
            await apply_trade(order.channel, trade, source="query")
            return "paid"
        if trade.state not in ("closed", "unknown"):
            await channel.close(info(order))
    async with transaction():
        locked = await Order.filter(id=order.id).select_for_update().first()
        closed = await transition(locked, PAYABLE, "closed", reason, actor=actor, live_slot=None,
                                  closed_at=utcnow())
    return "closed" if closed else "skipped"


async def close_expired_orders(limit: int = 200) -> int:
    """Periodic: close orders past their expiry (asking the channel first)."""
    numbers = await Order.filter(state__in=PAYABLE, expires_at__lte=utcnow()).order_by("expires_at") \
        .limit(limit).values_list("order_no", flat=True)
    closed = 0
    for order_no in numbers:
        try:
            if await expire_order(order_no) == "closed":
                closed += 1
        except Exception:
            log.exception("closing expired order %s failed", order_no)
    return closed


async def query_pending_orders(older_than_seconds: int = 60, limit: int = 200) -> int:
    """Periodic: orders being paid with no notification yet are queried actively (主动查单)."""
    now = utcnow()
    pending = await Order.filter(state="paying", updated_at__lte=now - timedelta(seconds=older_than_seconds)) \
        .order_by("last_queried_at", "id").limit(limit)
    applied = 0
    for order in pending:
        try:
            trade = await registry.channel(order.channel).query(info(order))
            await Order.filter(id=order.id).update(last_queried_at=now)
            if await apply_trade(order.channel, trade, source="query") == "applied":
                applied += 1
        except Exception:
            log.exception("querying order %s failed", order.order_no)
    return applied
