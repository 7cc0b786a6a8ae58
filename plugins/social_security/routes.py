"""Citizen routes, mounted under ``/plugins/social_security``: the insured record and contribution
history (own only), the proof of insurance, the yearly pension qualification certification."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, get, post
from litestar.params import JSONBody, QueryParameter

from core.auth import principal_of, requires
from plugins.social_security import service
from plugins.social_security.items import PROOF_CODE
from plugins.social_security.models import PensionCertification

citizen = requires("citizen", min_level=2)


@get("/me", guards=[citizen])
async def my_record(request: Request) -> dict[str, Any]:
    p = principal_of(request)
    person, _ = await service.person_of(p.subject_id, p, "查询社会保险参保信息")
    if person is None:
        raise service.NOT_INSURED()
    return {"person": service.person_view(person), "summary": await service.contribution_summary(person.person_key)}


@get("/me/contributions", guards=[citizen])
async def my_contributions(request: Request, year: Annotated[int | None, QueryParameter(ge=1990, le=2100)] = None) -> dict[str, Any]:
    p = principal_of(request)
    person, _ = await service.person_of(p.subject_id, p, "查询社会保险缴费记录")
    if person is None:
        raise service.NOT_INSURED()
    return {"contributions": await service.contributions(person.person_key, year)}


@post("/proofs", guards=[citizen])
async def proof(request: Request, data: JSONBody[dict[str, Any]]) -> dict[str, Any]:
    """参保证明: checked against the record, then applied as an instant case; the certificate is
    in the citizen's wallet when this returns."""
    from core.cases import api as cases
    from core.identity import api as identity

    p = principal_of(request)
    person, _ = await service.person_of(p.subject_id, p, "开具社会保险参保证明")
    if person is None:
        raise service.NOT_INSURED()
    info = await identity.get_account(p.subject_id)
    case = await cases.submit(p, PROOF_CODE, region_code=data.get("region_code") or info.home_region_code,
                              form={"proof_use": data.get("proof_use", "other")})
    view = await cases.get(case.id, p)
    return {"case_id": case.id, "case_no": case.case_no, "state": view["state"], "result": view.get("result")}


@post("/pension-certification", guards=[requires("citizen", min_level=3)])
async def pension_certification(request: Request) -> dict[str, Any]:
    done = await service.certify_pension(principal_of(request))
    return {"year": done.year, "certified_at": done.certified_at.isoformat(), "certificate_no": done.certificate_no}


@get("/pension-certification", guards=[citizen])
async def pension_certification_status(request: Request) -> dict[str, Any]:
    p = principal_of(request)
    year = service.this_year()
    done = await PensionCertification.filter(account_id=p.subject_id, year=year).first()
    return {"year": year, "certified": done is not None}


ROUTES = [my_record, my_contributions, proof, pension_certification, pension_certification_status]
