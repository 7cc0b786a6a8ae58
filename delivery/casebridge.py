"""Everything delivery needs from the case engine, in one place: the citizen's case, the item's
delivery options, and the two ways delivery acts back on a case — releasing the ``pickup`` hold
once the materials arrived (or the pickup can no longer happen), and taking the workflow's
``deliver`` step when the result was signed for.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from core import errors
from core.auth import Principal, ensure_citizen_owns
from core.cases import api as cases
from core.cases.models import Case
from core.catalogue.records import ServiceItem
from core.catalogue.registry import get_registry, workflow_of
from delivery.models import FeePayer, Shipment, ShipmentKind

log = logging.getLogger("zhushida.delivery")

HOLD_PICKUP = cases.HOLD_PICKUP


@dataclass(frozen=True, slots=True)
class Office:
    """The department's side of a parcel (sender of a result, receiver of materials)."""

    name: str
    phone: str
    region_code: str
    detail: str


async def citizen_case(principal: Principal, case_id: int) -> Case:
    case = await cases.get_case(case_id)
    if case is None:
        raise errors.NOT_FOUND()
    ensure_citizen_owns(principal, case.applicant_id, service_code=case.item_code)
    return case


def item_of(case: Case) -> ServiceItem:
    item = get_registry().item(case.item_code)
    if item is None:
        raise errors.NOT_FOUND(details={"item_code": case.item_code})
    return item


def _targets(case: Case, effect: str) -> set[str]:
    return {a.target for a in workflow_of(item_of(case)).actions if a.effect == effect and a.target}


def result_ready(case: Case) -> bool:
    """Approved and not yet delivered: the result can leave now."""
    return case.state in _targets(case, "approve")


async def result_ready_for(case_id: int) -> bool:
    case = await cases.get_case(case_id)
    return case is not None and result_ready(case)


def stage_allows(case: Case, kind: ShipmentKind) -> bool:
    wf = workflow_of(item_of(case))
    if wf.state(case.state).terminal:
        return False
    if kind == ShipmentKind.PICKUP:
        return case.accepted_at is None  # materials are picked up before acceptance only
    delivered = _targets(case, "deliver")
    refused = _targets(case, "refuse")
    return case.state not in delivered | refused


def fee_payer(item: ServiceItem, kind: ShipmentKind) -> FeePayer:
    """Who pays the courier, as the item declares it (``DeliveryOptions.fee_payer``)."""
    return FeePayer(item.delivery.fee_payer)


async def office_of(case: Case, item: ServiceItem) -> Office:
    from core.identity import api as identity

    department = await identity.get_department(case.department_code)
    name = department.name if department else (item.department_name or case.department_code)
    region = department.region_code if department else case.region_code
    return Office(name=name[:64], phone=(item.consult_phone or "12345")[:32], region_code=region,
                  detail=(item.place or f"{name}政务服务窗口")[:200])


async def record_choice(shipment: Shipment) -> None:
    """A pickup chosen after submission makes the case wait for it (the engine's ``pickup`` hold)."""
    if shipment.kind == ShipmentKind.PICKUP:
        await cases.add_hold(shipment.case_id, HOLD_PICKUP, data={"shipment": shipment.no, "courier": shipment.courier})


async def choice_withdrawn(shipment: Shipment) -> None:
    """The citizen cancelled a pickup: they bring the materials themselves, the case goes on."""
    if shipment.kind == ShipmentKind.PICKUP:
        await cases.release_hold(shipment.case_id, HOLD_PICKUP,
                                  data={"shipment": shipment.no, "pickup": "cancelled"})


async def pickup_arrived(shipment: Shipment) -> None:
    await cases.release_hold(shipment.case_id, HOLD_PICKUP,
                              data={"shipment": shipment.no, "pickup": "delivered", "waybill": shipment.waybill_no or ""})


async def pickup_failed(shipment: Shipment) -> None:
    """The courier could not be booked or could not bring the materials: the case must not wait
    for ever — the hold is released with the outcome, so staff see why materials are missing."""
    await cases.release_hold(shipment.case_id, HOLD_PICKUP,
                              data={"shipment": shipment.no, "pickup": shipment.state.value,
                                    "reason": shipment.last_error[:200]})


async def result_delivered(shipment: Shipment) -> None:
    """The result was signed for: take the workflow's ``deliver`` step as the system."""
    from delivery.couriers.registry import gateway

    case = await cases.get_case(shipment.case_id)
    if case is None:
        return
    wf = workflow_of(item_of(case))
    act = next((a for a in wf.actions_from(case.state) if a.effect == "deliver" and "system" in a.actors), None)
    if act is None:
        if case.state not in _targets(case, "deliver"):
            log.warning("case %s in state %s has no system deliver step; shipment %s delivered",
                        case.case_no, case.state, shipment.no)
        return
    await cases.transition(case.id, act.name, None, expected_state=case.state, data={
        "method": "courier", "waybill": shipment.waybill_no or "", "carrier": gateway(shipment.courier).name,
    })
