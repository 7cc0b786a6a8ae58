"""Case events of the bureau's items: issue the proof on its instant approval; for a contact
change, refuse acceptance of an applicant without a record (on submission) and apply the change
when the clerk takes the staff step ``apply_change`` (办理变更)."""

from __future__ import annotations

from typing import Any

from plugins.social_security import service
from plugins.social_security.items import APPLY_CHANGE, CONTACT_CODE, PROOF_CODE


async def on_case_event(event: Any) -> None:
    if event.item_code == PROOF_CODE and event.effect == "approve":
        from core.cases import api as cases

        await service.issue_proof(await cases.get_case(event.case_id))
    elif event.item_code == CONTACT_CODE and event.kind in ("submitted", APPLY_CHANGE):
        from core.cases import api as cases

        case = await cases.get_case(event.case_id)
        if event.kind == "submitted":
            await service.verify_contact_applicant(case)
        else:
            await service.change_phone(case, cases.unseal(case.form_data or {}))
