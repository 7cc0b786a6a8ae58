"""Background and periodic tasks of the payment platform."""

from __future__ import annotations

from core.tasks import task
from payments import orders, reconcile, refunds


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


ALL = [close_expired_orders, query_pending_orders, query_processing_refunds, retry_callbacks, reconcile_yesterday]
