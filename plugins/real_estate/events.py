"""Case events of the registration centre's items."""

from __future__ import annotations

import logging
from typing import Any

from core.errors import AppError
from core.feeds import pii
from plugins.real_estate import service
from plugins.real_estate.items import MORTGAGE_CODE, TRANSFER_CODE
from plugins.real_estate.models import Transfer

log = logging.getLogger("zhushida.real_estate")


async def on_case_event(event: Any) -> None:
    if event.item_code not in (TRANSFER_CODE, MORTGAGE_CODE):
        return
    from core.cases import api as cases

    case = await cases.get_case(event.case_id)
    form = cases.unseal(case.form_data or {})
    if event.kind == "submitted":
        try:
            if event.item_code == TRANSFER_CODE:
                await service.open_transfer(case, form)
                # Accepted only once the seller confirmed and the buyer paid the deed tax.
                await cases.add_hold(case.id, "seller_confirmation")
                await cases.add_hold(case.id, "deed_tax")
            else:
                await service.check_mortgage(form["property_unit_no"], pii.person_keys(form["applicant_id_number"]))
        except AppError as exc:
            await cases.transition(event.case_id, "reject", None, comment=f"{exc.code}: {exc.message}",
                                   data={"code": exc.code, "details": exc.details})
    elif event.effect == "approve":
        if event.item_code == TRANSFER_CODE:
            transfer = await service.register_transfer(case)
            if transfer is not None and transfer.status != "registered":
                log.warning("transfer of case %s not registered: property encumbered meanwhile", event.case_no)
        else:
            await service.register_mortgage(case, form)
    elif event.effect in ("reject", "refuse", "withdraw", "terminate") and event.item_code == TRANSFER_CODE:
        await Transfer.filter(case_no=event.case_no).exclude(status="registered").update(status="refused")
