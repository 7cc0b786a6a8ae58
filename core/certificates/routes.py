"""HTTP routes of e-certificates: the citizen's wallet, 亮证 and its public verification, types,
and revocation by the issuing department.
"""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request, get, post
from litestar.params import FromPath, FromQuery, JSONBody

from core import errors as core_errors
from core.auth import ensure_citizen_owns, ensure_staff_scope, principal_of, requires
from core.certificates import api, registry, show
from core.certificates.models import Certificate, CertificateDisclosure
from core.stores import get_stores

CITIZEN = requires("citizen")
DEPARTMENT_DECIDERS = requires("staff", "operator", "admin", roles=("head", "dept_admin"))
VERIFY_LIMIT_PER_MINUTE = 60


class ShowBody(msgspec.Struct, forbid_unknown_fields=True):
    fields: list[str] | None = None
    unmasked: list[str] = msgspec.field(default_factory=list)
    ttl_seconds: int = show.DEFAULT_TTL
    purpose: str = ""


class RevokeBody(msgspec.Struct, forbid_unknown_fields=True):
    reason: str


async def _own(request: Request, cert_id: FromPath[int]) -> Certificate:
    cert = await Certificate.get_or_none(id=cert_id)
    if cert is None:
        raise core_errors.NOT_FOUND()
    ensure_citizen_owns(principal_of(request), cert.holder_account_id)
    return cert


def _type_view(code: str) -> dict[str, Any]:
    ctype = registry.get(code)
    assert ctype is not None
    return {
        "code": ctype.code, "name": ctype.name, "name_en": ctype.name_en, "issuer_name": ctype.issuer_name,
        "issuer_credit_code": ctype.issuer_credit_code, "validity_days": ctype.validity_days,
        "trust_level": ctype.trust_level, "public_fields": list(ctype.public_fields),
        "fields": [{"name": f.name, "label": f.label, "label_en": f.label_en, "required": f.required,
                    "masked": f.mask != "none"} for f in ctype.fields],
    }


@get("/certificates/types", summary="Certificate types declared by plugins (public)")
async def list_types() -> list[dict[str, Any]]:
    return [_type_view(code) for code in sorted(registry.types())]


@get("/certificates", guards=[CITIZEN], summary="The citizen's wallet (证照夹)")
async def wallet(request: Request, include_inactive: FromQuery[bool] = False) -> list[dict[str, Any]]:
    principal = principal_of(request)
    return [api.view(c) for c in await api.wallet(principal.subject_id, include_inactive=include_inactive)]


@get("/certificates/matching", guards=[CITIZEN], summary="Which required certificate types the citizen holds (免提交)")
async def matching(request: Request, type_codes: FromQuery[str] = "") -> dict[str, Any]:
    codes = [c.strip() for c in type_codes.split(",") if c.strip()]
    found = await api.current_for_types(principal_of(request).subject_id, codes)
    return {code: ({"id": c.id, "identifier": c.identifier} if (c := found.get(code)) else None) for code in codes}


@get("/certificates/{cert_id:int}", guards=[CITIZEN], summary="One certificate of the wallet")
async def detail(request: Request, cert_id: FromPath[int]) -> dict[str, Any]:
    return api.view(await _own(request, cert_id))


@get("/certificates/{cert_id:int}/disclosures", guards=[CITIZEN], summary="Who verified this certificate, and what they saw")
async def disclosures(request: Request, cert_id: FromPath[int]) -> list[dict[str, Any]]:
    cert = await _own(request, cert_id)
    rows = await CertificateDisclosure.filter(certificate_id=cert.id).order_by("-id").limit(200)
    return [{"at": r.at.isoformat(), "fields": r.fields_shown, "purpose": r.purpose, "verifier": r.verifier}
            for r in rows]


@post("/certificates/{cert_id:int}/show", guards=[CITIZEN], status_code=200,
      summary="亮证: a short-lived signed QR code showing only the chosen fields")
async def show_certificate(request: Request, cert_id: FromPath[int], data: JSONBody[ShowBody]) -> dict[str, Any]:
    cert = await _own(request, cert_id)
    code = show.make_show_code(cert, fields=data.fields, unmasked=data.unmasked, ttl_seconds=data.ttl_seconds,
                                purpose=data.purpose)
    return {"code": code.code, "verify_url": code.verify_url, "expires_at": code.expires_at,
            "qr_svg": code.qr_svg(), "qr_png": code.qr_png()}


@get("/certificates/verify", summary="Verify a shown certificate code (public, rate-limited)")
async def verify(request: Request, code: FromQuery[str] = "") -> dict[str, Any]:
    ip = request.client.host if request.client else "unknown"
    if await get_stores()("certificates.verify").incr(f"ip:{ip}", 60) > VERIFY_LIMIT_PER_MINUTE:
        raise core_errors.RATE_LIMITED(details={"retry_after": 60})
    principal = request.scope.get("user")
    verifier = f"{principal.kind}:{principal.account_id}" if principal else "anonymous"
    return await show.verify_show_code(code, verifier=verifier, verifier_ip=ip)


@post("/staff/certificates/{cert_id:int}/revoke", guards=[DEPARTMENT_DECIDERS], status_code=200,
      summary="Revoke (注销) a certificate issued by the caller's department and region")
async def revoke(request: Request, cert_id: FromPath[int], data: JSONBody[RevokeBody]) -> dict[str, Any]:
    cert = await Certificate.get_or_none(id=cert_id)
    if cert is None:
        raise core_errors.NOT_FOUND()
    principal = principal_of(request)
    if principal.kind == "staff" and cert.department_id is None:
        raise core_errors.NOT_FOUND()  # issued outside any department: only operators/admins
    ensure_staff_scope(principal, department_id=cert.department_id, region_code=cert.region_code)
    cert = await api.revoke(cert.id, data.reason)
    return {"id": cert.id, "identifier": cert.identifier, "status": cert.status.value,
            "revoked_at": cert.revoked_at.isoformat() if cert.revoked_at else None}


STAFF = requires("staff", "operator", "admin")


@get("/staff/certificates/uses", guards=[STAFF],
     summary="Certificates an application used instead of uploads (免提交), with their status now")
async def case_uses(request: Request, case_id: FromQuery[int]) -> list[dict[str, Any]]:
    from core.cases.api import get as get_case_view

    case = await get_case_view(case_id, principal_of(request))  # 404 outside the caller's scope
    return [{"material_code": use.material_code, "used_at": use.used_at.isoformat(), "certificate": api.view(use.certificate)}
            for use in await api.uses_for_case(case["case_no"])]


def all_route_handlers() -> list:
    return [list_types, wallet, matching, detail, disclosures, show_certificate, verify, revoke, case_uses]
