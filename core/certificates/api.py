"""Public API of e-certificates (电子证照): what plugins, the case engine and the BFF call.

* :func:`issue` — issue a certificate to a citizen (on approval, or at once for query-type items);
  idempotent per case and type, so a case event delivered twice issues once.
* :func:`reissue` — a changed certificate: a new version, the old one becomes stale.
* :func:`revoke` — 注销; a revoked certificate is refused everywhere.
* :func:`wallet`, :func:`current_for_types` — what a citizen holds, and which of their
  certificates can replace the materials an item asks for (matched by type code).
* :func:`use_for_material` — record that a certificate replaces a material upload in an
  application (免提交); refuses stale, revoked, expired or mismatched certificates.
* :func:`ensure_usable` — the one place that decides whether a certificate may be relied on.
"""

from __future__ import annotations

import json
import secrets
import string
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from tortoise.exceptions import IntegrityError

from core import errors as core_errors
from core.certificates import errors, registry
from core.certificates.identifier import Identifier
from core.certificates.models import Certificate, CertificateStatus, CertificateUse
from core.certificates.records import CertificateType
from core.db import transaction

_COLUMN = "certificates.data"
_SERIAL_ALPHABET = string.digits + string.ascii_uppercase


def _now() -> datetime:
    return datetime.now(UTC)


def _cipher():
    from core.identity.crypto import get_cipher

    return get_cipher()


def seal(data: Mapping[str, Any]) -> str:
    return _cipher().encrypt(json.dumps(data, ensure_ascii=False, sort_keys=True), column=_COLUMN)


def content(cert: Certificate) -> dict[str, Any]:
    """The certificate's decrypted content (照面信息) — for the holder's own views and consented shows."""
    return json.loads(_cipher().decrypt(cert.data_enc, column=_COLUMN) or "{}")


def certificate_type(code: str) -> CertificateType:
    found = registry.get(code)
    if found is None:
        raise errors.TYPE_UNKNOWN(details={"type_code": code})
    return found


def validate_data(ctype: CertificateType, data: Mapping[str, Any]) -> dict[str, Any]:
    """Every field's problem at once; values are text, numbers or booleans."""
    problems: list[dict[str, str]] = []
    clean: dict[str, Any] = {}
    known = {f.name for f in ctype.fields}
    for name in sorted(set(data) - known):
        problems.append({"field": name, "error": "unknown"})
    for f in ctype.fields:
        value = data.get(f.name)
        if isinstance(value, str):
            value = value.strip()
        if value in (None, ""):
            if f.required:
                problems.append({"field": f.name, "error": "required"})
            continue
        if not isinstance(value, str | int | float | bool) or (isinstance(value, str) and len(value) > 500):
            problems.append({"field": f.name, "error": "invalid"})
            continue
        clean[f.name] = value
    if problems:
        raise errors.DATA_INVALID(details={"fields": problems})
    return clean


async def _holder(account_id: int) -> int:
    """The holder's account (a merged account's survivor); an unknown account is refused."""
    from core.identity.api import get_account

    info = await get_account(account_id)
    if info is None or not info.active:
        raise errors.HOLDER_UNKNOWN(details={"holder_account_id": account_id})
    return info.id


def _new_serial(at: datetime) -> str:
    return f"{at:%Y}" + "".join(secrets.choice(_SERIAL_ALPHABET) for _ in range(12))


async def issue(
    type_code: str,
    holder_account_id: int,
    data: Mapping[str, Any],
    *,
    case_id: int | None = None,
    department_id: int | None = None,
    region_code: str | None = None,
    valid_from: datetime | None = None,
    valid_until: datetime | None = None,
    notify: bool = True,
) -> Certificate:
    """Issue version 001 of a new certificate to ``holder_account_id``.

    With ``case_id``, issuing is idempotent: the valid certificate of this type already issued
    for the case is returned. ``valid_until`` defaults to the type's ``validity_days``.
    """
    ctype = certificate_type(type_code)
    if case_id is not None:  # first: a second issuer of the same result (a plugin, then the platform's
        # own listener with the case's generic data) gets the certificate, not a data error
        existing = await Certificate.filter(case_id=case_id, type_code=type_code, status=CertificateStatus.VALID).first()
        if existing is not None:
            return existing
    clean = validate_data(ctype, data)
    holder_account_id = await _holder(holder_account_id)
    start = valid_from or _now()
    until = valid_until or (start + timedelta(days=ctype.validity_days) if ctype.validity_days else None)
    if until is not None and until <= start:
        raise errors.VALIDITY_INVALID(details={"valid_from": start.isoformat(), "valid_until": until.isoformat()})
    for _attempt in range(3):  # a serial collision (36^12 space) is retried, never surfaced
        ident = Identifier(ctype.code, ctype.issuer_credit_code, _new_serial(start), 1)
        try:
            async with transaction():  # a savepoint when the caller is in a transaction
                cert = await Certificate.create(
                    identifier=str(ident), type_code=ctype.code, issuer_credit_code=ctype.issuer_credit_code,
                    serial=ident.serial, version=1, holder_account_id=holder_account_id, data_enc=seal(clean),
                    valid_from=start, valid_until=until, case_id=case_id, department_id=department_id,
                    region_code=region_code,
                )
            break
        except IntegrityError:
            continue
    else:
        raise core_errors.CONFLICT(details={"reason": "could not allocate a certificate serial"})
    if notify:
        await _tell_holder(cert, ctype, "certificate.issued")
    return cert


async def reissue(
    certificate_id: int, changes: Mapping[str, Any], *, valid_until: datetime | None = None, notify: bool = True,
) -> Certificate:
    """Issue the next version with ``changes`` applied; the current version becomes stale."""
    async with transaction():
        old = await Certificate.filter(id=certificate_id).select_for_update().first()
        if old is None:
            raise core_errors.NOT_FOUND()
        _refuse_unusable_status(old)
        ctype = certificate_type(old.type_code)
        clean = validate_data(ctype, {**content(old), **changes})
        ident = Identifier(old.type_code, old.issuer_credit_code, old.serial, old.version).next_version()
        start = _now()
        until = valid_until or (start + timedelta(days=ctype.validity_days) if ctype.validity_days else old.valid_until)
        new = await Certificate.create(
            identifier=str(ident), type_code=old.type_code, issuer_credit_code=old.issuer_credit_code,
            serial=old.serial, version=ident.version, holder_account_id=old.holder_account_id,
            data_enc=seal(clean), valid_from=start, valid_until=until, case_id=old.case_id,
            department_id=old.department_id, region_code=old.region_code,
        )
        old.status = CertificateStatus.SUPERSEDED
        old.superseded_by_id = new.id
        await old.save(update_fields=["status", "superseded_by_id"])
    if notify:
        await _tell_holder(new, ctype, "certificate.reissued")
    return new


async def revoke(certificate_id: int, reason: str, *, notify: bool = True) -> Certificate:
    """Revoke (注销) a valid certificate. Revoking twice is refused with ``certificate.revoked``."""
    reason = (reason or "").strip()
    if not reason:
        raise errors.REASON_REQUIRED()
    async with transaction():
        cert = await Certificate.filter(id=certificate_id).select_for_update().first()
        if cert is None:
            raise core_errors.NOT_FOUND()
        _refuse_unusable_status(cert)
        cert.status = CertificateStatus.REVOKED
        cert.revoked_at = _now()
        cert.revoked_reason = reason[:200]
        await cert.save(update_fields=["status", "revoked_at", "revoked_reason"])
    if notify:
        await _tell_holder(cert, registry.get(cert.type_code), "certificate.revoked")
    return cert


def _refuse_unusable_status(cert: Certificate) -> None:
    if cert.status == CertificateStatus.SUPERSEDED:
        raise errors.STALE(details={"identifier": cert.identifier})
    if cert.status == CertificateStatus.REVOKED:
        raise errors.REVOKED(details={"identifier": cert.identifier})


def ensure_usable(cert: Certificate, *, at: datetime | None = None) -> None:
    """Refuse a stale (superseded), revoked, expired or not-yet-valid certificate."""
    _refuse_unusable_status(cert)
    at = at or _now()
    if cert.valid_until is not None and cert.valid_until <= at:
        raise errors.EXPIRED(details={"identifier": cert.identifier, "valid_until": cert.valid_until.isoformat()})
    if cert.valid_from > at:
        raise errors.NOT_YET_VALID(details={"identifier": cert.identifier})


async def wallet(holder_account_id: int, *, include_inactive: bool = False) -> list[Certificate]:
    """The citizen's certificates, newest first (only the current versions unless asked)."""
    query = Certificate.filter(holder_account_id=holder_account_id)
    if not include_inactive:
        query = query.filter(status=CertificateStatus.VALID)
    return await query.order_by("-issued_at", "-id")


async def current_for_types(holder_account_id: int, type_codes: Iterable[str]) -> dict[str, Certificate]:
    """For each type code, the citizen's newest usable certificate of that type (免提交 matching)."""
    found: dict[str, Certificate] = {}
    codes = list(dict.fromkeys(type_codes))
    if not codes:
        return found
    for cert in await Certificate.filter(
        holder_account_id=holder_account_id, type_code__in=codes, status=CertificateStatus.VALID,
    ).order_by("-issued_at", "-id"):
        if cert.type_code in found:
            continue
        try:
            ensure_usable(cert)
        except core_errors.AppError:
            continue
        found[cert.type_code] = cert
    return found


async def use_for_material(
    *,
    holder_account_id: int,
    identifier: str,
    accepted_type_codes: Sequence[str],
    case_ref: str,
    material_code: str,
) -> CertificateUse:
    """Record that the holder's certificate ``identifier`` replaces material ``material_code`` of
    the application ``case_ref`` (the case number or draft id the case engine uses).

    The certificate must belong to the holder (else 404, ids do not leak), be of one of the
    ``accepted_type_codes`` the material names, and be usable now. One certificate per material.
    """
    cert = await Certificate.filter(identifier=identifier.strip().upper()).first()
    if cert is None or cert.holder_account_id != holder_account_id:
        raise core_errors.NOT_FOUND()
    if cert.type_code not in accepted_type_codes:
        raise errors.TYPE_MISMATCH(details={"type_code": cert.type_code, "accepted": list(accepted_type_codes)})
    ensure_usable(cert)
    try:
        return await CertificateUse.create(
            certificate=cert, holder_account_id=holder_account_id, case_ref=case_ref, material_code=material_code,
        )
    except IntegrityError as exc:
        raise errors.ALREADY_USED(details={"case_ref": case_ref, "material_code": material_code}) from exc


async def uses_for_case(case_ref: str) -> list[CertificateUse]:
    return await CertificateUse.filter(case_ref=case_ref).prefetch_related("certificate").order_by("id")


def mask_value(value: Any, mask: str) -> Any:
    if value is None or mask == "none":
        return value
    from core.identity import pii

    text = str(value)
    if mask == "id_number":
        return pii.mask_id_number(text)
    if mask == "phone":
        return pii.mask_phone(text)
    if mask == "name":
        return pii.mask_name(text)
    return text[:1] + "*" * max(len(text) - 2, 1) + (text[-1:] if len(text) > 2 else "")


def view(cert: Certificate, *, fields: Sequence[str] | None = None, unmasked: Iterable[str] = ()) -> dict[str, Any]:
    """A certificate as an API shows it: sensitive fields masked unless listed in ``unmasked``.

    A certificate whose type is no longer declared (its plugin was switched off) still shows,
    with every value partly masked, so a wallet never fails because of one plugin.
    """
    ctype = registry.get(cert.type_code)
    data = content(cert)
    declared = {f.name: f for f in ctype.fields} if ctype else {}
    shown = list(fields) if fields is not None else (list(declared) if ctype else sorted(data))
    unmasked = set(unmasked)
    items = []
    for name in shown:
        f = declared.get(name)
        if ctype and f is None:
            continue
        value = data.get(name)
        mask = f.mask if f else "partial"
        items.append({
            "name": name, "label": f.label if f else name, "label_en": f.label_en if f else name,
            "value": value if name in unmasked else mask_value(value, mask),
        })
    return {
        "id": cert.id,
        "identifier": cert.identifier,
        "type_code": cert.type_code,
        "type_name": ctype.name if ctype else cert.type_code,
        "type_name_en": ctype.name_en if ctype else cert.type_code,
        "issuer_name": ctype.issuer_name if ctype else "",
        "issuer_credit_code": cert.issuer_credit_code,
        "version": cert.version,
        "status": _effective_status(cert),
        "trust_level": ctype.trust_level if ctype else None,
        "valid_from": cert.valid_from.isoformat(),
        "valid_until": cert.valid_until.isoformat() if cert.valid_until else None,
        "issued_at": cert.issued_at.isoformat() if cert.issued_at else None,
        "fields": items,
    }


def _effective_status(cert: Certificate) -> str:
    if cert.status == CertificateStatus.VALID and cert.valid_until is not None and cert.valid_until <= _now():
        return "expired"
    return cert.status.value


async def _tell_holder(cert: Certificate, ctype: CertificateType | None, kind: str) -> None:
    from core.messages.api import notify

    await notify(
        cert.holder_account_id, kind,
        params={"type_name": ctype.name if ctype else cert.type_code, "identifier": cert.identifier, "reason": cert.revoked_reason or ""},
        link=f"/certificates/{cert.id}",
        dedupe_key=f"{kind}:{cert.id}",
    )
