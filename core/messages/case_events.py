"""Case events (``zhushida_case_event``) that a citizen cares about become messages.

The engine's action *effects* are stable across plugins' own workflows (state names are the
plugins'), so messages are chosen by effect. Staff-internal steps (start of review, 电子监察
warnings) and the applicant's own actions (resubmit, supply) make no message.
"""

from __future__ import annotations

from typing import Any

from core.messages.api import notify

EFFECT_KINDS = {
    "accept": "case.accepted",
    "accept_tolerant": "case.accepted",
    "request_correction": "case.correction_requested",
    "reject": "case.not_accepted",
    "suspend": "case.suspended",
    "resume": "case.resumed",
    "approve": "case.approved",
    "refuse": "case.refused",
    "deliver": "case.delivered",
    "close": "case.closed",
    "withdraw": "case.withdrawn",
    "terminate": "case.terminated",
}


def kind_for(event: Any) -> str | None:
    if event.kind == "submitted":
        return "case.submitted"
    return EFFECT_KINDS.get(event.effect or "")


async def on_case_event(event: Any) -> None:
    kind = kind_for(event)
    if kind is None or not event.applicant_id:
        return
    comment = event.comment or ""
    if event.effect == "request_correction":
        listed = event.data.get("corrections") or event.data.get("missing") or []
        names = [str(c.get("name") or c.get("key") or c) if isinstance(c, dict) else str(c) for c in listed]
        comment = "；".join(filter(None, [comment, *names])) or comment
    params = {"service_name": event.item_name, "case_no": event.case_no, "comment": comment or "-",
              "due": event.due_date.isoformat() if event.due_date else "-", "state": event.to_state}
    link = f"/cases/{event.case_id}"
    await notify(event.applicant_id, kind, params=params, link=link, dedupe_key=f"case-event:{event.event_id}")
    proxy = await _submitted_by(event)
    if proxy is not None and proxy != event.applicant_id:
        await notify(proxy, kind, params=params, link=link, dedupe_key=f"case-event:{event.event_id}:proxy")


async def _submitted_by(event: Any) -> int | None:
    from core.cases.api import get_case

    case = await get_case(event.case_id)
    return case.submitted_by if case is not None else None
