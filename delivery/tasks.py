"""Background tasks of the delivery package.

``delivery.place_order`` books one shipment with its courier (one attempt; the back-off between
attempts is kept on the row, so a restart loses nothing); ``delivery.retry_due`` (periodic) picks
up every shipment whose next attempt is due; ``delivery.after_tracking_event`` tells the citizen
and the case about a stored tracking event (idempotent, retried by the task runner);
``delivery.settle_cancelled_fee`` closes or refunds the fee of a cancelled shipment.
"""

from __future__ import annotations

from core.tasks import enqueue, task


@task("delivery.place_order", max_retries=0)
async def place_order(shipment_id: int) -> str:
    from delivery import shipments

    return await shipments.place_order(shipment_id)


@task("delivery.retry_due", max_retries=0)
async def retry_due() -> int:
    from delivery import shipments

    due = await shipments.due_for_booking()
    for shipment_id in due:
        await enqueue(place_order, shipment_id=shipment_id)
    return len(due)


@task("delivery.after_tracking_event", max_retries=5, retry_delay=10.0)
async def after_tracking_event(event_id: int) -> None:
    from delivery import notifications

    await notifications.tracking_event(event_id)


@task("delivery.after_booking", max_retries=5, retry_delay=10.0)
async def after_booking(shipment_id: int, outcome: str) -> None:
    from delivery import notifications

    if outcome == "booked":
        await notifications.shipment_booked(shipment_id)
    else:
        await notifications.order_failed(shipment_id)


@task("delivery.settle_cancelled_fee", max_retries=8, retry_delay=30.0)
async def settle_cancelled_fee(shipment_no: str) -> None:
    from delivery import shipments

    await shipments.settle_fee(shipment_no)


ALL = [place_order, retry_due, after_booking, after_tracking_event, settle_cancelled_fee]
