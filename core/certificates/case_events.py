"""The certificate side of the case engine (``zhushida_material_certificates``, ``zhushida_case_event``).

* The citizen's usable wallet certificates are offered for every material that names their type
  (免提交), so the engine attaches them instead of asking for an upload; stale, revoked and
  expired ones are offered with ``valid=False`` so that naming one is refused.
* When a case is submitted or resubmitted, each wallet certificate it uses is recorded
  (:class:`CertificateUse`), so the holder and staff see where a certificate was relied on.
* When a case of an item whose result is an e-certificate (``result_type="certificate"``) is
  approved, the certificate is issued to the applicant: each field comes from the approval's
  ``data["certificate"]``, else from the form field named by ``from_form`` (or of the same name).
  Issuing is idempotent per case, so a plugin that issues itself is not doubled.
"""

from __future__ import annotations

import logging
from typing import Any

from core.certificates import api, registry
from core.certificates.models import Certificate, CertificateStatus, CertificateUse

log = logging.getLogger("zhushida.certificates")


async def material_certificates(account_id: int, material: Any) -> list[Any]:
    from core.hooks import CertificateRef

    codes = [c for c in material.certificate_types if registry.get(c) is not None]
    if not codes:
        return []
    rows = await Certificate.filter(holder_account_id=account_id, type_code__in=codes).exclude(
        status=CertificateStatus.SUPERSEDED).order_by("-issued_at", "-id")
    refs = []
    for cert in rows:
        try:
            api.ensure_usable(cert)
            valid = True
        except Exception:
            valid = False
        refs.append(CertificateRef(str(cert.id), cert.type_code, cert.identifier,
                                   registry.get(cert.type_code).name, valid=valid))
    return refs


async def on_case_event(event: Any) -> None:
    if event.kind in ("submitted", "resubmit"):
        await _record_uses(event)
    elif event.effect == "approve":
        await _issue_result(event)


async def _record_uses(event: Any) -> None:
    from core.cases.api import get_case

    case = await get_case(event.case_id)
    if case is None:
        return
    for key, entry in (case.materials or {}).items():
        if not isinstance(entry, dict) or entry.get("kind") != "certificate" or not str(entry.get("certificate_id", "")).isdigit():
            continue
        cert = await Certificate.get_or_none(id=int(entry["certificate_id"]), holder_account_id=case.applicant_id)
        if cert is None:
            continue  # a certificate another plugin holds for the citizen
        await CertificateUse.update_or_create(
            defaults={"certificate": cert, "holder_account_id": case.applicant_id},
            case_ref=case.case_no, material_code=key,
        )


async def _issue_result(event: Any) -> None:
    from core.catalogue.registry import get_registry

    item = get_registry().item(event.item_code)
    if item is None or item.result_type != "certificate" or registry.get(item.result_certificate_type) is None:
        return
    from core.cases.api import get_case
    from core.cases.sealing import unseal
    from core.identity.api import get_department

    ctype = registry.get(item.result_certificate_type)
    case = await get_case(event.case_id)
    form = unseal(case.form_data or {}) if case else {}
    given = dict(event.data.get("certificate") or {})
    data = {f.name: given.get(f.name, form.get(f.from_form or f.name)) for f in ctype.fields}
    department = await get_department(event.department_code)
    cert = await api.issue(ctype.code, event.applicant_id, {k: v for k, v in data.items() if v is not None},
                           case_id=event.case_id, department_id=department.id if department else None,
                           region_code=event.region_code)
    log.info("case %s approved: certificate %s issued", event.case_no, cert.identifier)
