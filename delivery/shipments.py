"""Shipments: a citizen chooses courier delivery of a result or a door pickup of materials for
one case; the courier is booked by a task (retried with back-off), tracked by webhook, and the
case is told when the parcel arrived.

State lives in :class:`Shipment` rows; every change is a conditional update or happens under a
row lock, so a task, a webhook and a citizen acting at once cannot move a parcel twice.
"""

from __future__ import annotations

import logging
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q

from core import errors
from core.auth import Principal, ensure_citizen_owns
from core.db import transaction
from delivery import addresses, casebridge
from delivery import errors as delivery_errors
from delivery.config import delivery_settings
from delivery.couriers.base import CourierRefused, CourierUnreachable, Party, ShipmentRequest
from delivery.couriers.registry import gateway
from delivery.models import (
    OPEN_STATES,
    FeePayer,
    Shipment,
    ShipmentKind,
    ShipmentState,
    TrackingEvent,
)
from delivery.pii import mask_detail, mask_name, mask_phone, seal, unseal

log = logging.getLogger("zhushida.delivery")

GOODS = {ShipmentKind.RESULT: "办件结果(证照/文书)", ShipmentKind.PICKUP: "申请材料(纸质)"}
CANCELLABLE = frozenset({
    ShipmentState.AWAITING_PAYMENT, ShipmentState.WAITING_RESULT, ShipmentState.ORDERING,
    ShipmentState.ORDER_FAILED, ShipmentState.ORDERED, ShipmentState.ACCEPTED,
})


def new_shipment_no() -> str:
    return "ZD" + datetime.now(UTC).strftime("%y%m%d") + secrets.token_hex(6).upper()


# ---- the two parties --------------------------------------------------------------------------


def citizen_party(shipment: Shipment) -> Party:
    return Party(
        name=unseal(shipment.citizen_name_enc, column="shipment.name"),
        phone=unseal(shipment.citizen_phone_enc, column="shipment.phone"),
        region_code=shipment.citizen_region_code,
        detail=unseal(shipment.citizen_detail_enc, column="shipment.detail"),
    )


def office_party(shipment: Shipment) -> Party:
    return Party(shipment.office_name, shipment.office_phone, shipment.office_region_code, shipment.office_detail)


def shipment_request(shipment: Shipment) -> ShipmentRequest:
    citizen, office = citizen_party(shipment), office_party(shipment)
    pickup = shipment.kind == ShipmentKind.PICKUP
    return ShipmentRequest(
        order_no=shipment.no,
        sender=citizen if pickup else office,
        receiver=office if pickup else citizen,
        goods=shipment.goods,
        pickup=pickup,
        notify_url=f"{delivery_settings().effective_callback_base}/delivery/webhooks/{shipment.courier}",
    )


# ---- choosing ---------------------------------------------------------------------------------


async def _prepare(principal: Principal, case_id: int, kind: ShipmentKind, courier: str, address_id: int) -> tuple[Shipment, Any]:
    """Check everything and build the (unsaved) shipment with its quoted fee."""
    case = await casebridge.citizen_case(principal, case_id)
    item = casebridge.item_of(case)
    offered = item.delivery.courier if kind == ShipmentKind.RESULT else item.delivery.pickup
    if not offered:
        raise delivery_errors.NOT_OFFERED(details={"kind": kind.value, "item_code": case.item_code})
    if not casebridge.stage_allows(case, kind):
        raise delivery_errors.WRONG_STAGE(details={"kind": kind.value, "case_state": case.state})
    address = await addresses.get_own(principal.subject_id, address_id)
    if not addresses.in_service_area(address.region_code):
        raise delivery_errors.OUTSIDE_SERVICE_AREA(details={"region_code": address.region_code,
                                                            "service_area": delivery_settings().service_area})
    courier_gateway = gateway(courier)
    plain = addresses.clear(address)
    office = await casebridge.office_of(case, item)
    shipment = Shipment(
        no=new_shipment_no(), kind=kind, case_id=case.id, case_no=case.case_no, item_code=case.item_code,
        item_name=case.item_name, department_code=case.department_code, region_code=case.region_code,
        account_id=case.applicant_id, courier=courier_gateway.code, goods=GOODS[kind],
        citizen_name_enc=seal(plain["name"], column="shipment.name"),
        citizen_phone_enc=seal(plain["phone"], column="shipment.phone"),
        citizen_region_code=plain["region_code"],
        citizen_detail_enc=seal(plain["detail"], column="shipment.detail"),
        office_name=office.name, office_phone=office.phone, office_region_code=office.region_code,
        office_detail=office.detail, fee_payer=casebridge.fee_payer(item, kind),
        state=ShipmentState.ORDERING,
    )
    try:
        quote = await courier_gateway.quote(shipment_request(shipment))
    except CourierUnreachable as exc:
        raise delivery_errors.COURIER_UNAVAILABLE(details={"courier": courier}) from exc
    except CourierRefused as exc:
        raise delivery_errors.COURIER_REFUSED(reason=exc.message, details={"courier": courier, "courier_code": exc.code}) from exc
    shipment.fee_fen = quote.fee_fen
    return shipment, {"eta_days": quote.eta_days, "case": case}


async def quote(principal: Principal, case_id: int, *, kind: str, courier: str, address_id: int) -> dict[str, Any]:
    shipment, extra = await _prepare(principal, case_id, ShipmentKind(kind), courier, address_id)
    return {"courier": shipment.courier, "fee_fen": shipment.fee_fen, "fee_payer": shipment.fee_payer.value,
            "citizen_pays_fen": shipment.fee_fen if shipment.fee_payer == FeePayer.CITIZEN else 0,
            "eta_days": extra["eta_days"]}


async def choose(principal: Principal, case_id: int, *, kind: str, courier: str, address_id: int) -> Shipment:
    """The citizen's choice, recorded once per case and purpose (the database refuses a second)."""
    shipment_kind = ShipmentKind(kind)
    shipment, extra = await _prepare(principal, case_id, shipment_kind, courier, address_id)
    citizen_pays = shipment.fee_payer == FeePayer.CITIZEN and shipment.fee_fen > 0
    if citizen_pays:
        shipment.state = ShipmentState.AWAITING_PAYMENT
    elif shipment_kind == ShipmentKind.RESULT and not casebridge.result_ready(extra["case"]):
        shipment.state = ShipmentState.WAITING_RESULT
    else:
        shipment.state = ShipmentState.ORDERING
        shipment.next_attempt_at = datetime.now(UTC)
    shipment.active_key = f"{case_id}:{shipment_kind.value}"
    try:
        async with transaction():
            await shipment.save()
    except IntegrityError as exc:
        raise delivery_errors.ALREADY_CHOSEN(details={"case_id": case_id, "kind": kind}) from exc
    if citizen_pays:
        from payments import api as payments

        try:
            order = await payments.create_order("delivery_fee", shipment.no, payer_account_id=shipment.account_id,
                                                client_key=f"delivery:{shipment.no}")
        except Exception:
            # No payment order, no choice: the citizen may simply try again.
            await Shipment.filter(id=shipment.id, state=ShipmentState.AWAITING_PAYMENT).delete()
            raise
        shipment.payment_order_no = order.order_no
        await Shipment.filter(id=shipment.id).update(payment_order_no=order.order_no)
    await casebridge.record_choice(shipment)
    if shipment.state == ShipmentState.ORDERING:
        await schedule_order(shipment.id)
    return shipment


async def schedule_order(shipment_id: int) -> None:
    from core.tasks import enqueue
    from delivery.tasks import place_order

    await enqueue(place_order, shipment_id=shipment_id)


# ---- booking the courier ----------------------------------------------------------------------


def backoff(attempt: int) -> timedelta:
    """1st retry after base, then doubling: 30 s, 60 s, 2 min, 4 min ... with the defaults."""
    return timedelta(seconds=delivery_settings().retry_base_seconds * (2 ** max(0, attempt - 1)))


async def place_order(shipment_id: int) -> str:
    """One booking attempt. Returns the resulting state's name (for logs and tests)."""
    settings = delivery_settings()
    shipment = await Shipment.get_or_none(id=shipment_id)
    if shipment is None or shipment.state != ShipmentState.ORDERING:
        return shipment.state.value if shipment else "missing"
    attempt = shipment.attempts + 1
    now = datetime.now(UTC)
    if shipment.next_attempt_at is not None and shipment.next_attempt_at > now:
        return "not_due"  # backing off, or leased by a running attempt
    lease = now + timedelta(seconds=settings.http_timeout_seconds * 4)
    # Claim the attempt: whoever moves ``attempts`` first runs it (and holds a lease until it
    # ends), a concurrent duplicate stops.
    claimed = await Shipment.filter(id=shipment.id, state=ShipmentState.ORDERING, attempts=shipment.attempts).filter(
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)).update(attempts=attempt, next_attempt_at=lease)
    if not claimed:
        return "busy"
    courier = gateway(shipment.courier)
    try:
        created = await courier.create_order(shipment_request(shipment))
    except CourierUnreachable as exc:
        if attempt >= settings.order_attempts:
            await _order_failed(shipment, f"courier unreachable after {attempt} attempts: {exc}")
            return ShipmentState.ORDER_FAILED.value
        await Shipment.filter(id=shipment.id, state=ShipmentState.ORDERING).update(
            next_attempt_at=datetime.now(UTC) + backoff(attempt), last_error=str(exc)[:500])
        log.warning("courier %s unreachable for %s (attempt %d): %s", shipment.courier, shipment.no, attempt, exc)
        return ShipmentState.ORDERING.value
    except CourierRefused as exc:
        await _order_failed(shipment, f"courier refused: {exc.code} {exc.message}")
        return ShipmentState.ORDER_FAILED.value
    now = datetime.now(UTC)
    booked = await Shipment.filter(id=shipment.id, state=ShipmentState.ORDERING).update(
        state=ShipmentState.ORDERED, waybill_no=created.waybill_no, ordered_at=now, next_attempt_at=None, last_error="")
    if not booked:
        # Cancelled while the courier was being called: undo the order at the courier.
        try:
            await courier.cancel(shipment.no, created.waybill_no)
        except (CourierUnreachable, CourierRefused):
            log.exception("could not cancel courier order %s after the shipment was cancelled", shipment.no)
        return "cancelled"
    # Events the courier pushed before the booking answer arrived are attached now.
    await TrackingEvent.filter(courier=shipment.courier, waybill_no=created.waybill_no, shipment_id=None).update(
        shipment_id=shipment.id)
    await _announce(shipment.id, "booked")
    return ShipmentState.ORDERED.value


async def _order_failed(shipment: Shipment, reason: str) -> None:
    updated = await Shipment.filter(id=shipment.id, state=ShipmentState.ORDERING).update(
        state=ShipmentState.ORDER_FAILED, next_attempt_at=None, last_error=reason[:500])
    if updated:
        log.error("shipment %s: %s", shipment.no, reason)
        await _announce(shipment.id, "order_failed")


async def _announce(shipment_id: int, outcome: str) -> None:
    """Tell the citizen (and, for a failed pickup, the case) in a retried task of its own: the
    booking itself is done and must not be repeated if a message fails."""
    from core.tasks import enqueue
    from delivery.tasks import after_booking

    await enqueue(after_booking, shipment_id=shipment_id, outcome=outcome)


async def due_for_booking(limit: int = 100) -> list[int]:
    return list(await Shipment.filter(state=ShipmentState.ORDERING, next_attempt_at__lte=datetime.now(UTC))
                .order_by("next_attempt_at").limit(limit).values_list("id", flat=True))


async def release_for_booking(case_id: int) -> list[int]:
    """The case's result is ready: shipments waiting for it go to the courier."""
    ids = list(await Shipment.filter(case_id=case_id, kind=ShipmentKind.RESULT, state=ShipmentState.WAITING_RESULT)
               .values_list("id", flat=True))
    released = []
    for shipment_id in ids:
        if await Shipment.filter(id=shipment_id, state=ShipmentState.WAITING_RESULT).update(
                state=ShipmentState.ORDERING, next_attempt_at=datetime.now(UTC)):
            released.append(shipment_id)
            await schedule_order(shipment_id)
    return released


async def retry(shipment: Shipment) -> Shipment:
    """Staff book again a shipment whose booking failed (fresh attempts)."""
    updated = await Shipment.filter(id=shipment.id, state=ShipmentState.ORDER_FAILED).update(
        state=ShipmentState.ORDERING, attempts=0, next_attempt_at=datetime.now(UTC))
    if not updated:
        raise delivery_errors.NOT_RETRYABLE(details={"state": shipment.state.value})
    await schedule_order(shipment.id)
    return await Shipment.get(id=shipment.id)


# ---- payment ----------------------------------------------------------------------------------


async def fee_paid(shipment_no: str) -> None:
    """Called by payments (inside its transaction) exactly once when the fee was paid."""
    shipment = await Shipment.filter(no=shipment_no).select_for_update().first()
    if shipment is None or shipment.state != ShipmentState.AWAITING_PAYMENT:
        return
    ready = shipment.kind == ShipmentKind.PICKUP or await casebridge.result_ready_for(shipment.case_id)
    shipment.state = ShipmentState.ORDERING if ready else ShipmentState.WAITING_RESULT
    shipment.next_attempt_at = datetime.now(UTC) if ready else None
    await shipment.save(update_fields=["state", "next_attempt_at", "updated_at"])
    if ready:
        await schedule_order(shipment.id)  # an outside call: the task is sent after the payment commits


# ---- cancelling -------------------------------------------------------------------------------


async def cancel(principal: Principal, shipment_no: str) -> Shipment:
    shipment = await own_shipment(principal, shipment_no)
    if shipment.state not in CANCELLABLE:
        raise delivery_errors.NOT_CANCELLABLE(details={"state": shipment.state.value})
    if shipment.waybill_no and shipment.state in (ShipmentState.ORDERED, ShipmentState.ACCEPTED):
        try:
            await gateway(shipment.courier).cancel(shipment.no, shipment.waybill_no)
        except CourierUnreachable as exc:
            raise delivery_errors.COURIER_UNAVAILABLE(details={"courier": shipment.courier}) from exc
        except CourierRefused as exc:
            raise delivery_errors.NOT_CANCELLABLE(details={"courier_code": exc.code, "reason": exc.message}) from exc
    async with transaction():
        locked = await Shipment.filter(id=shipment.id).select_for_update().first()
        if locked is None or locked.state not in CANCELLABLE:
            raise delivery_errors.NOT_CANCELLABLE(details={"state": locked.state.value if locked else None})
        locked.state = ShipmentState.CANCELLED
        locked.active_key = None
        locked.finished_at = datetime.now(UTC)
        locked.next_attempt_at = None
        await locked.save(update_fields=["state", "active_key", "finished_at", "next_attempt_at", "updated_at"])
    await settle_fee_on_cancel(locked)
    await casebridge.choice_withdrawn(locked)
    return locked


async def settle_fee_on_cancel(shipment: Shipment) -> None:
    """Close the unpaid fee order or refund the paid fee, by a retried task (the cancel stands
    even when the payment channel is down at this moment)."""
    if not shipment.payment_order_no:
        return
    from core.tasks import enqueue
    from delivery.tasks import settle_cancelled_fee

    await enqueue(settle_cancelled_fee, shipment_no=shipment.no)


async def settle_fee(shipment_no: str) -> None:
    """Idempotent: a closed order stays closed, the refund's client key makes one refund."""
    shipment = await Shipment.get_or_none(no=shipment_no)
    if shipment is None or shipment.state != ShipmentState.CANCELLED or not shipment.payment_order_no:
        return
    from payments import api as payments

    order = await payments.get_order(shipment.payment_order_no)
    if order.state in ("created", "paying"):
        await payments.cancel_order(order.order_no, reason="delivery cancelled")
    elif order.state in ("paid", "partially_refunded") and order.amount_fen > order.refunded_fen:
        refundable = order.amount_fen - order.refunded_fen
        await payments.refund(order.order_no, refundable, expected_refundable_fen=refundable,
                              reason="寄递取消退费", client_key=f"delivery-cancel:{shipment.no}")


# ---- reading ----------------------------------------------------------------------------------


async def own_shipment(principal: Principal, shipment_no: str) -> Shipment:
    shipment = await Shipment.get_or_none(no=shipment_no)
    if shipment is None:
        raise errors.NOT_FOUND()
    ensure_citizen_owns(principal, shipment.account_id, service_code=shipment.item_code)
    return shipment


async def timeline(shipment: Shipment) -> list[dict[str, Any]]:
    events = await TrackingEvent.filter(shipment_id=shipment.id).order_by("occurred_at", "id")
    return [{"status": e.status, "at": e.occurred_at.isoformat(), "description": e.description, "location": e.location}
            for e in events]


def view(shipment: Shipment, *, for_staff: bool = False) -> dict[str, Any]:
    citizen = citizen_party(shipment)
    return {
        "no": shipment.no,
        "kind": shipment.kind.value,
        "case_id": shipment.case_id,
        "case_no": shipment.case_no,
        "item_name": shipment.item_name,
        "courier": shipment.courier,
        "courier_name": gateway(shipment.courier).name,
        "state": shipment.state.value,
        "waybill_no": shipment.waybill_no,
        "fee_fen": shipment.fee_fen,
        "fee_payer": shipment.fee_payer.value,
        "payment_order_no": shipment.payment_order_no,
        "citizen": {"name": mask_name(citizen.name), "phone": mask_phone(citizen.phone),
                    "region_code": citizen.region_code, "detail": mask_detail(citizen.detail)},
        "office": {"name": shipment.office_name, "region_code": shipment.office_region_code,
                   "detail": shipment.office_detail},
        "attempts": shipment.attempts,
        "error": shipment.last_error if (for_staff or shipment.state == ShipmentState.ORDER_FAILED) else "",
        "created_at": shipment.created_at.isoformat() if shipment.created_at else None,
        "ordered_at": shipment.ordered_at.isoformat() if shipment.ordered_at else None,
        "finished_at": shipment.finished_at.isoformat() if shipment.finished_at else None,
        "open": shipment.state in OPEN_STATES,
    }
