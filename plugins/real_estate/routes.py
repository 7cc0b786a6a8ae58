"""Citizen routes, mounted under ``/plugins/real_estate``: the owner's properties with their
encumbrance status, their property certificate, transfers (the seller's confirmation)."""

from __future__ import annotations

from typing import Any

from litestar import Request, get, post
from litestar.params import FromPath
from tortoise.expressions import Q

from core import errors
from core.auth import principal_of, requires
from plugins.real_estate import service
from plugins.real_estate.items import CERT_TYPE
from plugins.real_estate.models import Owner, Property, Transfer

citizen = requires("citizen", min_level=2)


@get("/me/properties", guards=[citizen])
async def my_properties(request: Request) -> dict[str, Any]:
    p = principal_of(request)
    return {"properties": [await service.property_view(u) for u in await service.owned_units(p.subject_id, p)]}


@post("/me/properties/{unit_no:str}/certificate", guards=[citizen])
async def property_certificate(request: Request, unit_no: FromPath[str]) -> dict[str, Any]:
    """Issue (once) the owner's 不动产权证书 as an e-certificate in their wallet."""
    from core.certificates import api as certificates
    from core.identity import api as identity

    p = principal_of(request)
    keys = await service.keys_of(p.subject_id, p, "申领不动产权电子证书")
    owner = await Owner.filter(unit_no=unit_no, person_key__in=keys).first() if keys else None
    if owner is None:
        raise errors.NOT_FOUND()
    prop = await Property.get(unit_no=unit_no)
    for cert in await certificates.wallet(p.subject_id):
        if cert.type_code == CERT_TYPE and certificates.content(cert).get("cert_no") == prop.cert_no:
            return {"certificate_id": cert.id, "identifier": cert.identifier, "issued": False}
    person = await identity.read_personal_data(p.subject_id, reader=p, purpose="申领不动产权电子证书",
                                               fields=("name", "id_number"))
    cert = await certificates.issue(CERT_TYPE, p.subject_id,
                                    service.certificate_data(prop, person.name, person.id_number, owner.share_bp),
                                    region_code=prop.region_code)
    return {"certificate_id": cert.id, "identifier": cert.identifier, "issued": True}


@get("/transfers", guards=[citizen])
async def my_transfers(request: Request) -> dict[str, Any]:
    p = principal_of(request)
    units = await service.owned_units(p.subject_id, p)
    rows = await Transfer.filter(Q(buyer_account_id=p.subject_id) | Q(seller_account_id=p.subject_id)
                                 | Q(unit_no__in=units or [""])).order_by("-id")
    return {"transfers": [service.transfer_view(t) for t in rows]}


@post("/transfers/{transfer_id:int}/confirm", guards=[citizen])
async def confirm_transfer(request: Request, transfer_id: FromPath[int]) -> dict[str, Any]:
    """The seller confirms the sale; the transfer case stops waiting for them."""
    from core.cases import api as cases

    transfer = await Transfer.get_or_none(id=transfer_id)
    if transfer is None or transfer.status in ("refused", "registered"):
        raise errors.NOT_FOUND()
    transfer = await service.confirm_as_seller(transfer, principal_of(request))
    case = await cases.Case.get_or_none(case_no=transfer.case_no)
    if case is not None:
        await cases.release_hold(case.id, "seller_confirmation", data={"seller": "confirmed"})
    return service.transfer_view(transfer)


@get("/staff/properties/{unit_no:str}", guards=[requires("staff", "admin", roles=("clerk", "reviewer", "head"))])
async def staff_property(request: Request, unit_no: FromPath[str]) -> dict[str, Any]:
    """The register as a reviewer sees it: owners (masked), encumbrances, transfers of the unit.
    Staff of the registration centre only; each look is audited in the platform's audit trail."""
    from core.identity import api as identity

    p = principal_of(request)
    if p.kind == "staff":
        department = await identity.get_department_by_id(p.department_id) if p.department_id else None
        if department is None or department.code != "BDC":
            raise errors.FORBIDDEN(details={"reason": "not staff of the registration centre"})
    if not await Property.exists(unit_no=unit_no):
        raise service.NO_PROPERTY(details={"unit_no": unit_no})
    await identity.audit(request, p, "real_estate.property_viewed", target=unit_no)
    transfers = await Transfer.filter(unit_no=unit_no).order_by("-id")
    return {**await service.property_view(unit_no), "transfers": [service.transfer_view(t) for t in transfers]}


ROUTES = [my_properties, property_certificate, my_transfers, confirm_transfer, staff_property]
