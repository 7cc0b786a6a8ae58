"""Background and periodic tasks of the payment platform."""

from __future__ import annotations

import logging

from core.errors import AppError
from core.tasks import task
from payments import api, orders, reconcile, refunds

log = logging.getLogger("zhushida.payments")


@task("payments.close_expired_orders")
async def close_expired_orders() -> int:
    return await orders.close_expired_orders()


@task("payments.query_pending_orders")
async def query_pending_orders() -> int:
    """主动查单: orders being paid that got no notification are queried at the channel."""
    return await orders.query_pending_orders()


@task("payments.query_processing_refunds")
async def query_processing_refunds() -> int:
    return await refunds.query_processing_refunds()


@task("payments.retry_callbacks")
async def retry_callbacks() -> int:
    return await orders.retry_fulfilments() + await refunds.retry_refund_notifications()


@task("payments.reconcile_yesterday", max_retries=1, retry_delay=600)
async def reconcile_yesterday() -> int:
    return await reconcile.reconcile_yesterday()


@task("payments.refund_order_part", max_retries=5, retry_delay=30)
async def refund_order_part(order_no: str, amount_fen: int, expected_refundable_fen: int, reason: str,
                            client_key: str) -> str:
    """Give back part of a paid order at its purpose's request (e.g. a bundle item that ended before
    the payment arrived). Enqueued by name (``core.tasks.enqueue("payments.refund_order_part", ...)``),
    so a purpose in ``core`` asks for it without importing this package. The same request on every
    retry (idempotent by ``client_key``); the purpose hears of the succeeded refund through its
    ``on_refunded``. A refusal (the order changed meanwhile) is logged for the operators."""
    try:
        refund = await api.refund(order_no, amount_fen, expected_refundable_fen=expected_refundable_fen,
                                  reason=reason, client_key=client_key)
    except AppError as exc:
        if exc.status >= 500:
            raise  # the provider may not have seen it: retried with the same request
        log.error("refund of %s fen on %s (%s) refused: %s %s", amount_fen, order_no, client_key, exc.code, exc.details)
        return "refused"
    return refund.state


ALL = [close_expired_orders, query_pending_orders, query_processing_refunds, retry_callbacks, reconcile_yesterday,
       refund_order_part]
