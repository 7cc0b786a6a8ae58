"""Turning what a citizen sends into a checked application: form values (with prefill, 免填写)
and materials (uploads, reusable e-certificates 免提交, commitments 告知承诺, tolerated gaps 容缺).

Every problem is collected and reported at once; nothing is written here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from core.cases.errors import APPLICATION_INVALID
from core.cases.models import Upload
from core.catalogue import forms
from core.catalogue.records import (
    CertificateRef,
    FormField,
    Material,
    ServiceItem,
)
from core.plugins.host import get_host


@dataclass
class Application:
    form: dict[str, Any]
    materials: dict[str, dict[str, Any]]
    missing: list[str] = field(default_factory=list)  # tolerable materials not supplied (容缺)
    commitment: bool = False
    errors: list[dict[str, str]] = field(default_factory=list)


def _error(path: str, code: str, zh: str, en: str) -> dict[str, str]:
    return {"field": path, "code": code, "message": zh, "message_en": en}


async def prefill_values(account_id: int, item: ServiceItem, fields: tuple[FormField, ...] | None = None) -> dict[str, Any]:
    """``{field key: value}`` for every field whose prefill key a plugin answered."""
    fields = item.form if fields is None else fields
    keys = sorted({f.prefill for f in fields if f.prefill})
    if not keys:
        return {}
    answers: dict[str, Any] = {}
    for _plugin, values in await get_host().gather("zhushida_form_prefill", account_id=account_id, item=item, keys=keys):
        if isinstance(values, dict):
            for key, value in values.items():
                if key in keys and value not in (None, ""):
                    answers.setdefault(key, value)
    return {f.key: answers[f.prefill] for f in fields if f.prefill in answers}


async def reusable_certificates(account_id: int, item: ServiceItem, material: Material) -> list[CertificateRef]:
    if not material.certificate_types:
        return []
    found: list[CertificateRef] = []
    for _plugin, refs in await get_host().gather(
        "zhushida_material_certificates", account_id=account_id, item=item, material=material
    ):
        for ref in refs if isinstance(refs, list | tuple) else [refs]:
            if isinstance(ref, CertificateRef) and ref.type_code in material.certificate_types:
                found.append(ref)
    return found


def merge_prefill(fields: tuple[FormField, ...], sent: dict[str, Any], prefilled: dict[str, Any]) -> dict[str, Any]:
    """The platform's own data fills what the citizen left out, and replaces the masked value a
    client echoes back for a sensitive field (the client only ever saw it masked)."""
    merged = dict(sent)
    by_key = {f.key: f for f in fields}
    for key, value in prefilled.items():
        echoed = merged.get(key)
        if echoed in (None, "") or (forms.is_personal(by_key[key]) and echoed == forms.mask_field(by_key[key], value)):
            merged[key] = value
    return merged


def checked_form(fields: tuple[FormField, ...], form: Any, prefilled: dict[str, Any]) -> tuple[dict[str, Any], list[forms.FieldError]]:
    """The form as the applicant sent it, completed by prefill, validated: cleaned values and every
    problem, including a verified name or ID number changed."""
    merged = merge_prefill(fields, form, prefilled) if isinstance(form, dict) else form  # not an object: validate says so
    cleaned, field_errors = forms.validate(fields, merged)
    return cleaned, field_errors + not_the_verified_identity(fields, cleaned, prefilled)


def not_the_verified_identity(fields: tuple[FormField, ...], cleaned: dict[str, Any],
                              prefilled: dict[str, Any]) -> list[forms.FieldError]:
    """A field filled from the applicant's verified name or ID number must hold exactly that: an
    application cannot be made in someone else's name (a proxy's forms carry the principal's)."""
    from core.cases.prefill import VERIFIED_KEYS

    return [
        forms.FieldError(f.key, "verified_identity", "须与实名认证信息一致，不能修改",
                         "must be the applicant's verified identity and cannot be changed")
        for f in fields
        if f.prefill in VERIFIED_KEYS and f.key in prefilled and f.key in cleaned
        and str(cleaned[f.key]).strip().upper() != str(prefilled[f.key]).strip().upper()
    ]


async def _material_entry(
    account_id: int, item: ServiceItem, material: Material, sent: Any, path: str, errors: list[dict[str, str]]
) -> dict[str, Any] | None:
    """Check one material the applicant named; append problems to ``errors``."""
    if not isinstance(sent, dict):
        errors.append(_error(path, "type", "材料信息格式不正确", "material entry must be an object"))
        return None
    if sent.get("certificate_id"):
        valid = {r.certificate_id: r for r in await reusable_certificates(account_id, item, material) if r.valid}
        ref = valid.get(str(sent["certificate_id"]))
        if ref is None:
            errors.append(_error(path, "certificate_invalid", "所选电子证照无效或已过期", "the e-certificate is not valid for this material"))
            return None
        return {"kind": "certificate", "certificate_id": ref.certificate_id, "type_code": ref.type_code,
                "identifier": ref.identifier, "title": ref.title}
    if sent.get("commitment") is True:
        if not material.commitment_allowed:
            errors.append(_error(path, "commitment_not_allowed", "该材料不适用告知承诺", "this material cannot be replaced by a commitment"))
            return None
        return {"kind": "commitment"}
    if sent.get("paper") is True:
        if material.form == "electronic":
            errors.append(_error(path, "paper_not_allowed", "该材料须提交电子版", "this material must be electronic"))
            return None
        return {"kind": "paper"}
    ids = sent.get("upload_ids") or ([sent["upload_id"]] if sent.get("upload_id") else [])
    if not ids or not all(isinstance(i, str) for i in ids):
        errors.append(_error(path, "material_empty", "请上传材料或选择电子证照", "upload a file or choose an e-certificate"))
        return None
    if material.form == "paper":
        errors.append(_error(path, "electronic_not_allowed", "该材料须提交纸质原件", "this material must be a paper original"))
        return None
    uploads = {u.id: u for u in await Upload.filter(id__in=ids)}
    files = []
    for upload_id in ids:
        upload = uploads.get(upload_id)
        if upload is None or upload.owner_id != account_id or upload.item_code != item.code or upload.material_key != material.key:
            errors.append(_error(path, "upload_not_found", "上传的文件不存在或不属于该材料", "no such upload for this material"))
            return None
        files.append({"upload_id": upload.id, "sha256": upload.sha256, "filename": upload.filename,
                      "size": upload.size, "content_type": upload.content_type})
    return {"kind": "upload", "files": files}


async def check_materials(
    account_id: int, item: ServiceItem, sent: Any, *, prefix: str = "materials", only: list[str] | None = None
) -> tuple[dict[str, dict[str, Any]], list[str], list[dict[str, str]]]:
    """Materials as named by the applicant → (entries, tolerated-missing keys, errors).

    A material with a reusable e-certificate the citizen did not name is attached automatically:
    nothing the platform can fetch is asked again.
    """
    sent = {} if sent is None else sent
    errors: list[dict[str, str]] = []
    if not isinstance(sent, dict):
        return {}, [], [_error(prefix, "type", "材料信息格式不正确", "materials must be an object")]
    for key in sent:
        if item.material(key) is None:
            errors.append(_error(f"{prefix}.{key}", "unknown", "该事项没有此材料", "no such material"))
    entries: dict[str, dict[str, Any]] = {}
    missing: list[str] = []
    for material in item.materials:
        if only is not None and material.key not in only:
            continue
        path = f"{prefix}.{material.key}"
        if material.key in sent:
            entry = await _material_entry(account_id, item, material, sent[material.key], path, errors)
            if entry is not None:
                entries[material.key] = entry
            continue
        auto = [r for r in await reusable_certificates(account_id, item, material) if r.valid]
        if auto:
            ref = auto[0]
            entries[material.key] = {"kind": "certificate", "certificate_id": ref.certificate_id, "type_code": ref.type_code,
                                     "identifier": ref.identifier, "title": ref.title, "auto": True}
        elif material.required and material.tolerable:
            missing.append(material.key)
        elif material.required:
            errors.append(_error(path, "material_required", f"请提交{material.name}", f"{material.name_en or material.key} is required"))
    return entries, missing, errors


async def prepare(
    account_id: int,
    item: ServiceItem,
    form: Any,
    materials: Any,
    *,
    fields: tuple[FormField, ...] | None = None,
    prefix: str = "",
) -> Application:
    """Check form and materials together; ``errors`` lists every problem (nothing raised)."""
    fields = item.form if fields is None else fields
    prefilled = await prefill_values(account_id, item, fields) if isinstance(form, dict) else {}
    cleaned, field_errors = checked_form(fields, form, prefilled)
    errors = [{**e.as_dict(), "field": f"{prefix}form.{e.field}" if e.field else f"{prefix}form"} for e in field_errors]
    entries, missing, material_errors = await check_materials(account_id, item, materials, prefix=f"{prefix}materials")
    errors.extend(material_errors)
    commitment = any(e["kind"] == "commitment" for e in entries.values())
    return Application(cleaned, entries, missing, commitment, errors)


def raise_if_invalid(errors: list[dict[str, str]]) -> None:
    if errors:
        raise APPLICATION_INVALID(details={"errors": errors})
