"""Choosing how a case's result reaches the citizen (送达方式) on one screen: at the window (窗口领取),
electronically (电子送达), or by courier (邮寄) to an address from the book or a new one.

The case engine records the method (``core.cases.api.choose_delivery``); a courier choice also
books the parcel through delivery (``delivery.shipments.choose``), which quotes the fee and, when
the citizen pays it, opens a ``delivery_fee`` order to pay with ``POST /bff/{channel}/pay/delivery_fee/{no}``.
Switching away from the courier records the method, then cancels the open parcel (a parcel the
courier already has refuses the switch up front). Either every step happens or the choice is
refused with the step's error and the case keeps what it had.
"""

from __future__ import annotations

from typing import Any

from core import errors
from core.auth import Principal
from miniapp_bff.cases_screens import case_screen
from miniapp_bff.channels import Screen

METHODS = ("window", "electronic", "courier")

COURIER_DETAILS_MISSING = errors.define(
    "bff.delivery_courier_details", 422,
    "邮寄送达请选择快递公司，并选择已有地址或填写新地址（二选一）",
    "Courier delivery needs a courier and either a saved address or a new one (not both)",
)
METHOD_UNKNOWN = errors.define(
    "bff.delivery_method_unknown", 422,
    "送达方式应为窗口领取、电子送达或邮寄送达",
    "The delivery method must be window, electronic or courier",
)


def _offered(item_code: str) -> tuple[str, ...]:
    from core.catalogue.registry import get_registry

    item = get_registry().item(item_code)
    return item.delivery.methods() if item is not None else ()


async def _open_result_parcel(case_id: int) -> Any:
    from delivery.models import OPEN_STATES, Shipment, ShipmentKind

    return await Shipment.filter(case_id=case_id, kind=ShipmentKind.RESULT,
                                 state__in=sorted(OPEN_STATES)).order_by("-id").first()


async def choose(principal: Principal, case_id: int, screen: Screen, method: str, *, courier: str | None,
                 address_id: int | None, address: dict[str, Any] | None) -> dict[str, Any]:
    """The case screen after the choice, with the parcel (and what to pay) for a courier."""
    from core.cases import api as cases
    from core.cases.errors import DELIVERY_INVALID

    if method not in METHODS:
        raise METHOD_UNKNOWN(details={"method": method[:20], "methods": list(METHODS)})
    view = await cases.get(case_id, principal)  # another person's case (or beyond a proxy's scope): 404
    offered = _offered(view["item_code"])
    if method not in offered:  # checked before anything is written
        raise DELIVERY_INVALID(details={"method": method, "offered": list(offered)})
    parcel = None
    if method == "courier":
        if not courier or (address_id is None) == (address is None):
            raise COURIER_DETAILS_MISSING()
        parcel = await _courier(principal, case_id, courier, address_id, address)
    else:
        if address_id is not None or address is not None or courier:
            raise errors.BAD_REQUEST(details={"reason": f"{method} delivery takes no courier or address"})
        await _switch_from_courier(principal, case_id, method)
    body = await case_screen(principal, case_id, screen)
    body["shipment"] = parcel
    return body


async def _switch_from_courier(principal: Principal, case_id: int, method: str) -> None:
    """Record a non-courier method and cancel the open parcel. A parcel the courier already has
    refuses the switch before anything is written; a cancel refused after the method was recorded
    (the courier said no just now) puts the courier choice back."""
    from core.cases import api as cases
    from delivery import errors as delivery_errors
    from delivery import shipments

    current = await _open_result_parcel(case_id)
    if current is not None and current.state not in shipments.CANCELLABLE:
        raise delivery_errors.NOT_CANCELLABLE(details={"state": current.state.value})
    await cases.choose_delivery(case_id, method, principal=principal)  # refused in a state past choosing
    if current is None:
        return
    try:
        await shipments.cancel(principal, current.no)
    except Exception:
        await cases.choose_delivery(case_id, "courier", principal=principal)
        raise


async def _courier(principal: Principal, case_id: int, courier: str, address_id: int | None,
                   address: dict[str, Any] | None) -> dict[str, Any]:
    """Book the parcel (a new address goes to the book first), then record the method; a failed
    step undoes the ones before it."""
    from core.cases import api as cases
    from delivery import addresses, shipments
    from delivery.models import Shipment

    created = None
    if address is not None:
        created = await addresses.create(principal.subject_id, address)
        address_id = created.id
    try:
        shipment = await shipments.choose(principal, case_id, kind="result", courier=courier, address_id=address_id)
    except Exception:
        if created is not None:
            await addresses.delete(principal.subject_id, created.id)
        raise
    try:
        await cases.choose_delivery(case_id, "courier", principal=principal)
    except Exception:
        await shipments.cancel(principal, shipment.no)
        raise
    view = shipments.view(await Shipment.get(id=shipment.id))
    view["pay"] = {"kind": "delivery_fee", "ref": shipment.no} if view["state"] == "awaiting_payment" else None
    return view
