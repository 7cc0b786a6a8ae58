"""How delivery reacts to case events: an approved case releases its result parcels to the
courier; a case that ends without a result (refused, withdrawn, terminated, not accepted) cancels
the parcels not yet booked, with the fee refunded or the payment order closed."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from delivery.models import Shipment, ShipmentKind, ShipmentState

log = logging.getLogger("zhushida.delivery")

ENDING_EFFECTS = frozenset({"refuse", "withdraw", "terminate", "reject"})
UNBOOKED = (ShipmentState.AWAITING_PAYMENT, ShipmentState.WAITING_RESULT)


async def on_case_event(event: Any) -> None:
    if event.effect == "approve":
        from delivery import shipments

        await shipments.release_for_booking(event.case_id)
    elif event.effect in ENDING_EFFECTS:
        await _cancel_unbooked(event.case_id)


async def _cancel_unbooked(case_id: int) -> None:
    from delivery import shipments

    rows = await Shipment.filter(case_id=case_id, kind=ShipmentKind.RESULT, state__in=UNBOOKED)
    for shipment in rows:
        updated = await Shipment.filter(id=shipment.id, state=shipment.state).update(
            state=ShipmentState.CANCELLED, active_key=None, finished_at=datetime.now(UTC), next_attempt_at=None)
        if updated:
            await shipments.settle_fee_on_cancel(shipment)
