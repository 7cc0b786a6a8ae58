"""The registration centre's logic on imported data: a citizen's properties, transfers (both
parties confirm, the buyer pays the deed tax, then ownership changes) and mortgages."""

from __future__ import annotations

import contextlib
import datetime as dt
from typing import Any

from core import errors
from core.db import transaction
from core.feeds import pii
from plugins.real_estate.models import Encumbrance, Owner, Property, Transfer

SHANGHAI = dt.timezone(dt.timedelta(hours=8))
PLUGIN = "plugin:real_estate"
DEED_TAX_BP_SMALL, DEED_TAX_BP_LARGE, SMALL_HOME_M2_X100 = 100, 150, 9_000  # 契税 1 % (<= 90 m²) / 1.5 %

NO_PROPERTY = errors.define("real_estate.property_not_found", 404, "未查询到该不动产登记信息",
                            "No such registered property")
ENCUMBERED = errors.define("real_estate.encumbered", 409, "该不动产存在抵押或查封，不能办理转移登记",
                           "The property is mortgaged or seized; it cannot be transferred")
SEIZED = errors.define("real_estate.seized", 409, "该不动产已被查封，不能办理抵押登记", "The property is seized")
NOT_OWNER = errors.define("real_estate.not_owner", 409, "申请人不是该不动产的权利人",
                          "The applicant is not an owner of this property")
ALREADY_OWNER = errors.define("real_estate.already_owner", 409, "买受人已是该不动产的权利人",
                              "The buyer already owns this property")
NOT_CONFIRMED = errors.define("real_estate.not_confirmed", 409, "出卖人尚未确认交易，暂不能缴纳契税",
                              "The seller has not confirmed the sale yet; the deed tax cannot be paid")
NOTHING_TO_PAY = errors.define("real_estate.tax_already_paid", 409, "契税已缴纳", "The deed tax is already paid")


def today() -> dt.date:
    return dt.datetime.now(SHANGHAI).date()


async def keys_of(account_id: int, reader: Any, purpose: str) -> list[str]:
    from core.identity import api as identity

    data = await identity.read_personal_data(account_id, reader=reader, purpose=purpose, fields=("id_number",))
    return pii.person_keys(data.id_number) if data and data.id_number else []


async def owned_units(account_id: int, reader: Any, purpose: str = "查询不动产登记信息") -> list[str]:
    keys = await keys_of(account_id, reader, purpose)
    rows = await Owner.filter(person_key__in=keys).order_by("unit_no") if keys else []
    return [o.unit_no for o in rows]


async def active_encumbrances(unit_no: str) -> list[Encumbrance]:
    return await Encumbrance.filter(unit_no=unit_no, status="active").order_by("starts_on")


async def property_view(unit_no: str) -> dict[str, Any]:
    prop = await Property.get(unit_no=unit_no)
    owners = await Owner.filter(unit_no=unit_no).order_by("-share_bp")
    encs = await active_encumbrances(unit_no)
    return {
        "unit_no": prop.unit_no, "cert_no": prop.cert_no, "address": prop.address, "usage": prop.usage,
        "area_m2": prop.area_m2_x100 / 100, "registered_on": prop.registered_on.isoformat(),
        "owners": [{"name": o.name_masked, "id_number": o.id_masked, "share_bp": o.share_bp} for o in owners],
        "encumbered": bool(encs), "mortgaged": any(e.kind == "mortgage" for e in encs),
        "seized": any(e.kind == "seizure" for e in encs),
        "encumbrances": [{"kind": e.kind, "holder": e.holder, "amount_fen": e.amount_fen, "ref_no": e.ref_no,
                          "starts_on": e.starts_on.isoformat(), "ends_on": e.ends_on.isoformat() if e.ends_on else None}
                         for e in encs],
    }


async def home_widget(principal: Any):
    """My properties (我的不动产) on the home screen, with an alert for any mortgage or seizure —
    read for the person the caller acts as (``subject_id``), never anyone else."""
    from core.hooks import Widget

    units = await owned_units(principal.subject_id, principal, "首页卡片：我的不动产")
    if not units:
        return None
    props = {p.unit_no: p for p in await Property.filter(unit_no__in=units)}
    encs = await Encumbrance.filter(unit_no__in=units, status="active")
    rows = []
    for unit in units:
        kinds = {e.kind for e in encs if e.unit_no == unit}
        prop = props.get(unit)
        rows.append({"unit_no": unit, "cert_no": prop.cert_no if prop else "", "address": prop.address if prop else "",
                     "mortgaged": "mortgage" in kinds, "seized": "seizure" in kinds})
    mortgaged = sum(r["mortgaged"] for r in rows)
    seized = sum(r["seized"] for r in rows)
    alerts = ([{"kind": "seized", "count": seized, "text": f"{seized}处不动产已被查封",
                "text_en": f"{seized} propert{'y is' if seized == 1 else 'ies are'} seized"}] if seized else []) + \
             ([{"kind": "mortgaged", "count": mortgaged, "text": f"{mortgaged}处不动产已抵押",
                "text_en": f"{mortgaged} propert{'y is' if mortgaged == 1 else 'ies are'} mortgaged"}] if mortgaged else [])
    return Widget("properties", "我的不动产", "My properties",
                  {"count": len(rows), "properties": rows, "alerts": alerts}, order=30)


def deed_tax(price_fen: int, area_m2_x100: int) -> tuple[int, int]:
    rate = DEED_TAX_BP_SMALL if area_m2_x100 <= SMALL_HOME_M2_X100 else DEED_TAX_BP_LARGE
    return rate, (price_fen * rate + 5_000) // 10_000  # rounded half up to the fen


# ---- transfer ------------------------------------------------------------------------------------


async def check_transfer(unit_no: str, buyer_keys: list[str]) -> Property:
    prop = await Property.get_or_none(unit_no=unit_no)
    if prop is None:
        raise NO_PROPERTY(details={"unit_no": unit_no})
    encs = await active_encumbrances(unit_no)
    if encs:
        raise ENCUMBERED(details={"kinds": sorted({e.kind for e in encs})})
    if await Owner.filter(unit_no=unit_no, person_key__in=buyer_keys).exists():
        raise ALREADY_OWNER()
    return prop


async def open_transfer(case: Any, form: dict[str, Any]) -> Transfer:
    buyer_keys = pii.person_keys(form["applicant_id_number"])
    prop = await check_transfer(form["property_unit_no"], buyer_keys)
    rate, tax = deed_tax(int(form["price_fen"]), prop.area_m2_x100)
    return await Transfer.create(unit_no=prop.unit_no, buyer_account_id=case.applicant_id, seller_account_id=None,
                                 price_fen=int(form["price_fen"]), deed_tax_rate_bp=rate, deed_tax_fen=tax,
                                 buyer_confirmed_at=dt.datetime.now(dt.UTC), case_no=case.case_no, status="awaiting",
                                 bundle_case_id=getattr(case, "bundle_id", None))


async def confirm_as_seller(transfer: Transfer, principal: Any) -> Transfer:
    """The seller (an owner of the unit, by their verified ID) confirms the sale."""
    keys = await keys_of(principal.subject_id, principal, "确认二手房交易")
    if not keys or not await Owner.filter(unit_no=transfer.unit_no, person_key__in=keys).exists():
        raise errors.NOT_FOUND()  # another person's transfer does not leak
    async with transaction():
        row = await Transfer.filter(id=transfer.id).select_for_update().first()
        if row.seller_confirmed_at is None:
            row.seller_confirmed_at, row.seller_account_id = dt.datetime.now(dt.UTC), principal.subject_id
            row.status = "confirmed"
            await row.save()
    return row


async def register_transfer(case: Any) -> Transfer | None:
    """On approval: the buyer becomes the sole owner, a new certificate number is recorded and
    the 不动产权证书 is issued to the buyer as an e-certificate."""
    from core.certificates import api as certificates
    from core.identity import api as identity

    transfer = await Transfer.get_or_none(case_no=case.case_no)
    if transfer is None or transfer.status == "registered":
        return transfer
    if await active_encumbrances(transfer.unit_no):  # a seizure that arrived after acceptance
        transfer.status = "refused"
        await transfer.save()
        return transfer
    buyer = await identity.read_personal_data(transfer.buyer_account_id, reader=PLUGIN, purpose="不动产转移登记",
                                              fields=("name", "id_number"))
    prop = await Property.get(unit_no=transfer.unit_no)
    async with transaction():
        year = today().year
        new_cert = f"湘({year})株洲市不动产权第{transfer.id:07d}号"
        await Owner.filter(unit_no=transfer.unit_no).delete()
        await Owner.create(unit_no=transfer.unit_no, person_key=pii.person_key(buyer.id_number),
                           id_masked=pii.mask_id(buyer.id_number), name_enc=pii.encrypt(buyer.name, "re.name"),
                           name_masked=pii.mask_name(buyer.name), share_bp=10_000)
        prop.cert_no, prop.registered_on = new_cert, today()
        await prop.save(update_fields=["cert_no", "registered_on"])
        transfer.status, transfer.new_cert_no = "registered", new_cert
        await transfer.save()
    cert = await certificates.issue("BDCQZS", transfer.buyer_account_id,
                                    certificate_data(prop, buyer.name, buyer.id_number, 10_000), case_id=case.id,
                                    region_code=case.region_code)
    await _attach(case.id, {"cert_no": new_cert, "certificate": cert.identifier})
    return transfer


async def _attach(case_id: int, result: dict[str, Any]) -> None:
    from core.cases import api as cases

    with contextlib.suppress(errors.AppError):  # the case moved on: the result stays on our row
        await cases.attach_result(case_id, result)


def certificate_data(prop: Property, name: str, id_number: str, share_bp: int) -> dict[str, Any]:
    usage = {"residential": "住宅", "commercial": "商业", "office": "办公", "industrial": "工业"}.get(prop.usage, prop.usage)
    return {"holder_name": name, "holder_id_number": id_number, "cert_no": prop.cert_no, "unit_no": prop.unit_no,
            "address": prop.address, "usage": usage, "area_m2": f"{prop.area_m2_x100 / 100:.2f}",
            "share": "单独所有" if share_bp == 10_000 else f"按份共有 {share_bp / 100:.2f}%"}


def transfer_view(t: Transfer) -> dict[str, Any]:
    return {"id": t.id, "case_no": t.case_no, "unit_no": t.unit_no, "price_fen": t.price_fen,
            "deed_tax_rate_bp": t.deed_tax_rate_bp, "deed_tax_fen": t.deed_tax_fen, "status": t.status,
            "buyer_confirmed": t.buyer_confirmed_at is not None, "seller_confirmed": t.seller_confirmed_at is not None,
            "deed_tax_order_no": t.payment_order_no, "new_cert_no": t.new_cert_no, "bundle_case_id": t.bundle_case_id}


# ---- deed tax: its own payment (purpose "deed_tax", ref = transfer id), or a charge of the bundle ----

PAY_WITH_BUNDLE = errors.define("real_estate.pay_with_bundle", 409, "该交易通过“我要买卖二手房”办理，契税随一件事一并缴纳",
                                "This transfer is part of a bundle: its deed tax is paid with the bundle's one payment")


async def describe_deed_tax(ref: str, payer_account_id: int):
    from core.hooks import PurposeQuote

    transfer = await Transfer.get_or_none(id=int(ref)) if ref.isdigit() else None
    if transfer is None or transfer.buyer_account_id != payer_account_id:
        raise errors.NOT_FOUND()
    if transfer.payment_order_no:
        raise NOTHING_TO_PAY()
    if transfer.bundle_case_id is not None:
        raise PAY_WITH_BUNDLE()
    if transfer.seller_confirmed_at is None:
        raise NOT_CONFIRMED()
    return PurposeQuote(amount_fen=transfer.deed_tax_fen, subject=f"契税 {transfer.unit_no}",
                        subject_en=f"Deed tax {transfer.unit_no}", payer_account_id=payer_account_id)


async def deed_tax_paid(order) -> None:
    await record_deed_tax(int(order.purpose_ref), order.order_no)


async def record_deed_tax(transfer_id: int, order_no: str) -> None:
    """Inside the payment's transaction: record the tax as paid (once; a repeat changes nothing),
    then release the case's ``deed_tax`` hold in the background once the payment committed."""
    from core import tasks
    from plugins.real_estate.tasks import release_deed_tax_hold

    updated = await Transfer.filter(id=transfer_id, payment_order_no=None).update(
        payment_order_no=order_no, status="tax_paid")
    if updated:
        await tasks.enqueue(release_deed_tax_hold, transfer_id=transfer_id)


async def deed_tax_charges(case: Any) -> list:
    """``zhushida_case_charges`` of a transfer inside 我要买卖二手房: its deed tax, known once the
    seller confirmed (the price is then agreed by both); none once paid or refused."""
    import functools

    from core.hooks import CaseCharge

    transfer = await Transfer.get_or_none(case_no=case.case_no)
    if transfer is None or transfer.payment_order_no or transfer.status in ("refused", "registered"):
        return []
    if transfer.seller_confirmed_at is None:
        raise NOT_CONFIRMED()
    return [CaseCharge("deed_tax", transfer.deed_tax_fen, f"契税 {transfer.unit_no}",
                       functools.partial(record_deed_tax, transfer.id), title_en=f"Deed tax {transfer.unit_no}")]


# ---- mortgage -------------------------------------------------------------------------------------


async def check_mortgage(unit_no: str, owner_keys: list[str]) -> Property:
    prop = await Property.get_or_none(unit_no=unit_no)
    if prop is None:
        raise NO_PROPERTY(details={"unit_no": unit_no})
    if not await Owner.filter(unit_no=unit_no, person_key__in=owner_keys).exists():
        raise NOT_OWNER()
    if await Encumbrance.filter(unit_no=unit_no, status="active", kind="seizure").exists():
        raise SEIZED()
    return prop


def _add_months(day: dt.date, months: int) -> dt.date:
    year, month = divmod(day.month - 1 + months, 12)
    first_of_next = dt.date(day.year + year, month + 1, 1)
    last_day = ((first_of_next.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)).day
    return first_of_next.replace(day=min(day.day, last_day))


async def register_mortgage(case: Any, form: dict[str, Any]) -> Encumbrance:
    """On approval: an active mortgage on the unit (from then on it cannot be transferred) and the
    不动产登记证明 issued to the mortgagor as an e-certificate (once per case)."""
    from core.certificates import api as certificates
    from core.identity import api as identity
    from plugins.real_estate.items import PROOF_TYPE

    ref_no = f"湘({today().year})株洲市不动产证明第{case.id:07d}号"
    starts = today()
    months = form.get("loan_months")  # absent on cases submitted before the term was asked
    ends = _add_months(starts, int(months)) - dt.timedelta(days=1) if months else None
    enc, _created = await Encumbrance.get_or_create(
        ref_no=ref_no,
        defaults={"unit_no": form["property_unit_no"], "kind": "mortgage", "holder": form["mortgagee"],
                  "amount_fen": int(form["loan_amount_fen"]), "starts_on": starts, "ends_on": ends,
                  "status": "active", "case_no": case.case_no})
    prop = await Property.get(unit_no=enc.unit_no)
    person = await identity.read_personal_data(case.applicant_id, reader=PLUGIN, purpose="不动产抵押权登记",
                                               fields=("name", "id_number"))
    cert = await certificates.issue(PROOF_TYPE, case.applicant_id, {
        "cert_no": enc.ref_no, "right": "抵押权", "mortgagee": enc.holder, "mortgagor_name": person.name,
        "mortgagor_id_number": person.id_number, "unit_no": enc.unit_no, "address": prop.address,
        "secured_amount_fen": enc.amount_fen,
        "term": f"{enc.starts_on.isoformat()} 至 {enc.ends_on.isoformat() if enc.ends_on else ''}".strip(),
        "registered_on": enc.starts_on.isoformat()}, case_id=case.id, region_code=case.region_code)
    await _attach(case.id, {"registration_ref": ref_no, "certificate": cert.identifier})
    return enc
