"""一件事一次办: one application (one merged form, one payment) → a child case per item, handled
in parallel by their departments, with one combined status and result.

The bundle and all its child cases are created in one transaction: every item's form part,
materials and delivery choice are checked first and all problems reported together.
"""

from __future__ import annotations

from typing import Any

from core import errors
from core.auth import Principal
from core.cases import application, engine
from core.cases import errors as E
from core.cases.models import BundleCase, Case
from core.cases.numbers import next_number
from core.catalogue import forms
from core.catalogue.enablement import enabled_codes, normalise_region
from core.catalogue.registry import get_registry, merged_form, workflow_of
from core.db import transaction

DONE_STATES = ("approved", "delivered", "closed")


async def submit_bundle(
    principal: Principal,
    bundle_code: str,
    *,
    region_code: str,
    form: dict[str, Any],
    materials: dict[str, Any] | None = None,
    delivery: dict[str, Any] | None = None,
    channel: str | None = None,
) -> BundleCase:
    """``materials`` and ``delivery`` are keyed by item implementation code."""
    reg = get_registry()
    bundle = reg.bundle(bundle_code)
    if bundle is None:
        raise E.BUNDLE_NOT_FOUND(details={"bundle_code": bundle_code})
    items = [reg.items[c] for c in bundle.items]
    channel = channel or principal.channel
    for item in items:
        engine.check_applicant(principal, item, channel)
    region = normalise_region(region_code)
    on = await enabled_codes(region, channel, [bundle.code, *bundle.items])
    if not on >= {bundle.code, *bundle.items}:
        raise E.ITEM_NOT_ENABLED(details={"bundle_code": bundle.code, "region_code": region, "channel": channel,
                                          "not_enabled": sorted({bundle.code, *bundle.items} - on)})
    materials = materials or {}
    delivery = delivery or {}
    if not isinstance(materials, dict) or not isinstance(delivery, dict) or not isinstance(form, dict):
        raise errors.BAD_REQUEST(details={"reason": "form, materials and delivery must be objects"})
    fields = merged_form(items, bundle.extra_fields)
    prefilled: dict[str, Any] = {}
    for item in items:
        for k, v in (await application.prefill_values(principal.subject_id, item)).items():
            prefilled.setdefault(k, v)
    cleaned, field_errors = forms.validate(fields, application.merge_prefill(fields, form, prefilled))
    errs = [{**e.as_dict(), "field": f"form.{e.field}"} for e in field_errors]
    errs.extend({"field": f"materials.{k}", "code": "unknown", "message": "一件事中没有此事项", "message_en": "not an item of this bundle"}
                for k in materials if k not in bundle.items)
    parts = []
    for item in items:
        entries, missing, m_errs = await application.check_materials(
            principal.subject_id, item, materials.get(item.code), prefix=f"materials.{item.code}")
        choice, d_errs = engine.check_delivery(item, delivery.get(item.code), path=f"delivery.{item.code}")
        errs.extend(m_errs + d_errs)
        own = {f.key for f in item.form}
        app = application.Application({k: v for k, v in cleaned.items() if k in own}, entries, missing,
                                      any(e["kind"] == "commitment" for e in entries.values()))
        parts.append((item, app, choice))
    application.raise_if_invalid(errs)

    fee = sum(item.fee_fen for item in items)
    events = []
    async with transaction():
        bc = await BundleCase.create(
            bundle_no=await next_number(region, prefix="B"), bundle_code=bundle.code, name=bundle.name,
            applicant_id=principal.subject_id, submitted_by=principal.account_id, region_code=region, channel=channel,
            form_data={}, fee_fen=fee, payment_state="unpaid" if fee else "none",
        )
        for item, app, choice in parts:
            case = await engine._create_case(principal, item, region, channel, app, choice, bundle=bc)
            row = await engine._log(case, "submitted", None, None, case.state, principal,
                                    data={"bundle_no": bc.bundle_no, "holds": [h["kind"] for h in case.holds],
                                          "missing": case.missing, "delivery": choice})
            events.append(engine._event_record(case, row, workflow_of(item)))
    await engine.announce(events)
    for case in await Case.filter(bundle_id=bc.id):
        await engine.run_auto(case.id)
    return bc


async def mark_bundle_paid(bundle_case_id: int, *, amount_fen: int, payment_ref: str) -> BundleCase:
    """The one payment of a bundle arrived: release every child's payment hold (idempotent)."""
    bc = await BundleCase.get_or_none(id=bundle_case_id)
    if bc is None:
        raise errors.NOT_FOUND()
    if amount_fen != bc.fee_fen or bc.fee_fen <= 0:
        raise E.PAYMENT_MISMATCH(details={"expected_fen": bc.fee_fen, "paid_fen": amount_fen})
    await BundleCase.filter(id=bc.id).update(payment_state="paid", payment_ref=payment_ref)
    for case in await Case.filter(bundle_id=bc.id).order_by("id"):
        await engine.release_hold(case.id, engine.HOLD_PAYMENT, payment_ref=payment_ref)
    return await BundleCase.get(id=bc.id)


def combined_status(bc: BundleCase, children: list[Case]) -> str:
    """One status for the citizen: awaiting_payment, correction_requested, in_progress,
    completed (every item granted), refused (some item ended without a grant), withdrawn."""
    states = [c.state for c in children]
    if bc.payment_state == "unpaid" and not all(s == "withdrawn" for s in states):
        return "awaiting_payment"
    if all(s == "withdrawn" for s in states):
        return "withdrawn"
    if any(s == "correction_requested" for s in states):
        return "correction_requested"
    if all(s in DONE_STATES for s in states):
        return "completed"
    if any(s in ("refused", "not_accepted", "terminated", "withdrawn") for s in states) and all(
        s in (*DONE_STATES, "refused", "not_accepted", "terminated", "withdrawn") for s in states
    ):
        return "refused"
    return "in_progress"


async def bundle_view(bundle_case_id: int, principal: Principal | None = None) -> dict[str, Any]:
    from core.cases.api import case_view, ensure_can_view

    bc = await BundleCase.get_or_none(id=bundle_case_id)
    if bc is None:
        raise errors.NOT_FOUND()
    children = await Case.filter(bundle_id=bc.id).order_by("id")
    if principal is not None:
        if principal.kind == "citizen":
            from core.auth import ensure_citizen_owns

            ensure_citizen_owns(principal, bc.applicant_id)
        else:  # staff see the bundle through the child cases of their own department
            visible = []
            for case in children:
                try:
                    await ensure_can_view(principal, case)
                    visible.append(case)
                except errors.AppError:
                    continue
            if not visible:
                raise errors.NOT_FOUND()
            children = visible
            from core.cases.api import _log_read

            for case in children:
                await _log_read(principal, case)
    return {
        "id": bc.id, "bundle_no": bc.bundle_no, "bundle_code": bc.bundle_code, "name": bc.name,
        "region_code": bc.region_code, "channel": bc.channel, "fee_fen": bc.fee_fen, "payment_state": bc.payment_state,
        "status": combined_status(bc, children), "created_at": bc.created_at.isoformat(),
        "cases": [case_view(c) for c in children],
        "results": [{"item_code": c.item_code, "state": c.state, "result": c.result} for c in children],
    }


async def withdraw_bundle(bundle_case_id: int, principal: Principal) -> dict[str, Any]:
    """Withdraw every child case still open (the ones already decided keep their result)."""
    bc = await BundleCase.get_or_none(id=bundle_case_id)
    if bc is None:
        raise errors.NOT_FOUND()
    from core.auth import ensure_citizen_owns

    ensure_citizen_owns(principal, bc.applicant_id)
    for case in await Case.filter(bundle_id=bc.id).order_by("id"):
        wf = workflow_of(get_registry().items[case.item_code])
        act = next((a for a in wf.actions if a.effect == "withdraw"), None)
        if act is not None and case.state in act.sources:
            await engine.transition(case.id, act.name, principal)
    return await bundle_view(bc.id, principal)
