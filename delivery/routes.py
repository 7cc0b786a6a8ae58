"""HTTP routes of the delivery package.

Citizens: address book, couriers, quote / choose / follow / cancel a shipment of their case.
Staff: what to hand to the courier (their department and region), retry a failed booking.
Operators: delivery counts and failures per region. Couriers: signed webhooks.
"""

from __future__ import annotations

from typing import Any, Literal

import msgspec
from litestar import Request, Response, delete, get, post, put
from litestar.params import FromPath, FromQuery, JSONBody

from core import errors
from core.auth import principal_of, requires
from delivery import addresses, shipments, staff_views, tracking
from delivery import errors as delivery_errors
from delivery.couriers.base import ForgedWebhook
from delivery.couriers.registry import gateway, gateways
from delivery.models import Shipment

CITIZEN = requires("citizen")
STAFF = requires("staff", roles=("clerk", "head", "dept_admin"))
OPERATOR = requires("operator", "admin")


class AddressBody(msgspec.Struct, forbid_unknown_fields=True):
    name: str
    phone: str
    region_code: str
    detail: str
    label: str = ""
    is_default: bool = False


class ShipmentBody(msgspec.Struct, forbid_unknown_fields=True):
    kind: Literal["result", "pickup"]
    courier: str
    address_id: int


def _address_data(body: AddressBody) -> dict[str, Any]:
    return msgspec.structs.asdict(body)


def citizen_routes() -> list:
    @get("/delivery/addresses", guards=[CITIZEN], summary="My address book (masked)")
    async def list_addresses(request: Request) -> list[dict[str, Any]]:
        principal = principal_of(request)
        return [await addresses.view(a) for a in await addresses.list_addresses(principal.subject_id)]

    @post("/delivery/addresses", guards=[CITIZEN], status_code=201, summary="Add an address")
    async def add_address(request: Request, data: JSONBody[AddressBody]) -> dict[str, Any]:
        address = await addresses.create(principal_of(request).subject_id, _address_data(data))
        return await addresses.view(address)

    @put("/delivery/addresses/{address_id:int}", guards=[CITIZEN], summary="Replace an address")
    async def update_address(request: Request, address_id: FromPath[int], data: JSONBody[AddressBody]) -> dict[str, Any]:
        address = await addresses.update(principal_of(request).subject_id, address_id, _address_data(data))
        return await addresses.view(address)

    @delete("/delivery/addresses/{address_id:int}", guards=[CITIZEN], status_code=204, summary="Delete an address")
    async def delete_address(request: Request, address_id: FromPath[int]) -> None:
        await addresses.delete(principal_of(request).subject_id, address_id)

    @get("/delivery/couriers", guards=[requires("citizen", "staff", "operator", "admin")], summary="Available couriers")
    async def list_couriers() -> list[dict[str, str]]:
        return [{"code": g.code, "name": g.name} for g in gateways().values()]

    @post("/delivery/cases/{case_id:int}/quote", guards=[CITIZEN], status_code=200,
          summary="Quote the courier fee for a result delivery or a material pickup")
    async def quote(request: Request, case_id: FromPath[int], data: JSONBody[ShipmentBody]) -> dict[str, Any]:
        return await shipments.quote(principal_of(request), case_id, kind=data.kind, courier=data.courier,
                                     address_id=data.address_id)

    @post("/delivery/cases/{case_id:int}/shipments", guards=[CITIZEN], status_code=201,
          summary="Choose courier delivery of the result, or a door pickup of paper materials (上门取件)")
    async def choose(request: Request, case_id: FromPath[int], data: JSONBody[ShipmentBody]) -> dict[str, Any]:
        shipment = await shipments.choose(principal_of(request), case_id, kind=data.kind, courier=data.courier,
                                          address_id=data.address_id)
        return shipments.view(await Shipment.get(id=shipment.id))

    @get("/delivery/cases/{case_id:int}/shipments", guards=[CITIZEN], summary="The case's parcels with their timelines")
    async def case_shipments(request: Request, case_id: FromPath[int]) -> list[dict[str, Any]]:
        from delivery import casebridge

        principal = principal_of(request)
        await casebridge.citizen_case(principal, case_id)
        rows = await Shipment.filter(case_id=case_id).order_by("id")
        return [{**shipments.view(s), "timeline": await shipments.timeline(s)} for s in rows]

    @get("/delivery/shipments", guards=[CITIZEN], summary="My parcels")
    async def my_shipments(request: Request) -> list[dict[str, Any]]:
        rows = await Shipment.filter(account_id=principal_of(request).subject_id).order_by("-id").limit(50)
        return [shipments.view(s) for s in rows]

    @get("/delivery/shipments/{no:str}", guards=[CITIZEN], summary="One parcel with its tracking timeline")
    async def shipment_detail(request: Request, no: FromPath[str]) -> dict[str, Any]:
        shipment = await shipments.own_shipment(principal_of(request), no)
        return {**shipments.view(shipment), "timeline": await shipments.timeline(shipment)}

    @post("/delivery/shipments/{no:str}/cancel", guards=[CITIZEN], status_code=200, summary="Cancel before pickup")
    async def cancel(request: Request, no: FromPath[str]) -> dict[str, Any]:
        return shipments.view(await shipments.cancel(principal_of(request), no))

    return [list_addresses, add_address, update_address, delete_address, list_couriers, quote, choose,
            case_shipments, my_shipments, shipment_detail, cancel]


def staff_routes() -> list:
    @get("/delivery/staff/handover", guards=[STAFF],
         summary="Parcels to hand to the courier, and materials on their way in (own department and region)")
    async def handover(request: Request) -> dict[str, Any]:
        return await staff_views.handover(principal_of(request))

    @get("/delivery/staff/shipments", guards=[STAFF], summary="Shipments of my department and region (``?status=`` filters by state)")
    async def staff_shipments(
        request: Request, status: FromQuery[str | None] = None,
    ) -> list[dict[str, Any]]:
        return await staff_views.list_in_scope(principal_of(request), state=status)

    @post("/delivery/staff/shipments/{no:str}/retry", guards=[STAFF], status_code=200,
          summary="Book the courier again after the booking failed")
    async def retry(request: Request, no: FromPath[str]) -> dict[str, Any]:
        shipment = await staff_views.in_scope(principal_of(request), no)
        return shipments.view(await shipments.retry(shipment), for_staff=True)

    @get("/delivery/operator/stats", guards=[OPERATOR], summary="Delivery counts and failures per region")
    async def stats(request: Request, level: FromQuery[Literal["county", "township"]] = "county") -> dict[str, Any]:
        return await staff_views.stats(principal_of(request), level=level)

    return [handover, staff_shipments, retry, stats]


def webhook_routes() -> list:
    @post("/delivery/webhooks/{courier:str}", status_code=200, summary="Tracking push from a courier (signed)")
    async def webhook(request: Request, courier: FromPath[str]) -> Response:
        if courier not in gateways():
            raise errors.NOT_FOUND()
        courier_gateway = gateway(courier)
        body = await request.body()
        headers = {k.lower(): v for k, v in request.headers.items()}
        try:
            updates = courier_gateway.parse_webhook(headers, body)
        except ForgedWebhook as exc:
            from delivery import metrics

            metrics.FORGED_WEBHOOKS.labels(courier=courier).inc()
            raise delivery_errors.WEBHOOK_FORGED(details={"courier": courier, "reason": str(exc)[:200]}) from exc
        await tracking.ingest(courier, updates)
        ack = courier_gateway.webhook_ack()
        return Response(ack.body, status_code=ack.status_code)

    return [webhook]


def all_routes() -> list:
    return [*citizen_routes(), *staff_routes(), *webhook_routes()]


__all__ = ["all_routes"]
