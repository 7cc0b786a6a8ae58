"""Case events of the bureau's items: issue the proof on its instant approval, apply a contact
change when approved."""

from __future__ import annotations

from typing import Any

from plugins.social_security import service
from plugins.social_security.items import CONTACT_CODE, PROOF_CODE


async def on_case_event(event: Any) -> None:
    if event.item_code not in (PROOF_CODE, CONTACT_CODE) or event.effect != "approve":
        return
    from core.cases import api as cases
    from core.cases.sealing import unseal

    case = await cases.get_case(event.case_id)
    if event.item_code == PROOF_CODE:
        await service.issue_proof(case)
    else:
        await service.change_phone(case, unseal(case.form_data or {}))
