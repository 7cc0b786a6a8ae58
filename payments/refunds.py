"""Refunds: each its own object (processing → succeeded | failed), full or partial.

A request states the refundable amount it expects. Under the order's row lock the platform
compares it with ``paid - refunded - reserved`` (reserved = refunds still processing), so of two
racing requests written against the same view only the first passes. The amount is reserved before
the provider is called and released if the provider refuses.
"""

from __future__ import annotations

import logging

from core.db import transaction
from core.errors import AppError
from payments import errors, registry
from payments.contract import RefundInfo, RefundOutcome
from payments.models import Order, Refund
from payments.orders import CLIENT_KEY, _hash, info, new_number, record_event, transition, utcnow

log = logging.getLogger("zhushida.payments")

REFUNDABLE_STATES = ("paid", "partially_refunded")


def refund_info(refund: Refund, order_no: str) -> RefundInfo:
    return RefundInfo(
        refund_no=refund.refund_no, order_no=order_no, amount_fen=refund.amount_fen, reason=refund.reason,
        state=refund.state, created_at=refund.created_at, succeeded_at=refund.succeeded_at,
        provider_refund_id=refund.provider_refund_id,
    )


def refundable_fen(order: Order) -> int:
    return order.paid_amount_fen - order.refunded_fen - order.refund_reserved_fen


async def refunds_of(order_no: str) -> list[RefundInfo]:
    return [refund_info(r, order_no) for r in await Refund.filter(order__order_no=order_no).order_by("id")]


async def request_refund(order_no: str, amount_fen: int, *, expected_refundable_fen: int, reason: str,
                         client_key: str, actor: str = "system") -> RefundInfo:
    if not isinstance(amount_fen, int) or isinstance(amount_fen, bool) or amount_fen <= 0:
        raise errors.INVALID_AMOUNT(details={"amount_fen": amount_fen})
    if not isinstance(expected_refundable_fen, int) or isinstance(expected_refundable_fen, bool):
        raise errors.INVALID_AMOUNT(details={"expected_refundable_fen": expected_refundable_fen})
    if not isinstance(client_key, str) or not CLIENT_KEY.match(client_key):
        raise errors.INVALID_KEY(details={"client_key": "8-64 characters of A-Z a-z 0-9 _ . : -"})
    reason = (reason or "退款").strip()[:80] or "退款"
    request_hash = _hash({"amount": amount_fen, "expected": expected_refundable_fen, "reason": reason})

    async with transaction():
        order = await Order.filter(order_no=order_no).select_for_update().first()
        if order is None:
            raise errors.ORDER_NOT_FOUND(details={"order_no": order_no})
        existing = await Refund.get_or_none(order_id=order.id, client_key=client_key)
        if existing is not None:
            if existing.request_hash != request_hash:
                raise errors.IDEMPOTENCY_CONFLICT(details={"refund_no": existing.refund_no})
            return refund_info(existing, order.order_no)
        if order.state not in REFUNDABLE_STATES:
            raise errors.NOT_REFUNDABLE(details={"state": order.state})
        refundable = refundable_fen(order)
        if expected_refundable_fen != refundable:
            raise errors.REFUNDABLE_CHANGED(details={"refundable_fen": refundable})
        if amount_fen > refundable:
            raise errors.REFUND_TOO_LARGE(details={"refundable_fen": refundable})
        refund = await Refund.create(
            refund_no=new_number("RF"), order_id=order.id, client_key=client_key, request_hash=request_hash,
            amount_fen=amount_fen, reason=reason, state="processing", actor=actor,
        )
        await Order.filter(id=order.id).update(refund_reserved_fen=order.refund_reserved_fen + amount_fen)
        await record_event(order, order.state, order.state, "refund_requested", actor=actor,
                           data={"refund_no": refund.refund_no, "amount_fen": amount_fen})
    channel = registry.channel(order.channel)
    try:
        outcome = await channel.refund(info(order), refund_info(refund, order.order_no))
    except AppError as exc:
        if exc.status >= 500:
            # Unknown whether the provider took it: stays processing, resolved by the refund query.
            log.warning("refund %s: provider unreachable (%s %s); will query", refund.refund_no, exc.code, exc.details)
            return refund_info(refund, order.order_no)
        outcome = RefundOutcome(refund_no=refund.refund_no, state="failed", raw={"error": exc.message_en})
        await apply_refund_outcome(order.channel, outcome, source="refund", failure=exc.message_en)
        raise
    await apply_refund_outcome(order.channel, outcome, source="refund")
    refund = await Refund.get(id=refund.id)
    return refund_info(refund, order.order_no)


async def apply_refund_outcome(channel_name: str, outcome: RefundOutcome, *, source: str,
                               failure: str | None = None) -> str:
    """Apply a channel's verified report of one refund, exactly once; returns the outcome."""
    if outcome.state == "processing":
        return "processing"
    refund_row = await Refund.filter(refund_no=outcome.refund_no).only("id", "order_id").first()
    if refund_row is None:
        return "unknown_refund"
    async with transaction():
        # Lock order then refund, always in this order: no deadlock between refunds of one order.
        order = await Order.filter(id=refund_row.order_id).select_for_update().first()
        refund = await Refund.filter(id=refund_row.id).select_for_update().first()
        if order.channel != channel_name:
            return "channel_mismatch"
        if outcome.order_no and outcome.order_no != order.order_no:
            return "order_mismatch"
        if refund.state != "processing":
            return "duplicate" if refund.state == outcome.state else "conflicting_state"
        if outcome.state == "failed":
            await Refund.filter(id=refund.id, state="processing").update(
                state="failed", failure=(failure or str(outcome.raw.get("error", "")) or "failed")[:255],
                updated_at=utcnow())
            await Order.filter(id=order.id).update(refund_reserved_fen=order.refund_reserved_fen - refund.amount_fen)
            await record_event(order, order.state, order.state, "refund_failed",
                               data={"refund_no": refund.refund_no})
            return "failed"
        if outcome.amount_fen is not None and outcome.amount_fen != refund.amount_fen:
            log.warning("refund %s reports %s fen, requested %s", refund.refund_no, outcome.amount_fen,
                        refund.amount_fen)
            return "amount_mismatch"
        now = utcnow()
        await Refund.filter(id=refund.id, state="processing").update(
            state="succeeded", succeeded_at=outcome.succeeded_at or now,
            provider_refund_id=outcome.provider_refund_id, updated_at=now)
        refunded = order.refunded_fen + refund.amount_fen
        to_state = "refunded" if refunded >= order.paid_amount_fen else "partially_refunded"
        moved = await transition(
            order, REFUNDABLE_STATES, to_state, f"refund:{source}", data={"refund_no": refund.refund_no},
            refunded_fen=refunded, refund_reserved_fen=order.refund_reserved_fen - refund.amount_fen,
        )
        if not moved:
            raise RuntimeError(f"order {order.order_no} in state {order.state} cannot take refund")
        refund = await Refund.get(id=refund.id)
        await _notify_refunded(order, refund)
    return "applied"


async def _notify_refunded(order: Order, refund: Refund) -> None:
    purpose = registry.purposes().get(order.purpose_kind)
    if purpose is None or purpose.on_refunded is None:
        await Refund.filter(id=refund.id).update(notified_at=utcnow())
        return
    try:
        async with transaction():
            await purpose.on_refunded(info(order), refund_info(refund, order.order_no))
        await Refund.filter(id=refund.id).update(notified_at=utcnow())
    except Exception:
        log.exception("on_refunded of %s failed for refund %s", order.purpose_kind, refund.refund_no)


async def retry_refund_notifications(limit: int = 100) -> int:
    """Periodic: tell purposes about succeeded refunds whose callback failed."""
    done = 0
    for refund_id in await Refund.filter(state="succeeded", notified_at=None).limit(limit) \
            .values_list("id", flat=True):
        async with transaction():
            refund = await Refund.filter(id=refund_id, notified_at=None).select_for_update().first()
            if refund is None:
                continue
            order = await Order.get(id=refund.order_id)
            await _notify_refunded(order, refund)
            done += 1
    return done


async def query_processing_refunds(older_than_seconds: int = 30, limit: int = 200) -> int:
    """Periodic: ask the channel about refunds still processing (no notification yet)."""
    from datetime import timedelta

    settled = 0
    cutoff = utcnow() - timedelta(seconds=older_than_seconds)
    for refund in await Refund.filter(state="processing", created_at__lte=cutoff).limit(limit):
        order = await Order.get(id=refund.order_id)
        try:
            outcome = await registry.channel(order.channel).query_refund(info(order),
                                                                          refund_info(refund, order.order_no))
            if await apply_refund_outcome(order.channel, outcome, source="query") in ("applied", "failed"):
                settled += 1
        except Exception:
            log.exception("querying refund %s failed", refund.refund_no)
    return settled
