"""Tracking pushes: verified by the courier's gateway, stored once per event (the database's
unique key deduplicates re-pushes), applied to the shipment's state in order of progress, then
passed on to the citizen's message centre and to the case.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from tortoise.exceptions import IntegrityError

from core.db import transaction
from delivery.couriers.base import TrackingUpdate
from delivery.models import Shipment, ShipmentState, TrackingEvent

log = logging.getLogger("zhushida.delivery")

# How far along a parcel is; a late, older event is kept on the timeline but never moves it back.
PROGRESS = {
    ShipmentState.ORDERED: 0, ShipmentState.ACCEPTED: 1, ShipmentState.PICKED_UP: 2,
    ShipmentState.IN_TRANSIT: 3, ShipmentState.DELIVERED: 4, ShipmentState.FAILED: 4,
}
FINAL = frozenset({ShipmentState.DELIVERED, ShipmentState.FAILED})


async def _find_shipment(courier: str, update: TrackingUpdate) -> Shipment | None:
    query = Shipment.filter(courier=courier)
    shipment = await query.filter(waybill_no=update.waybill_no).select_for_update().first()
    if shipment is None and update.order_no:
        shipment = await Shipment.filter(courier=courier, no=update.order_no).select_for_update().first()
    return shipment


async def ingest(courier: str, updates: list[TrackingUpdate]) -> dict[str, Any]:
    """Store and apply verified events; returns counts and the ids of new events."""
    new_events: list[int] = []
    duplicates = 0
    for update in updates:
        async with transaction():
            shipment = await _find_shipment(courier, update)
            try:
                async with transaction():  # a savepoint: a duplicate must not abort the outer one
                    event = await TrackingEvent.create(
                        courier=courier, event_key=update.event_key, shipment=shipment, waybill_no=update.waybill_no,
                        status=update.status, occurred_at=update.occurred_at, description=update.description[:200],
                        location=update.location[:64], payload=update.raw,
                    )
            except IntegrityError:
                duplicates += 1
                continue
            new_events.append(event.id)
            if shipment is None:
                log.warning("tracking event %s for unknown waybill %s kept unattached", update.event_key, update.waybill_no)
                continue
            if not shipment.waybill_no and shipment.state in PROGRESS:
                shipment.waybill_no = update.waybill_no
            _apply(shipment, ShipmentState(update.status))
            await shipment.save(update_fields=["state", "waybill_no", "active_key", "finished_at", "updated_at"])
    if new_events:
        from core.tasks import enqueue
        from delivery.tasks import after_tracking_event

        for event_id in new_events:
            await enqueue(after_tracking_event, event_id=event_id)
    return {"received": len(updates), "new": len(new_events), "duplicates": duplicates}


def _apply(shipment: Shipment, status: ShipmentState) -> None:
    current = shipment.state
    if current not in PROGRESS or current in FINAL:
        return  # cancelled / order_failed / already final: the event is only history
    if PROGRESS[status] <= PROGRESS[current]:
        return
    shipment.state = status
    if status in FINAL:
        shipment.finished_at = datetime.now(UTC)
    if status == ShipmentState.FAILED:
        shipment.active_key = None  # the citizen may choose again (another address, the window)
