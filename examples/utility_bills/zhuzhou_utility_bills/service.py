"""A citizen's bills and paying one through the platform's payments (purpose ``utility_bill``)."""

from __future__ import annotations

from typing import Any

from core import errors
from core.feeds import pii
from zhuzhou_utility_bills.models import Bill, Household

BILL_NOT_FOUND = errors.define("utility_bills.bill_not_found", 404, "账单不存在", "No such bill")
ALREADY_PAID = errors.define("utility_bills.already_paid", 409, "该账单已缴清", "This bill is already paid")


async def citizen_keys(account_id: int) -> list[str]:
    from core.identity import api as identity

    data = await identity.read_personal_data(account_id, reader=f"citizen:{account_id}", purpose="查询水电气账单",
                                             fields=("id_number",))
    return pii.person_keys(data.id_number) if data and data.id_number else []


async def bills_of(account_id: int) -> list[dict[str, Any]]:
    keys = await citizen_keys(account_id)
    households = await Household.filter(person_key__in=keys).order_by("household_no") if keys else []
    out = []
    for household in households:
        bills = await Bill.filter(household_no=household.household_no).order_by("-period")
        out.append({"household_no": household.household_no, "utility": household.utility,
                    "bills": [{"id": b.id, "period": b.period, "amount_fen": b.amount_fen, "due_on": b.due_on.isoformat(),
                               "paid": b.paid_order_no is not None} for b in bills]})
    return out


async def _own_bill(ref: str, account_id: int) -> Bill:
    bill = await Bill.get_or_none(id=int(ref)) if ref.isdigit() else None
    if bill is None:
        raise BILL_NOT_FOUND()
    household = await Household.get_or_none(household_no=bill.household_no)
    if household is None or household.person_key not in await citizen_keys(account_id):
        raise BILL_NOT_FOUND()
    return bill


async def describe(ref: str, payer_account_id: int):
    from core.hooks import PurposeQuote

    bill = await _own_bill(ref, payer_account_id)
    if bill.paid_order_no:
        raise ALREADY_PAID()
    return PurposeQuote(amount_fen=bill.amount_fen, subject=f"水电气缴费 {bill.household_no} {bill.period}",
                        subject_en=f"Utility bill {bill.household_no} {bill.period}", payer_account_id=payer_account_id)


async def on_paid(order) -> None:
    await Bill.filter(id=int(order.purpose_ref), paid_order_no=None).update(paid_order_no=order.order_no,
                                                                          paid_at=order.paid_at)
