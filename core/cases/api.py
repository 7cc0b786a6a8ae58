"""The case engine's public interface for other packages and plugins (docs/cases.md).

    from core.cases import api as cases

    case = await cases.submit(principal, item_code, region_code="430281000000", form={...},
                              materials={"id_card": {"certificate_id": "..."}})
    case = await cases.transition(case.id, "accept", staff_principal)
    view = await cases.get(case.id, principal)        # a dict, personal data masked

``principal`` None means the system (a plugin reacting to an event, a periodic task). Every
refusal is a 4xx :class:`core.errors.AppError` with a stable code (``core.cases.errors``).
"""

from __future__ import annotations

from typing import Any

from core import errors
from core.auth import Principal
from core.cases import engine, sealing
from core.cases import errors as E
from core.cases.models import BundleCase, Case, CaseEventLog
from core.cases.records import CaseEvent
from core.catalogue.registry import get_registry, workflow_of

__all__ = [
    "Case",
    "CaseEvent",
    "HOLD_PAYMENT",
    "HOLD_PICKUP",
    "add_hold",
    "attach_result",
    "case_view",
    "choose_delivery",
    "events",
    "get",
    "get_case",
    "mark_paid",
    "release_hold",
    "submit",
    "transition",
    "unseal",
]

unseal = sealing.unseal  # a case's sealed (encrypted) form values, for the plugin that owns the item
HOLD_PAYMENT = engine.HOLD_PAYMENT
HOLD_PICKUP = engine.HOLD_PICKUP


async def submit(
    principal: Principal,
    item_code: str,
    *,
    region_code: str,
    form: dict[str, Any],
    materials: dict[str, Any] | None = None,
    delivery: dict[str, Any] | None = None,
    channel: str | None = None,
) -> Case:
    """Apply for an item as a citizen (or their proxy) in a region, on a channel (default: the
    principal's). ``materials``: ``{key: {"upload_id"|"upload_ids"|"certificate_id"|"commitment"|"paper"}}``;
    ``delivery``: ``{"result": "window"|"courier"|"electronic", "pickup": bool}``.
    The case is created whole or not at all; an item with a fee waits on a ``payment`` hold."""
    return await engine.submit(principal, item_code, region_code=region_code, form=form, materials=materials,
                               delivery=delivery, channel=channel)


async def transition(
    case_id: int,
    action: str,
    principal: Principal | None = None,
    *,
    comment: str = "",
    data: dict[str, Any] | None = None,
    expected_state: str | None = None,
) -> Case:
    """Take a workflow action (``accept``, ``request_correction``, ``approve``, ``deliver`` ...)."""
    return await engine.transition(case_id, action, principal, comment=comment, data=data,
                                   expected_state=expected_state)


async def release_hold(case_id: int, kind: str, *, principal: Principal | None = None,
                       data: dict[str, Any] | None = None) -> Case:
    """Release a hold the case waits on before acceptance (``pickup`` when the courier brought
    the materials). A no-op when the hold is not there."""
    return await engine.release_hold(case_id, kind, principal=principal, data=data)


async def add_hold(case_id: int, kind: str, *, principal: Principal | None = None,
                   data: dict[str, Any] | None = None) -> Case:
    """Make a not-yet-accepted case wait for ``kind`` (e.g. ``pickup``)."""
    return await engine.add_hold(case_id, kind, principal=principal, data=data)


async def attach_result(case_id: int, result: dict[str, Any], *, principal: Principal | None = None) -> Case:
    """Add to a decided case's result (e.g. ``{"certificate": identifier}`` by the certificate
    issuer); a ``result_attached`` event is broadcast."""
    return await engine.attach_result(case_id, result, principal=principal)


async def choose_delivery(case_id: int, result: str, *, principal: Principal | None = None) -> Case:
    """Record how the result is to reach the applicant (``window``, ``courier``, ``electronic``,
    as the item offers) while it has not been handed over; the caller checked access."""
    return await engine.choose_delivery(case_id, result, principal=principal)


async def mark_paid(case_id: int, *, amount_fen: int, payment_ref: str) -> Case:
    """The case's fee was paid (called by the payments plugin's ``on_paid``). The amount must be
    the item's fee recorded on the case; the payment hold is released once (idempotent)."""
    case = await Case.get_or_none(id=case_id)
    if case is None:
        raise errors.NOT_FOUND()
    if amount_fen != case.fee_fen or case.fee_fen <= 0:
        raise E.PAYMENT_MISMATCH(details={"expected_fen": case.fee_fen, "paid_fen": amount_fen})
    return await engine.release_hold(case_id, HOLD_PAYMENT, payment_ref=payment_ref)


async def get_case(case_id: int) -> Case | None:
    """The raw row (no authorisation): for platform code that checked access itself."""
    return await Case.get_or_none(id=case_id)


async def get(case_id: int, principal: Principal | None = None) -> dict[str, Any]:
    """The case as its applicant or scoped staff may see it (404 for anyone else)."""
    case = await Case.get_or_none(id=case_id)
    if case is None:
        raise errors.NOT_FOUND()
    if principal is not None:
        await ensure_can_view(principal, case)
        if principal.kind != "citizen" or principal.acting_for is not None:
            await _log_read(principal, case)
    return case_view(case)


async def _log_read(principal: Principal, case: Case) -> None:
    """Staff, operators and proxies reading an application read the applicant's personal data:
    it goes to the access log the citizen can see (个人信息查询记录)."""
    from core.identity.access_log import record_read

    await record_read(case.applicant_id, reader=principal, fields=sorted(case.form_data),
                      purpose=f"办件审查 case {case.case_no}")


async def ensure_can_view(principal: Principal, case: Case) -> None:
    from core.auth import ensure_citizen_owns, region_within

    if principal.kind == "citizen":
        ensure_citizen_owns(principal, case.applicant_id, service_code=case.basic_code)
    elif principal.kind == "staff":
        if await engine.staff_department_code(principal) != case.department_code or not region_within(
            case.region_code, principal.region_code
        ):
            raise errors.NOT_FOUND()
    elif principal.kind == "operator":
        if not region_within(case.region_code, principal.region_code):
            raise errors.NOT_FOUND()
    elif principal.kind != "admin":
        raise errors.NOT_FOUND()


async def events(case_id: int) -> list[dict[str, Any]]:
    rows = await CaseEventLog.filter(case_id=case_id).order_by("id")
    return [
        {"id": r.id, "kind": r.kind, "effect": r.effect, "from_state": r.from_state, "to_state": r.to_state,
         "actor_kind": r.actor_kind, "actor_id": r.actor_id, "on_behalf_of": r.on_behalf_of,
         "at": r.at.isoformat(), "comment": r.comment, "data": r.data}
        for r in rows
    ]


def case_view(case: Case) -> dict[str, Any]:
    item = get_registry().item(case.item_code)
    fields = item.form if item else ()
    state_label = state_label_en = status_code = ""
    actions: list[dict[str, Any]] = []
    if item is not None:
        wf = workflow_of(item)
        try:
            st = wf.state(case.state)
            state_label, state_label_en, status_code = st.label, st.label_en, st.status_code
        except KeyError:
            pass
        actions = [{"name": a.name, "label": a.label, "label_en": a.label_en, "actors": list(a.actors),
                    "needs_comment": a.needs_comment} for a in wf.actions_from(case.state)]
    return {
        "id": case.id, "case_no": case.case_no, "item_code": case.item_code, "basic_code": case.basic_code,
        "item_name": case.item_name, "department_code": case.department_code, "region_code": case.region_code,
        "channel": case.channel, "applicant_id": case.applicant_id, "submitted_by": case.submitted_by,
        "state": case.state, "state_label": state_label, "state_label_en": state_label_en, "status_code": status_code,
        "case_type": case.case_type, "form": sealing.masked(fields, case.form_data), "materials": case.materials,
        "commitment": case.commitment, "holds": [h["kind"] for h in case.holds], "corrections": case.corrections,
        "missing": case.missing, "missing_deadline": _iso(case.missing_deadline), "delivery": case.delivery,
        "fee_fen": case.fee_fen, "payment_state": case.payment_state, "submitted_at": _iso(case.submitted_at),
        "accepted_at": _iso(case.accepted_at), "due_date": _iso(case.due_date), "decided_at": _iso(case.decided_at),
        "closed_at": _iso(case.closed_at), "suspended_days": case.suspended_days, "result": case.result,
        "warning": case.warning, "bundle_case_id": case.bundle_id,  # type: ignore[attr-defined]
        "actions": actions,
    }


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


async def bundle_case(bundle_case_id: int) -> BundleCase | None:
    return await BundleCase.get_or_none(id=bundle_case_id)
