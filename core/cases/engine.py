"""The case engine: submission and transitions under the item's workflow.

Each change is one database transaction: the case row is locked (``select_for_update``, effective
on PostgreSQL) and written only if its ``version`` is still the one read, so of two concurrent
transitions exactly one wins and the other gets ``conflict``. The append-only event is written in
the same transaction; plugins hear of it (``zhushida_case_event``) only after commit.
"""

from __future__ import annotations

import logging
from datetime import date
from typing import Any

from core import errors
from core.auth import (
    LEVEL_TOO_LOW,
    Principal,
    ensure_citizen_owns,
    ensure_proxy_covers,
    region_within,
)
from core.cases import application, sealing
from core.cases import errors as E
from core.cases.calendar import WorkCalendar
from core.cases.clock import local_date, now
from core.cases.models import BundleCase, Case, CaseEventLog
from core.cases.numbers import next_number
from core.cases.records import CaseEvent
from core.catalogue.enablement import is_enabled, normalise_region
from core.catalogue.records import ServiceItem, Workflow, WorkflowAction
from core.catalogue.registry import get_registry, workflow_of
from core.db import transaction
from core.plugins.host import get_host

log = logging.getLogger("zhushida.cases")

HOLD_PAYMENT = "payment"
HOLD_PICKUP = "pickup"
# Effects a hold (payment, material pickup) stops: nothing is accepted before it is released.
HELD_EFFECTS = frozenset({"accept", "accept_tolerant"})


def item_of(code: str) -> ServiceItem:
    item = get_registry().item(code)
    if item is None:
        raise E.ITEM_NOT_FOUND(details={"item_code": code})
    return item


# ---- who may act ---------------------------------------------------------------------------------


async def staff_department_code(principal: Principal) -> str | None:
    if principal.department_id is None:
        return None
    from core.identity.api import get_department_by_id

    info = await get_department_by_id(principal.department_id)
    return info.code if info else None


async def authorise(principal: Principal | None, case: Case, act: WorkflowAction) -> None:
    """The caller may take ``act`` on ``case``: the system, the applicant (or their proxy), or
    staff of the case's department and region holding one of the action's roles."""
    if principal is None:
        if "system" not in act.actors:
            raise E.ACTOR_NOT_ALLOWED(details={"action": act.name, "actors": list(act.actors)})
        return
    if principal.kind == "citizen":
        ensure_citizen_owns(principal, case.applicant_id, service_code=case.basic_code)
        if "applicant" not in act.actors:
            raise E.ACTOR_NOT_ALLOWED(details={"action": act.name, "actors": list(act.actors)})
        return
    if principal.kind == "staff":
        if await staff_department_code(principal) != case.department_code or not region_within(
            case.region_code, principal.region_code
        ):
            raise errors.NOT_FOUND()
        if not principal.has_role(*act.actors):
            raise E.ACTOR_NOT_ALLOWED(details={"action": act.name, "actors": list(act.actors)})
        return
    if principal.kind in act.actors and (principal.kind == "admin" or region_within(case.region_code, principal.region_code)):
        return
    raise E.ACTOR_NOT_ALLOWED(details={"action": act.name, "actors": list(act.actors)})


# ---- events --------------------------------------------------------------------------------------


def _event_record(case: Case, row: CaseEventLog, wf: Workflow) -> CaseEvent:
    try:
        status = wf.state(row.to_state).status_code
    except KeyError:
        status = ""
    return CaseEvent(
        event_id=row.id, case_id=case.id, case_no=case.case_no, item_code=case.item_code, basic_code=case.basic_code,
        item_name=case.item_name, kind=row.kind, effect=row.effect, from_state=row.from_state, to_state=row.to_state,
        status_code=status, applicant_id=case.applicant_id, region_code=case.region_code,
        department_code=case.department_code, channel=case.channel, actor_kind=row.actor_kind, actor_id=row.actor_id,
        on_behalf_of=row.on_behalf_of, at=row.at, comment=row.comment, data=dict(row.data or {}),
        bundle_case_id=case.bundle_id, due_date=case.due_date,  # type: ignore[attr-defined]
    )


async def announce(events: list[CaseEvent]) -> None:
    """Tell plugins, after commit. A listener's failure is logged, never undoes the change."""
    host = get_host()
    for event in events:
        try:
            await host.broadcast("zhushida_case_event", event=event)
        except Exception:
            log.exception("a platform listener failed on case event %s/%s", event.case_no, event.kind)


def _actor_fields(principal: Principal | None) -> dict[str, Any]:
    if principal is None:
        return {"actor_kind": "system", "actor_id": None, "on_behalf_of": None}
    return {"actor_kind": principal.kind, "actor_id": principal.account_id, "on_behalf_of": principal.acting_for}


async def _log(case: Case, kind: str, effect: str | None, from_state: str | None, to_state: str,
               principal: Principal | None, comment: str = "", data: dict[str, Any] | None = None) -> CaseEventLog:
    return await CaseEventLog.create(
        case_id=case.id, kind=kind, effect=effect, from_state=from_state, to_state=to_state, at=now(),
        comment=comment, data=data or {}, **_actor_fields(principal),
    )


# ---- submission ----------------------------------------------------------------------------------


def check_applicant(principal: Principal, item: ServiceItem, channel: str) -> None:
    if principal.kind != "citizen":
        raise errors.FORBIDDEN(details={"reason": "only citizens apply"})
    if principal.level < item.min_level:
        raise LEVEL_TOO_LOW(details={"required_level": item.min_level, "current_level": principal.level})
    ensure_proxy_covers(principal, item.basic_code)
    if channel not in item.channels:
        raise E.ITEM_NOT_ENABLED(details={"item_code": item.code, "channel": channel})


def check_delivery(item: ServiceItem, delivery: Any, path: str = "delivery") -> tuple[dict[str, Any], list[dict[str, str]]]:
    """``{"result": window|courier|electronic, "pickup": bool}`` → cleaned choice, errors."""
    delivery = delivery or {}
    errs: list[dict[str, str]] = []
    if not isinstance(delivery, dict):
        return {}, [{"field": path, "code": "type", "message": "送达方式格式不正确", "message_en": "delivery must be an object"}]
    methods = item.delivery.methods()
    result = delivery.get("result") or (methods[0] if methods else "window")
    if result not in methods:
        errs.append({"field": f"{path}.result", "code": "delivery_invalid", "message": "不支持该送达方式",
                     "message_en": f"result delivery must be one of {list(methods)}"})
    pickup = delivery.get("pickup", False)
    if pickup not in (True, False) or (pickup and not item.delivery.pickup):
        errs.append({"field": f"{path}.pickup", "code": "delivery_invalid", "message": "该事项不提供上门收件",
                     "message_en": "material pickup is not offered for this item"})
    return {"result": result, "pickup": bool(pickup)}, errs


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
    item = item_of(item_code)
    channel = channel or principal.channel
    check_applicant(principal, item, channel)
    region = normalise_region(region_code)
    if not await is_enabled(item.code, region, channel):
        raise E.ITEM_NOT_ENABLED(details={"item_code": item.code, "region_code": region, "channel": channel})
    app = await application.prepare(principal.subject_id, item, form, materials)
    choice, delivery_errors = check_delivery(item, delivery)
    application.raise_if_invalid(app.errors + delivery_errors)
    async with transaction():
        case = await _create_case(principal, item, region, channel, app, choice, bundle=None)
        row = await _log(case, "submitted", None, None, case.state, principal,
                         data={"holds": [h["kind"] for h in case.holds], "missing": case.missing,
                               "commitment": case.commitment, "delivery": choice})
    await announce([_event_record(case, row, workflow_of(item))])
    return await run_auto(case.id)


async def _create_case(principal: Principal, item: ServiceItem, region: str, channel: str,
                       app: application.Application, choice: dict[str, Any], bundle: BundleCase | None) -> Case:
    wf = workflow_of(item)
    holds = []
    if item.fee_fen > 0:
        holds.append({"kind": HOLD_PAYMENT, "since": now().isoformat()})
    if choice.get("pickup"):
        holds.append({"kind": HOLD_PICKUP, "since": now().isoformat()})
    return await Case.create(
        case_no=await next_number(region), item_code=item.code, basic_code=item.basic_code, item_name=item.name,
        department_code=item.department_code, region_code=region, channel=channel,
        applicant_id=principal.subject_id, submitted_by=principal.account_id, workflow=wf.name, state=wf.initial,
        case_type=item.case_type, promised_limit_days=item.promised_limit_days,
        form_data=sealing.seal(item.form, app.form), materials=app.materials, commitment=app.commitment,
        holds=holds, missing=app.missing, delivery=choice, fee_fen=item.fee_fen,
        payment_state="unpaid" if item.fee_fen > 0 else "none", submitted_at=now(), bundle=bundle,
    )


async def run_auto(case_id: int) -> Case:
    """Take the workflow's automatic actions (即办件) as far as nothing stops them."""
    case = await Case.get(id=case_id)
    wf = workflow_of(item_of(case.item_code))
    for name in wf.auto:
        act = wf.action(name)
        if act is None or case.state not in act.sources or case.holds:
            continue
        try:
            case = await transition(case.id, name, None, comment="即办件自动办理")
        except errors.AppError as exc:
            log.info("automatic %s stopped on %s: %s", name, case.case_no, exc.code)
            break
    return case


# ---- transitions ---------------------------------------------------------------------------------


async def transition(
    case_id: int,
    action: str,
    principal: Principal | None,
    *,
    comment: str = "",
    data: dict[str, Any] | None = None,
    expected_state: str | None = None,
) -> Case:
    """Take ``action`` on the case as ``principal`` (None: the system). Raises a 4xx AppError
    when the action is unknown, not allowed in the state or for the caller, or its data is bad."""
    data = data or {}
    if not isinstance(data, dict):
        raise errors.BAD_REQUEST(details={"data": "must be an object"})
    comment = (comment or "").strip()
    async with transaction():
        case = await Case.select_for_update().get_or_none(id=case_id)
        if case is None:
            raise errors.NOT_FOUND()
        item = item_of(case.item_code)
        wf = workflow_of(item)
        act = wf.action(action)
        if act is None:
            raise E.ACTION_UNKNOWN(details={"action": action, "actions": [a.name for a in wf.actions]})
        await authorise(principal, case, act)
        if (expected_state and case.state != expected_state) or case.state not in act.sources:
            raise E.ACTION_NOT_ALLOWED(details={
                "action": action, "state": case.state,
                "allowed": [a.name for a in wf.actions_from(case.state)],
            })
        if act.needs_comment and not comment:
            raise E.COMMENT_REQUIRED(details={"action": action})
        changes, event_data = await apply_effect(act, case, item, principal, data)
        sibling_events: list[CaseEvent] = []
        if act.effect == "resubmit" and case.bundle_id is not None:  # type: ignore[attr-defined]
            # A corrected field the bundle's merged form shares goes to the sibling cases too.
            from core.cases.bundles import share_corrected_fields

            sibling_events = await share_corrected_fields(
                case, sealing.unseal(changes["form_data"]), event_data["fields"], principal)
        target = act.target or (changes.pop("_target", None) or case.state)
        changes["state"] = target
        updated = await Case.filter(id=case.id, version=case.version).update(version=case.version + 1, **changes)
        if not updated:
            raise errors.CONFLICT(details={"case_no": case.case_no})
        from_state = case.state
        case = await Case.get(id=case.id)
        row = await _log(case, act.name, act.effect, from_state, target, principal, comment, event_data)
    await announce([_event_record(case, row, wf), *sibling_events])
    if act.effect in ("resubmit",):
        case = await run_auto(case.id)
    return case


async def apply_effect(act: WorkflowAction, case: Case, item: ServiceItem, principal: Principal | None,
                       data: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The engine's side of an action: field changes of the case, and data for the event."""
    effect = act.effect
    at = now()
    today = local_date(at)
    if effect in ("accept", "accept_tolerant") and case.holds:
        raise E.CASE_HELD(details={"holds": [h["kind"] for h in case.holds]})
    if effect == "accept":
        if case.missing:
            raise E.MATERIALS_MISSING(details={"missing": case.missing})
        changes = await _accepted(case, today, at)
        return changes, {"due_date": changes["due_date"].isoformat()}
    if effect == "accept_tolerant":
        return await _accept_tolerant(case, item, today, at, data)
    if effect == "request_correction":
        return _request_correction(case, item, data)
    if effect == "resubmit":
        return await _resubmit(case, item, data)
    if effect == "supply":
        return await _supply(case, item, data)
    if effect == "approve":
        if case.missing:
            raise E.MATERIALS_MISSING(details={"missing": case.missing, "deadline": str(case.missing_deadline)})
        result = data.get("result", {})
        if not isinstance(result, dict):
            raise errors.BAD_REQUEST(details={"result": "must be an object"})
        event_data: dict[str, Any] = {"result": result}
        if isinstance(data.get("certificate"), dict):  # certificate fields for the issuing listener
            event_data["certificate"] = data["certificate"]
        return {"decided_at": at, "result": {**case.result, **result}}, event_data
    if effect == "refuse":
        return {"decided_at": at, "closed_at": at}, _ending_data(data)
    if effect == "suspend":
        kind = data.get("procedure", "special")
        return {"resume_state": case.state, "suspended_at": at}, {"procedure": str(kind)}
    if effect == "resume":
        cal = await WorkCalendar.load()
        stopped = cal.workdays_between(local_date(case.suspended_at), today) if case.suspended_at else 0
        due = cal.add_workdays(case.due_date, stopped) if case.due_date else None
        return ({"_target": case.resume_state, "resume_state": None, "suspended_at": None,
                 "suspended_days": case.suspended_days + stopped, "due_date": due, "warning": ""},
                {"stopped_workdays": stopped, "due_date": str(due) if due else None})
    if effect == "deliver":
        method = data.get("method") or case.delivery.get("result") or "window"
        if method not in item.delivery.methods():
            raise E.DELIVERY_INVALID(details={"method": method, "offered": list(item.delivery.methods())})
        info = {k: v for k, v in data.items() if k in ("method", "waybill", "carrier", "signed_by") and isinstance(v, str)}
        info["method"] = method
        return {"result": {**case.result, "delivery": info}}, info
    if effect in ("reject", "withdraw", "terminate", "close"):
        return {"closed_at": at}, _ending_data(data)
    return {}, _scalars(data)


def _scalars(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if isinstance(v, str | int | bool)}


def _ending_data(data: dict[str, Any]) -> dict[str, Any]:
    """What a refusal or an ending keeps on its event: the scalars passed (e.g. a refusal ``code``
    a client can read) and a ``details`` object (an AppError's details, JSON by construction)."""
    kept = _scalars(data)
    if isinstance(data.get("details"), dict):
        kept["details"] = data["details"]
    return kept


async def _accepted(case: Case, today: date, at: Any) -> dict[str, Any]:
    cal = await WorkCalendar.load()
    return {"accepted_at": at, "due_date": cal.add_workdays(today, case.promised_limit_days)}


async def _accept_tolerant(case: Case, item: ServiceItem, today: date, at: Any, data: dict[str, Any]):
    missing = data.get("missing", case.missing)
    days = data.get("deadline_days", item.tolerance_days)
    tolerable = {m.key for m in item.materials if m.tolerable}
    problems = []
    if not isinstance(missing, list) or not missing or not all(isinstance(k, str) for k in missing):
        problems.append("missing must list the missing materials")
    elif not set(missing) <= tolerable:
        problems.append(f"not tolerable: {sorted(set(missing) - tolerable)}")
    elif any(k in case.materials for k in missing):
        problems.append("a listed material was already supplied")
    if not isinstance(days, int) or isinstance(days, bool) or not 1 <= days <= 60:
        problems.append("deadline_days must be 1-60 working days")
    if problems:
        raise E.TOLERANCE_INVALID(details={"problems": problems})
    cal = await WorkCalendar.load()
    deadline = cal.add_workdays(today, days)
    changes = await _accepted(case, today, at)
    changes.update(missing=sorted(set(missing) | set(case.missing)), missing_deadline=deadline)
    return changes, {"missing": changes["missing"], "deadline": deadline.isoformat()}


def _request_correction(case: Case, item: ServiceItem, data: dict[str, Any]):
    if case.correction_count >= 1:
        raise E.CORRECTION_ALREADY_REQUESTED(details={"corrections": case.corrections})
    items = data.get("items")
    problems: list[dict[str, str]] = []
    clean: list[dict[str, str]] = []
    if not isinstance(items, list) or not items:
        raise E.CORRECTIONS_REQUIRED(details={"errors": [{"field": "items", "code": "required"}]})
    fields = {f.key for f in item.form}
    for i, entry in enumerate(items):
        if not isinstance(entry, dict):
            problems.append({"field": f"items.{i}", "code": "type"})
            continue
        target, key, reason = entry.get("target"), entry.get("key"), entry.get("reason")
        known = (target == "field" and key in fields) or (target == "material" and item.material(key) is not None)
        if not known:
            problems.append({"field": f"items.{i}.key", "code": "unknown"})
        if not isinstance(reason, str) or not reason.strip():
            problems.append({"field": f"items.{i}.reason", "code": "required"})
        if known and isinstance(reason, str) and reason.strip():
            clean.append({"target": target, "key": key, "reason": reason.strip()})
    if problems:
        raise E.CORRECTIONS_REQUIRED(details={"errors": problems})
    return {"corrections": clean, "correction_count": case.correction_count + 1}, {"corrections": clean}


async def _resubmit(case: Case, item: ServiceItem, data: dict[str, Any]):
    current_form = sealing.unseal(case.form_data)
    form = data.get("form", current_form)
    if isinstance(form, dict):
        form = {**current_form, **form}
    sent_materials = data.get("materials") or {}
    if not isinstance(sent_materials, dict):
        application.raise_if_invalid([{"field": "materials", "code": "type", "message": "材料信息格式不正确",
                                       "message_en": "materials must be an object"}])
    # Materials already accepted stay; the applicant replaces or adds what was asked for.
    keep = {k: v for k, v in case.materials.items() if k not in sent_materials}
    app = await application.prepare(case.applicant_id, item, form, {**_as_sent(keep), **sent_materials})
    application.raise_if_invalid(app.errors)
    return ({"form_data": sealing.seal(item.form, app.form), "materials": app.materials, "missing": app.missing,
             "commitment": app.commitment, "corrections": []},
            {"fields": sorted(k for k in app.form if app.form.get(k) != current_form.get(k)),
             "materials": sorted(sent_materials)})


def _as_sent(entries: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Stored material entries back in the shape an applicant sends (to re-check them)."""
    out: dict[str, Any] = {}
    for key, entry in entries.items():
        if entry["kind"] == "upload":
            out[key] = {"upload_ids": [f["upload_id"] for f in entry["files"]]}
        elif entry["kind"] == "certificate":
            out[key] = {"certificate_id": entry["certificate_id"]}
        else:
            out[key] = {entry["kind"]: True}
    return out


async def _supply(case: Case, item: ServiceItem, data: dict[str, Any]):
    sent = data.get("materials")
    if not isinstance(sent, dict) or not sent or not set(sent) <= set(case.missing):
        raise E.APPLICATION_INVALID(details={"errors": [{
            "field": "materials", "code": "not_missing", "message": "只能补齐容缺的材料",
            "message_en": f"supply only the missing materials {case.missing}"}]})
    entries, _missing, errs = await application.check_materials(case.applicant_id, item, sent, only=list(sent))
    application.raise_if_invalid(errs)
    still = [k for k in case.missing if k not in entries]
    return ({"materials": {**case.materials, **entries}, "missing": still,
             "missing_deadline": case.missing_deadline if still else None},
            {"supplied": sorted(entries), "still_missing": still})


# ---- holds (payment, pickup) ---------------------------------------------------------------------


async def release_hold(case_id: int, kind: str, *, principal: Principal | None = None,
                       data: dict[str, Any] | None = None, payment_ref: str = "") -> Case:
    """Release a hold (``payment`` by the payments plugin, ``pickup`` by delivery); the case then
    proceeds (an instant item is decided at once). Releasing a hold that is not there is a no-op."""
    async with transaction():
        case = await Case.select_for_update().get_or_none(id=case_id)
        if case is None:
            raise errors.NOT_FOUND()
        if not any(h["kind"] == kind for h in case.holds):
            return case
        changes: dict[str, Any] = {"holds": [h for h in case.holds if h["kind"] != kind]}
        if kind == HOLD_PAYMENT:
            changes.update(payment_state="paid", payment_ref=payment_ref)
        updated = await Case.filter(id=case.id, version=case.version).update(version=case.version + 1, **changes)
        if not updated:
            raise errors.CONFLICT(details={"case_no": case.case_no})
        case = await Case.get(id=case.id)
        row = await _log(case, "hold_released", None, case.state, case.state, principal,
                         data={"hold": kind, **(data or {}), **({"payment_ref": payment_ref} if payment_ref else {})})
    await announce([_event_record(case, row, workflow_of(item_of(case.item_code)))])
    return await run_auto(case.id)


async def add_hold(case_id: int, kind: str, *, principal: Principal | None = None,
                   data: dict[str, Any] | None = None) -> Case:
    """Make a case wait for something before acceptance (e.g. a courier pickup booked later)."""
    async with transaction():
        case = await Case.select_for_update().get_or_none(id=case_id)
        if case is None:
            raise errors.NOT_FOUND()
        wf = workflow_of(item_of(case.item_code))
        if case.accepted_at is not None or wf.state(case.state).terminal:
            raise E.ACTION_NOT_ALLOWED(details={"action": "add_hold", "state": case.state})
        if any(h["kind"] == kind for h in case.holds):
            return case
        holds = [*case.holds, {"kind": kind, "since": now().isoformat()}]
        if not await Case.filter(id=case.id, version=case.version).update(holds=holds, version=case.version + 1):
            raise errors.CONFLICT(details={"case_no": case.case_no})
        case = await Case.get(id=case.id)
        row = await _log(case, "hold_added", None, case.state, case.state, principal, data={"hold": kind, **(data or {})})
    await announce([_event_record(case, row, wf)])
    return case


async def choose_delivery(case_id: int, result: str, *, principal: Principal | None = None) -> Case:
    """Change how the result reaches the applicant (window / courier / electronic) until it has
    been handed over; logged as a ``delivery_chosen`` event. Choosing the current method is a no-op."""
    async with transaction():
        case = await Case.select_for_update().get_or_none(id=case_id)
        if case is None:
            raise errors.NOT_FOUND()
        item = item_of(case.item_code)
        if result not in item.delivery.methods():
            raise E.DELIVERY_INVALID(details={"method": result, "offered": list(item.delivery.methods())})
        wf = workflow_of(item)
        delivered = {a.target for a in wf.actions if a.effect == "deliver" and a.target}
        if wf.state(case.state).terminal or case.state in delivered:
            raise E.ACTION_NOT_ALLOWED(details={"action": "choose_delivery", "state": case.state})
        previous = case.delivery.get("result")
        if previous == result:
            return case
        choice = {**case.delivery, "result": result}
        if not await Case.filter(id=case.id, version=case.version).update(delivery=choice, version=case.version + 1):
            raise errors.CONFLICT(details={"case_no": case.case_no})
        case = await Case.get(id=case.id)
        row = await _log(case, "delivery_chosen", None, case.state, case.state, principal,
                         data={"result": result, "previous": previous})
    await announce([_event_record(case, row, wf)])
    return case


async def attach_result(case_id: int, result: dict[str, Any], *, principal: Principal | None = None) -> Case:
    """Add to a decided case's result (an issued certificate's identifier, an e-document link)
    without a transition; logged as a ``result_attached`` event."""
    if not isinstance(result, dict) or not result:
        raise errors.BAD_REQUEST(details={"result": "a non-empty object"})
    async with transaction():
        case = await Case.select_for_update().get_or_none(id=case_id)
        if case is None:
            raise errors.NOT_FOUND()
        if case.decided_at is None:
            raise E.ACTION_NOT_ALLOWED(details={"action": "attach_result", "state": case.state})
        merged = {**case.result, **result}
        if not await Case.filter(id=case.id, version=case.version).update(result=merged, version=case.version + 1):
            raise errors.CONFLICT(details={"case_no": case.case_no})
        case = await Case.get(id=case.id)
        row = await _log(case, "result_attached", None, case.state, case.state, principal, data={"keys": sorted(result)})
    await announce([_event_record(case, row, workflow_of(item_of(case.item_code)))])
    return case
