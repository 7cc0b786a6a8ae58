"""What staff and operators see: parcels of their own department and region only, and counts
and failures per region for the operator's region subtree."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from tortoise.functions import Count

from core import errors
from core.auth import Principal, region_within, significant_prefix
from delivery import shipments
from delivery.models import Shipment, ShipmentKind, ShipmentState

TO_HAND_OVER = (ShipmentState.ORDERED, ShipmentState.ACCEPTED)
INCOMING = (ShipmentState.ORDERED, ShipmentState.ACCEPTED, ShipmentState.PICKED_UP, ShipmentState.IN_TRANSIT)
FAILURES = (ShipmentState.FAILED, ShipmentState.ORDER_FAILED)


async def _department_code(principal: Principal) -> str:
    from core.identity import api as identity

    department = await identity.get_department_by_id(principal.department_id) if principal.department_id else None
    if department is None:
        raise errors.FORBIDDEN(details={"reason": "staff account without a department"})
    return department.code


async def _scoped(principal: Principal):
    query = Shipment.filter(department_code=await _department_code(principal))
    if principal.region_code:
        query = query.filter(region_code__startswith=significant_prefix(principal.region_code))
    return query


async def in_scope(principal: Principal, shipment_no: str) -> Shipment:
    shipment = await Shipment.get_or_none(no=shipment_no)
    if shipment is None or shipment.department_code != await _department_code(principal) \
            or not region_within(shipment.region_code, principal.region_code):
        raise errors.NOT_FOUND()
    return shipment


async def handover(principal: Principal) -> dict[str, Any]:
    """Results booked and waiting for the courier's visit (print the waybill, hand the envelope
    over), failed bookings to retry, and materials on their way to the office."""
    base = await _scoped(principal)
    outgoing = await base.filter(kind=ShipmentKind.RESULT, state__in=TO_HAND_OVER).order_by("ordered_at")
    failed = await (await _scoped(principal)).filter(state=ShipmentState.ORDER_FAILED).order_by("id")
    incoming = await (await _scoped(principal)).filter(kind=ShipmentKind.PICKUP, state__in=INCOMING).order_by("id")
    return {
        "to_hand_over": [shipments.view(s, for_staff=True) for s in outgoing],
        "booking_failed": [shipments.view(s, for_staff=True) for s in failed],
        "incoming_materials": [shipments.view(s, for_staff=True) for s in incoming],
    }


async def list_in_scope(principal: Principal, *, state: str | None = None) -> list[dict[str, Any]]:
    query = await _scoped(principal)
    if state:
        try:
            query = query.filter(state=ShipmentState(state))
        except ValueError as exc:
            raise errors.BAD_REQUEST(details={"state": state, "allowed": [s.value for s in ShipmentState]}) from exc
    return [shipments.view(s, for_staff=True) for s in await query.order_by("-id").limit(200)]


async def stats(principal: Principal, *, level: str = "county") -> dict[str, Any]:
    """Counts per region (county: 6 significant digits, township: 9) and state, within scope."""
    digits = 6 if level == "county" else 9
    query = Shipment.all()
    if principal.kind != "admin":
        query = query.filter(region_code__startswith=significant_prefix(principal.region_code or ""))
    rows = await query.annotate(n=Count("id")).group_by("region_code", "state").values("region_code", "state", "n")
    regions: dict[str, dict[str, Any]] = defaultdict(lambda: {"total": 0, "delivered": 0, "failed": 0, "open": 0,
                                                              "by_state": defaultdict(int)})
    for row in rows:
        code = row["region_code"][:digits].ljust(12, "0")
        state = ShipmentState(row["state"])
        entry = regions[code]
        entry["total"] += row["n"]
        entry["by_state"][state.value] += row["n"]
        if state == ShipmentState.DELIVERED:
            entry["delivered"] += row["n"]
        elif state in FAILURES:
            entry["failed"] += row["n"]
        elif state != ShipmentState.CANCELLED:
            entry["open"] += row["n"]
    return {"level": level, "regions": [
        {"region_code": code, **{k: (dict(v) if k == "by_state" else v) for k, v in entry.items()}}
        for code, entry in sorted(regions.items())
    ]}
