"""The bureau's logic on imported data: the insured person and their contributions, the proof of
insurance, pension qualification certification (L3), contact changes."""

from __future__ import annotations

import contextlib
import datetime as dt
from typing import Any

from tortoise.functions import Count, Max, Sum

from core import errors
from core.db import transaction
from core.feeds import pii
from plugins.social_security.items import CERT_TYPE
from plugins.social_security.models import Contribution, InsuredPerson, PensionCertification

SHANGHAI = dt.timezone(dt.timedelta(hours=8))
PLUGIN = "plugin:social_security"
STATUS_ZH = {"active": "参保缴费", "suspended": "暂停缴费", "retired": "离退休", "terminated": "终止参保"}
INSURANCE_ZH = {"pension": "养老保险", "medical": "医疗保险", "unemployment": "失业保险", "injury": "工伤保险"}
# Prefill keys (免填写) answered from the insured record, for this plugin's forms and any other's.
PREFILL = {
    "social_security.status": lambda p: p.status,
    "social_security.employer": lambda p: p.employer_name,
    "social_security.insured_since": lambda p: p.insured_since.isoformat(),
    "social_security.phone": lambda p: pii.decrypt(p.phone_enc, "ss.phone"),
}

NOT_INSURED = errors.define("social_security.not_insured", 404, "未查询到您的参保记录", "No social insurance record found for you")
NOT_RETIRED = errors.define("social_security.not_retired", 409, "您不是养老金领取人员，无需进行资格认证",
                            "You do not draw a pension; no qualification certification is needed")
ALREADY_CERTIFIED = errors.define("social_security.already_certified", 409, "您本年度已完成养老金领取资格认证",
                                  "You have already completed this year's pension qualification certification")


def this_year() -> int:
    return dt.datetime.now(SHANGHAI).year


async def person_of(account_id: int, reader: Any, purpose: str) -> tuple[InsuredPerson | None, Any]:
    from core.identity import api as identity

    data = await identity.read_personal_data(account_id, reader=reader, purpose=purpose, fields=("name", "id_number"))
    if not data or not data.id_number:
        return None, data
    person = await InsuredPerson.filter(person_key__in=pii.person_keys(data.id_number)).first()
    return person, data


async def contribution_summary(person_key: str) -> dict[str, Any]:
    rows = await Contribution.filter(person_key=person_key).group_by("insurance").annotate(
        months=Count("id"), personal=Sum("personal_fen"), employer=Sum("employer_fen"), last=Max("period"),
    ).values("insurance", "months", "personal", "employer", "last")
    return {r["insurance"]: {"months": r["months"], "personal_fen": int(r["personal"] or 0),
                             "employer_fen": int(r["employer"] or 0), "last_period": r["last"]} for r in rows}


def person_view(p: InsuredPerson) -> dict[str, Any]:
    return {"name": p.name_masked, "id_number": p.id_masked, "status": p.status, "status_zh": STATUS_ZH[p.status],
            "insured_since": p.insured_since.isoformat(), "region_code": p.region_code,
            "employer": p.employer_name, "phone": p.phone_masked}


async def contributions(person_key: str, year: int | None) -> list[dict[str, Any]]:
    query = Contribution.filter(person_key=person_key)
    if year:
        query = query.filter(period__startswith=str(year))
    rows = await query.order_by("-period", "insurance").limit(600)
    return [{"period": r.period, "insurance": r.insurance, "base_fen": r.base_fen, "personal_fen": r.personal_fen,
             "employer_fen": r.employer_fen, "paid_on": r.paid_on.isoformat() if r.paid_on else None} for r in rows]


async def prefill(account_id: int, item: Any, keys: list[str]) -> dict[str, Any]:
    """The keys of ``PREFILL`` asked for, from the citizen's own record (nothing for anyone else)."""
    wanted = [k for k in keys if k in PREFILL]
    if not wanted:
        return {}
    person, _ = await person_of(account_id, PLUGIN, f"免填写 {getattr(item, 'name', '')}"[:128])
    if person is None:
        return {}
    values = {k: PREFILL[k](person) for k in wanted}
    return {k: v for k, v in values.items() if v not in (None, "")}  # what the record holds, nothing else


def insurances_line(summary: dict[str, Any]) -> str:
    """参保险种及缴费月数 as printed on the proof, e.g. 养老保险3个月；医疗保险3个月."""
    return "；".join(f"{INSURANCE_ZH[k]}{summary[k]['months']}个月" for k in INSURANCE_ZH if k in summary)


async def proof_data(person: InsuredPerson, name: str, id_number: str) -> dict[str, Any]:
    summary = await contribution_summary(person.person_key)
    pension = summary.get("pension", {})
    data = {"name": name, "id_number": id_number, "status": STATUS_ZH[person.status],
            "insured_since": person.insured_since.isoformat(), "insurances": insurances_line(summary),
            "pension_months": int(pension.get("months", 0)),
            "last_period": pension.get("last_period"), "employer": person.employer_name}
    return {k: v for k, v in data.items() if v not in (None, "")}


async def issue_proof(case: Any) -> dict[str, Any]:
    """On the (instant) approval: the 参保证明 as an e-certificate, or a result saying no record."""
    from core.cases import api as cases
    from core.certificates import api as certificates

    person, data = await person_of(case.applicant_id, PLUGIN, "开具社会保险参保证明")
    if person is None:
        result = {"insured": False, "message": NOT_INSURED.zh, "message_en": NOT_INSURED.en}
    else:
        cert = await certificates.issue(CERT_TYPE, case.applicant_id, await proof_data(person, data.name, data.id_number),
                                        case_id=case.id, region_code=case.region_code)
        result = {"insured": True, "certificate_id": cert.id, "certificate": cert.identifier}
    with contextlib.suppress(errors.AppError):  # the case moved on: the certificate is in the wallet
        await cases.attach_result(case.id, result)
    return result


async def certify_pension(principal: Any) -> PensionCertification:
    """養老金资格认证: a retiree verified at level 3 (face) certifies they are alive, once a year."""
    person, _data = await person_of(principal.subject_id, principal, "养老金领取资格认证")
    if person is None:
        raise NOT_INSURED()
    if person.status != "retired":
        raise NOT_RETIRED()
    year = this_year()
    if await PensionCertification.filter(person_key=person.person_key, year=year).exists():
        raise ALREADY_CERTIFIED(details={"year": year})
    from tortoise.exceptions import IntegrityError

    try:
        return await PensionCertification.create(account_id=principal.subject_id, person_key=person.person_key,
                                                 year=year, method="face", certificate_no=f"RZ{year}{person.id:010d}")
    except IntegrityError:  # a concurrent certification of the same year
        raise ALREADY_CERTIFIED(details={"year": year}) from None


async def verify_contact_applicant(case: Any) -> None:
    """On submission of a contact change: the bureau must hold a record of the applicant, else
    the system refuses acceptance (不予受理) with ``social_security.not_insured``."""
    from core.cases import api as cases

    person, _data = await person_of(case.applicant_id, PLUGIN, "受理参保人员联系方式变更")
    if person is None:
        error = NOT_INSURED()
        await cases.transition(case.id, "reject", None, comment=f"{error.code}: {error.message}")


async def change_phone(case: Any, form: dict[str, Any]) -> dict[str, Any]:
    """The clerk's 办理变更 (workflow action ``apply_change``): the new phone goes to the insured
    record (encrypted); the case result says what was applied (masked)."""
    from core.cases import api as cases

    person, _data = await person_of(case.applicant_id, PLUGIN, "参保人员联系方式变更")
    if person is None:  # the record left the bureau's feed after acceptance
        result = {"applied": False, "message": NOT_INSURED.zh, "message_en": NOT_INSURED.en}
    else:
        phone = form["new_phone"]
        async with transaction():
            await InsuredPerson.filter(id=person.id).update(phone_enc=pii.encrypt(phone, "ss.phone"),
                                                            phone_masked=pii.mask_phone(phone))
            result = {"applied": True, "phone": pii.mask_phone(phone), "previous_phone": person.phone_masked}
            await cases.attach_result(case.id, result)
        return result
    with contextlib.suppress(errors.AppError):
        await cases.attach_result(case.id, result)
    return result
