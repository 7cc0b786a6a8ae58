"""Background work of the registration centre."""

from __future__ import annotations

from core.tasks import task


@task("real_estate.release_deed_tax_hold")
async def release_deed_tax_hold(transfer_id: int) -> None:
    """The deed tax is paid: let the transfer case be accepted (its ``deed_tax`` hold released)."""
    from core.cases import api as cases
    from plugins.real_estate.models import Transfer

    transfer = await Transfer.get(id=transfer_id)
    case = await cases.Case.get_or_none(case_no=transfer.case_no)
    if case is not None:
        await cases.release_hold(case.id, "deed_tax", data={"order_no": transfer.payment_order_no})


@task("real_estate.expire_seizures")
async def expire_seizures() -> int:
    """Seizures (查封) lapse at their end date unless renewed (续封): mark them released."""
    from plugins.real_estate.models import Encumbrance
    from plugins.real_estate.service import today

    return await Encumbrance.filter(kind="seizure", status="active", ends_on__lt=today()).update(status="released")
