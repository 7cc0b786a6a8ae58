"""一件事一次办: one application (one merged form, one payment) → a child case per item, handled
in parallel by their departments, with one combined status and result.

The bundle and all its child cases are created in one transaction: every item's form part,
materials and delivery choice are checked first and all problems reported together.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from core import errors
from core.auth import Principal
from core.cases import application, engine, sealing
from core.cases import errors as E
from core.cases.models import BundleCase, Case, CaseEventLog
from core.cases.numbers import next_number
from core.catalogue import forms
from core.catalogue.enablement import enabled_codes, normalise_region
from core.catalogue.registry import get_registry, merged_form, workflow_of
from core.db import transaction

log = logging.getLogger("zhushida.cases")
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
    cleaned, field_errors = application.checked_form(fields, form, prefilled)
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


# ---- the one payment: fixed fees + the charges child cases contribute ------------------------------


CHARGE_PENDING = errors.define(
    "cases.bundle_charge_pending", 409, "一件事中有事项的应缴费用尚未确定，暂不能缴费",
    "A charge of this bundle is not determined yet (details say which and why); it cannot be paid now",
)
CHARGE_UNAVAILABLE = errors.define(
    "cases.bundle_charge_unavailable", 503, "暂时无法计算应缴金额，请稍后再试",
    "The amount due cannot be computed now; try again later",
)
ENDED_STATES = ("withdrawn", "not_accepted", "refused", "terminated")


async def case_charges(case: Case) -> list[Any]:
    """One open child case's variable charges (``zhushida_case_charges``).

    Strict on purpose, unlike per-request hooks: a charge left out would undercharge, so a plugin
    that cannot answer refuses the payment instead of being dropped.
    """
    from core.plugins.host import get_host

    found: list[Any] = []
    try:
        for answer in get_host().pm.hook.zhushida_case_charges(case=case):
            value = await answer if inspect.isawaitable(answer) else answer
            charges = value if isinstance(value, list | tuple) else [value]
            found.extend(c for c in charges if c is not None)
    except errors.AppError as exc:
        raise CHARGE_PENDING(details={"case_no": case.case_no, "item_code": case.item_code,
                                      "reason": exc.code, "message": exc.message}) from exc
    except Exception as exc:
        log.exception("zhushida_case_charges failed for case %s", case.case_no)
        raise CHARGE_UNAVAILABLE(details={"case_no": case.case_no}) from exc
    for charge in found:  # a plugin's bad amount never reaches an order
        amount = getattr(charge, "amount_fen", None)
        if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
            raise CHARGE_UNAVAILABLE(details={"case_no": case.case_no, "charge": getattr(charge, "code", "?")})
    return found


async def bundle_charges(bc: BundleCase) -> list[tuple[Case, Any]]:
    """Every open child case's variable charges, in child order."""
    found: list[tuple[Case, Any]] = []
    for case in await Case.filter(bundle_id=bc.id).order_by("id"):
        if case.state not in ENDED_STATES:
            found.extend((case, c) for c in await case_charges(case))
    return found


async def amount_due(bc: BundleCase) -> tuple[int, list[dict[str, Any]]]:
    """What the one payment covers now: the items' fixed fees plus their children's charges,
    with the lines that make it up (kept on the order as the quote). Refused while a charge is
    not determined."""
    charges = await bundle_charges(bc)
    lines = [{"kind": "fees", "title": "事项收费", "title_en": "Item fees", "amount_fen": bc.fee_fen}] if bc.fee_fen else []
    lines += [{"kind": c.code, "case_no": case.case_no, "item_code": case.item_code, "title": c.title,
               "title_en": c.title_en, "amount_fen": c.amount_fen} for case, c in charges]
    return bc.fee_fen + sum(c.amount_fen for _case, c in charges), lines


# Why a quoted charge line is refunded instead of settled (shown to the citizen in the bundle view).
REFUND_REASONS = {
    "case_ended": ("事项已终止（撤回、不予受理或不予许可）", "the item's case ended (withdrawn, not accepted or refused)"),
    "charge_gone": ("该项费用已不再需要缴纳", "the charge is no longer owed"),
    "charge_changed": ("该项费用金额已变化，需另行缴纳", "the charge's amount changed; it is collected anew"),
}
RefundLines = Callable[[int, list[dict[str, Any]]], Awaitable[None]]


def _check_quote(bc: BundleCase, lines: Any, amount_fen: int, children: dict[str, Case]) -> list[dict[str, Any]]:
    """The quote kept on the order must add up to what was paid and name only this bundle's children."""
    well_formed = isinstance(lines, list | tuple) and all(
        isinstance(x, dict) and isinstance(x.get("amount_fen"), int) and not isinstance(x.get("amount_fen"), bool)
        and x["amount_fen"] > 0 for x in lines)
    if not well_formed or amount_fen <= 0 or sum(x["amount_fen"] for x in lines) != amount_fen:
        raise E.PAYMENT_MISMATCH(details={"reason": "the quote does not add up to the payment", "paid_fen": amount_fen})
    for x in lines:
        if x.get("case_no") is None and (x.get("kind") != "fees" or x["amount_fen"] != bc.fee_fen):
            raise E.PAYMENT_MISMATCH(details={"reason": "fees line differs", "expected_fen": bc.fee_fen})
        if x.get("case_no") is not None and x["case_no"] not in children:
            raise E.PAYMENT_MISMATCH(details={"reason": "not a case of this bundle", "case_no": x["case_no"]})
    return [dict(x) for x in lines]


async def _settle_or_refund(line: dict[str, Any], case: Case, owed: dict[str, list[Any]]) -> tuple[str, Any]:
    """Decide one quoted charge line: settle the charge it quoted, or refund it (and why)."""
    if case.state in ENDED_STATES:
        return "case_ended", None
    if case.case_no not in owed:
        try:
            owed[case.case_no] = await case_charges(case)
        except errors.AppError as exc:  # not determinable any more: refund, never guess
            if exc.code != CHARGE_PENDING.code:
                raise
            owed[case.case_no] = []
    charge = next((c for c in owed[case.case_no] if c.code == line.get("kind")), None)
    if charge is None:
        return "charge_gone", None
    if charge.amount_fen != line["amount_fen"]:
        return "charge_changed", None
    return "", charge


async def mark_bundle_paid(bundle_case_id: int, *, amount_fen: int, payment_ref: str,
                           quoted_lines: list[dict[str, Any]] | None = None,
                           refund: RefundLines | None = None) -> BundleCase:
    """The one payment of a bundle arrived (inside the payment's transaction).

    It applies to what the citizen was quoted (``quoted_lines``, kept on the order; without them,
    to what is due now): the paid amount must equal the quote; each charge line of a child still
    open whose charge is still owed as quoted is settled; a line whose child ended or whose charge
    is gone or changed is handed to ``refund(amount_fen, lines)`` (which must refund it after
    commit). Each child with charge lines gets a ``bundle_payment`` event saying what happened to
    them; every open child's payment hold is released. A duplicate notification changes nothing.
    """
    async with transaction():
        bc = await BundleCase.filter(id=bundle_case_id).select_for_update().first()
        if bc is None:
            raise errors.NOT_FOUND()
        if bc.payment_state == "paid":
            if bc.payment_ref == payment_ref:
                return bc
            raise E.PAYMENT_MISMATCH(details={"reason": "already paid", "payment_ref": bc.payment_ref})
        # Children locked too: a withdrawal racing the payment is seen (refunded) or waits for it.
        children = {c.case_no: c for c in await Case.filter(bundle_id=bc.id).order_by("id").select_for_update()}
        if quoted_lines is None:
            expected, quoted_lines = await amount_due(bc)
            if amount_fen != expected or expected <= 0:
                raise E.PAYMENT_MISMATCH(details={"expected_fen": expected, "paid_fen": amount_fen})
        lines = _check_quote(bc, quoted_lines, amount_fen, children)
        owed: dict[str, list[Any]] = {}
        to_settle, to_refund = [], []
        for line in lines:
            if line.get("case_no") is None:
                line["outcome"] = "settled"
                continue
            why, charge = await _settle_or_refund(line, children[line["case_no"]], owed)
            if charge is not None:
                line["outcome"] = "settled"
                to_settle.append(charge)
            else:
                zh, en = REFUND_REASONS[why]
                line.update(outcome="refunding", reason=why, reason_text=zh, reason_text_en=en)
                to_refund.append(line)
        if to_refund and refund is None:
            raise E.PAYMENT_MISMATCH(details={"reason": "part of the payment must be refunded, no refund given",
                                              "case_nos": sorted({x["case_no"] for x in to_refund})})
        await BundleCase.filter(id=bc.id).update(payment_state="paid", payment_ref=payment_ref)
        for charge in to_settle:
            await charge.settle(payment_ref)
        for case in children.values():
            own = [x for x in lines if x.get("case_no") == case.case_no]
            if own:
                await engine._log(case, "bundle_payment", None, case.state, case.state, None, data={
                    "order_no": payment_ref, "lines": own,
                    "refund_fen": sum(x["amount_fen"] for x in own if x["outcome"] == "refunding")})
        if to_refund:
            await refund(sum(x["amount_fen"] for x in to_refund), to_refund)
        for case in children.values():
            if case.state not in ENDED_STATES:
                await engine.release_hold(case.id, engine.HOLD_PAYMENT, payment_ref=payment_ref)
    return await BundleCase.get(id=bc.id)


async def record_refund(bundle_case_id: int, order_no: str, case_nos: list[str], *, refund_no: str,
                        amount_fen: int, state: str) -> None:
    """Note on the children a refund of the bundle's payment concerns what became of it (the
    citizen sees it in the bundle view); one note per refund and state."""
    async with transaction():
        for case in await Case.filter(bundle_id=bundle_case_id, case_no__in=case_nos).order_by("id"):
            seen = await CaseEventLog.filter(case_id=case.id, kind="bundle_refund").values_list("data", flat=True)
            if any(d.get("refund_no") == refund_no and d.get("state") == state for d in seen):
                continue
            await engine._log(case, "bundle_refund", None, case.state, case.state, None, data={
                "order_no": order_no, "refund_no": refund_no, "amount_fen": amount_fen, "state": state,
                "case_nos": sorted(case_nos)})


async def refund_requested_for(bundle_case_id: int, order_no: str) -> list[str]:
    """The children a partial refund of the bundle's payment ``order_no`` was asked for (from their
    ``requested`` notes; one such refund per order)."""
    notes = await CaseEventLog.filter(case__bundle_id=bundle_case_id, kind="bundle_refund") \
        .order_by("case_id").values_list("case__case_no", "data")
    return list(dict.fromkeys(case_no for case_no, data in notes
                              if data.get("order_no") == order_no and data.get("state") == "requested"))


async def payment_log(children: list[Case]) -> list[dict[str, Any]]:
    """What the one payment did for these children: lines settled or refunded, refunds' states."""
    rows = await CaseEventLog.filter(case_id__in=[c.id for c in children], kind__in=("bundle_payment", "bundle_refund")) \
        .order_by("id")
    case_no = {c.id: c.case_no for c in children}
    return [{"kind": r.kind, "case_no": case_no[r.case_id], "at": r.at.isoformat(), **r.data}  # type: ignore[attr-defined]
            for r in rows]


# ---- corrections of fields the merged form shares --------------------------------------------------


SHARED_FIELD_DECIDED = errors.define(
    "cases.shared_field_decided", 409, "该信息在一件事中同时用于已办结的事项，不能再修改",
    "This field is shared with an item of the bundle that is already decided; it cannot be changed",
)


async def share_corrected_fields(case: Case, form: dict[str, Any], changed: list[str],
                                 principal: Principal | None) -> list[Any]:
    """Inside the resubmit's transaction: the corrected values of fields the bundle asked once go
    to every open sibling case whose item uses them (version bumped, a ``form_updated`` event for
    its department). A sibling using one of them that is already decided refuses the whole
    correction (nothing changes); a withdrawn sibling keeps what it was applied with.
    Returns the siblings' events, to announce after commit."""
    if not changed:
        return []
    plan = []
    siblings = await Case.filter(bundle_id=case.bundle_id).exclude(id=case.id).order_by("id").select_for_update()  # type: ignore[attr-defined]
    for sibling in siblings:
        item = engine.item_of(sibling.item_code)
        keys = [f.key for f in item.form if f.key in changed]
        if not keys or sibling.state == "withdrawn":
            continue
        if sibling.decided_at is not None or sibling.closed_at is not None or workflow_of(item).state(sibling.state).terminal:
            raise SHARED_FIELD_DECIDED(details={"fields": keys, "case_no": sibling.case_no,
                                                "item_code": sibling.item_code, "state": sibling.state})
        plan.append((sibling, item, keys))
    events = []
    for sibling, item, keys in plan:
        current = sealing.unseal(sibling.form_data)
        cleaned, field_errors = forms.validate(item.form, {**current, **{k: form.get(k) for k in keys}})
        application.raise_if_invalid([{**e.as_dict(), "field": f"form.{e.field}", "case_no": sibling.case_no}
                                      for e in field_errors])
        if not await Case.filter(id=sibling.id, version=sibling.version).update(
                form_data=sealing.seal(item.form, cleaned), version=sibling.version + 1):
            raise errors.CONFLICT(details={"case_no": sibling.case_no})
        sibling = await Case.get(id=sibling.id)
        row = await engine._log(sibling, "form_updated", None, sibling.state, sibling.state, principal,
                                comment="一件事补正同步更新共用信息",
                                data={"fields": keys, "from_case_no": case.case_no, "reason": "bundle_correction"})
        events.append(engine._event_record(sibling, row, workflow_of(item)))
    return events


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
        "cases": [case_view(c) for c in children], "payment_log": await payment_log(children),
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
