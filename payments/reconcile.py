"""Daily reconciliation (对账): each channel's bill for a day against our orders and refunds.

Days are Beijing days (the providers' bills are). Every difference is stored as a
:class:`Mismatch` of one kind:

* ``only_local``     — we recorded a payment/refund the channel's bill does not have;
* ``only_channel``   — the bill has a payment/refund we have no record of at all;
* ``amount_differs`` — both have it, with different amounts;
* ``state_differs``  — both know the order, but we do not consider it paid (or the refund settled).
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, time, timedelta

from core.db import transaction
from core.errors import AppError
from payments import registry
from payments.channels.money import CHINA
from payments.contract import BillLine
from payments.models import Mismatch, Order, ReconciliationRun, Refund
from payments.orders import PAID_STATES, utcnow

log = logging.getLogger("zhushida.payments.reconcile")


def day_bounds(day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time.min, tzinfo=CHINA).astimezone(UTC)
    return start, start + timedelta(days=1)


async def reconcile_day(day: date, channel_name: str | None = None) -> list[ReconciliationRun]:
    names = [channel_name] if channel_name else sorted(registry.channels())
    return [await reconcile_channel(day, name) for name in names]


async def reconcile_channel(day: date, channel_name: str) -> ReconciliationRun:
    channel = registry.channel(channel_name)
    run = await ReconciliationRun.create(day=day, channel=channel_name, state="running")
    try:
        lines = await channel.download_bill(day)
    except AppError as exc:
        run.state, run.error, run.finished_at = "failed", f"{exc.code}: {exc.details}"[:255], utcnow()
        await run.save()
        return run
    start, end = day_bounds(day)
    orders = {o.order_no: o for o in await Order.filter(channel=channel_name, paid_at__gte=start, paid_at__lt=end,
                                                             state__in=PAID_STATES)}
    refunds = {r.refund_no: r for r in await Refund.filter(order__channel=channel_name, state="succeeded",
                                                                succeeded_at__gte=start, succeeded_at__lt=end)
               .prefetch_related("order")}
    found: list[Mismatch] = []
    matched = 0
    for line in lines:
        if line.kind == "payment":
            matched += await _payment(run, line, orders, found)
        else:
            matched += await _refund(run, line, refunds, found)
    for order in orders.values():
        found.append(Mismatch(run_id=run.id, kind="only_local", record="payment", order_no=order.order_no,
                              local_amount_fen=order.paid_amount_fen, local_state=order.state))
    for refund in refunds.values():
        found.append(Mismatch(run_id=run.id, kind="only_local", record="refund", order_no=refund.order.order_no,
                              refund_no=refund.refund_no, local_amount_fen=refund.amount_fen, local_state=refund.state))
    async with transaction():
        if found:
            await Mismatch.bulk_create(found)
        run.state, run.finished_at = "done", utcnow()
        run.bill_lines, run.matched, run.mismatches = len(lines), matched, len(found)
        run.local_records = matched + sum(1 for m in found if m.kind in ("only_local", "amount_differs"))
        await run.save()
    log.info("reconciled %s %s: %d lines, %d matched, %d mismatches", channel_name, day, len(lines), matched,
             len(found))
    return run


async def _payment(run: ReconciliationRun, line: BillLine, orders: dict[str, Order], found: list[Mismatch]) -> int:
    order = orders.pop(line.order_no, None)
    if order is None:
        order = await Order.get_or_none(order_no=line.order_no, channel=run.channel)
        if order is None:
            found.append(Mismatch(run_id=run.id, kind="only_channel", record="payment", order_no=line.order_no[:32],
                                  channel_amount_fen=line.amount_fen, channel_state=line.state))
            return 0
        if order.state not in PAID_STATES:
            found.append(Mismatch(run_id=run.id, kind="state_differs", record="payment", order_no=order.order_no,
                                  local_amount_fen=order.amount_fen, channel_amount_fen=line.amount_fen,
                                  local_state=order.state, channel_state=line.state))
            return 0
        # Paid on our side too, recorded under a neighbouring day (a payment across midnight).
    if order.paid_amount_fen != line.amount_fen:
        found.append(Mismatch(run_id=run.id, kind="amount_differs", record="payment", order_no=order.order_no,
                              local_amount_fen=order.paid_amount_fen, channel_amount_fen=line.amount_fen,
                              local_state=order.state, channel_state=line.state))
        return 0
    return 1


async def _refund(run: ReconciliationRun, line: BillLine, refunds: dict[str, Refund], found: list[Mismatch]) -> int:
    refund = refunds.pop(line.refund_no or "", None)
    if refund is None:
        refund = await Refund.get_or_none(refund_no=line.refund_no or "")
        if refund is None:
            found.append(Mismatch(run_id=run.id, kind="only_channel", record="refund", order_no=line.order_no[:32],
                                  refund_no=(line.refund_no or "")[:32], channel_amount_fen=line.amount_fen,
                                  channel_state=line.state))
            return 0
        if refund.state != "succeeded":
            found.append(Mismatch(run_id=run.id, kind="state_differs", record="refund", order_no=line.order_no[:32],
                                  refund_no=refund.refund_no, local_amount_fen=refund.amount_fen,
                                  channel_amount_fen=line.amount_fen, local_state=refund.state,
                                  channel_state=line.state))
            return 0
    if refund.amount_fen != line.amount_fen:
        found.append(Mismatch(run_id=run.id, kind="amount_differs", record="refund", order_no=line.order_no[:32],
                              refund_no=refund.refund_no, local_amount_fen=refund.amount_fen,
                              channel_amount_fen=line.amount_fen, local_state=refund.state, channel_state=line.state))
        return 0
    return 1


async def reconcile_yesterday() -> int:
    """Periodic: reconcile yesterday (Beijing) for every channel not yet reconciled successfully."""
    yesterday = datetime.now(CHINA).date() - timedelta(days=1)
    done = 0
    for name in sorted(registry.channels()):
        if await ReconciliationRun.exists(day=yesterday, channel=name, state="done"):
            continue
        try:
            await reconcile_channel(yesterday, name)
            done += 1
        except Exception:
            log.exception("reconciliation of %s for %s failed", name, yesterday)
    return done
