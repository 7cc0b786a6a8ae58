"""Electronic supervision (电子监察): a periodic sweep raising near-due and overdue warnings on
cases whose clock runs, and ending 容缺 cases whose missing materials passed their deadline.

Warnings are rows (one per case and level, so a sweep repeated is harmless), mirrored on the
case (``warning``) for queues, and broadcast as ``warning`` case events. Department heads see
their department's, operators their region's (``list_warnings``).
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from tortoise.exceptions import IntegrityError

from core import errors
from core.auth import Principal, significant_prefix
from core.cases import engine
from core.cases.calendar import WorkCalendar
from core.cases.clock import local_date, now
from core.cases.models import Case, CaseEventLog, SupervisionWarning
from core.catalogue.registry import get_registry, workflow_of
from core.tasks import task

log = logging.getLogger("zhushida.cases.supervision")

NEAR_DUE_WORKDAYS = 1  # due today or on the next working day
# An application must be accepted, refused or sent back for correction within 5 working days of
# receipt (Administrative Licensing Law §32); past that it is flagged ``accept_overdue``.
ACCEPTANCE_WORKDAYS = 5
NEAR_DUE_HORIZON_DAYS = 15


async def sweep() -> dict[str, int]:
    """One supervision pass at :func:`core.cases.clock.now`; returns counts for logs and tests."""
    at = now()
    today = local_date(at)
    cal = await WorkCalendar.load()
    counts = {"near_due": 0, "overdue": 0, "accept_overdue": 0, "terminated": 0}
    reg = get_registry()
    # Only cases due within the horizon can be near due (the longest holiday run is ~9 days).
    horizon = today + timedelta(days=NEAR_DUE_HORIZON_DAYS)
    for case in await Case.filter(due_date__lte=horizon, closed_at__isnull=True, decided_at__isnull=True):
        item = reg.item(case.item_code)
        if item is None:
            continue
        try:
            clock = workflow_of(item).state(case.state).clock
        except KeyError:
            continue
        if clock != "running":
            continue
        if today > case.due_date:
            level = "overdue"
        elif cal.workdays_between(today, case.due_date) <= NEAR_DUE_WORKDAYS:
            level = "near_due"
        else:
            continue
        if await _raise(case, level, at):
            counts[level] += 1
    received_before = at - timedelta(days=ACCEPTANCE_WORKDAYS)  # 5 working days are >= 5 days
    for case in await Case.filter(accepted_at__isnull=True, closed_at__isnull=True, submitted_at__lte=received_before):
        item = reg.item(case.item_code)
        if item is None or case.holds or case.state != workflow_of(item).initial:
            continue
        deadline = cal.add_workdays(local_date(case.submitted_at), ACCEPTANCE_WORKDAYS)
        if today > deadline and await _raise(case, "accept_overdue", at, due=deadline):
            counts["accept_overdue"] += 1
    for case in await Case.filter(missing_deadline__not_isnull=True, closed_at__isnull=True):
        if case.missing and today > case.missing_deadline:
            wf = workflow_of(reg.items[case.item_code]) if case.item_code in reg.items else None
            act = next((a for a in wf.actions if a.effect == "terminate"), None) if wf else None
            if act is None or case.state not in act.sources:
                continue
            try:
                await engine.transition(case.id, act.name, None, comment="容缺材料逾期未补齐，办件终止",
                                        data={"reason": "tolerance_expired"})
                counts["terminated"] += 1
            except errors.AppError as exc:  # changed meanwhile: the next sweep looks again
                log.info("could not terminate %s: %s", case.case_no, exc.code)
    return counts


async def _raise(case: Case, level: str, at: Any, due: Any = None) -> bool:
    due = due or case.due_date
    try:
        await SupervisionWarning.create(case_id=case.id, level=level, department_code=case.department_code,
                                        region_code=case.region_code, due_date=due, raised_at=at)
    except IntegrityError:
        return False  # raised by an earlier sweep
    await Case.filter(id=case.id).update(warning=level)
    case.warning = level
    row = await CaseEventLog.create(case_id=case.id, kind="warning", effect=None, from_state=case.state,
                                    to_state=case.state, actor_kind="system", actor_id=None, on_behalf_of=None,
                                    at=at, comment="", data={"level": level, "due_date": due.isoformat()})
    await engine.announce([engine._event_record(case, row, workflow_of(get_registry().items[case.item_code]))])
    return True


@task("cases.supervise", max_retries=1, retry_delay=30)
async def supervise() -> dict[str, int]:
    counts = await sweep()
    if any(counts.values()):
        log.info("supervision: %s", counts)
    return counts


async def _visible(principal: Principal):
    """The warnings query a department head (own department and region), a department admin,
    an operator (region) or an admin may see."""
    query = SupervisionWarning.all()
    if principal.kind == "staff":
        if not principal.has_role("head", "dept_admin"):
            raise errors.FORBIDDEN(details={"required_roles": ["head", "dept_admin"]})
        query = query.filter(department_code=await engine.staff_department_code(principal) or "")
    elif principal.kind not in ("operator", "admin"):
        raise errors.FORBIDDEN()
    if principal.kind != "admin":
        if not principal.region_code:
            raise errors.FORBIDDEN(details={"reason": "no region scope"})
        query = query.filter(region_code__startswith=significant_prefix(principal.region_code))
    return query


async def list_warnings(principal: Principal, *, level: str | None = None, open_only: bool = True,
                        limit: int = 100) -> list[dict[str, Any]]:
    query = await _visible(principal)
    if level:
        query = query.filter(level=level)
    if open_only:
        query = query.filter(acknowledged_at__isnull=True)
    rows = await query.order_by("due_date", "id").limit(max(1, min(limit, 500))).prefetch_related("case")
    return [
        {"id": r.id, "level": r.level, "case_id": r.case_id, "case_no": r.case.case_no, "item_name": r.case.item_name,  # type: ignore[attr-defined]
         "state": r.case.state, "department_code": r.department_code, "region_code": r.region_code,
         "due_date": r.due_date.isoformat(), "raised_at": r.raised_at.isoformat(),
         "acknowledged_at": r.acknowledged_at.isoformat() if r.acknowledged_at else None}
        for r in rows
    ]


async def acknowledge(principal: Principal, warning_id: int) -> None:
    query = await _visible(principal)
    if not await query.filter(id=warning_id).update(acknowledged_at=now(), acknowledged_by=principal.account_id):
        raise errors.NOT_FOUND()


async def stats(principal: Principal, *, region_code: str | None = None) -> dict[str, Any]:
    """SLA overview per department for operators (their region) and heads (their department):
    open cases, overdue and near-due ones, decisions and the on-time rate of decisions."""
    from core.auth import region_within

    query = Case.all()
    if principal.kind == "staff":
        if not principal.has_role("head", "dept_admin"):
            raise errors.FORBIDDEN(details={"required_roles": ["head", "dept_admin"]})
        query = query.filter(department_code=await engine.staff_department_code(principal) or "")
    elif principal.kind not in ("operator", "admin"):
        raise errors.FORBIDDEN()
    if principal.kind != "admin":
        query = query.filter(region_code__startswith=significant_prefix(principal.region_code or "0" * 12))
    if region_code:
        if principal.kind != "admin" and not region_within(region_code, principal.region_code):
            raise errors.NOT_FOUND()
        query = query.filter(region_code__startswith=significant_prefix(region_code))
    today = local_date()
    per: dict[str, dict[str, Any]] = {}
    rows = await query.values_list("department_code", "closed_at", "decided_at", "due_date", "warning", "state")
    for department, closed_at, decided_at, due_date, warning, state in rows:
        d = per.setdefault(department, {"department_code": department, "open": 0, "overdue": 0, "near_due": 0,
                                        "decided": 0, "decided_on_time": 0})
        if decided_at is not None:
            d["decided"] += 1
            if due_date is None or local_date(decided_at) <= due_date:
                d["decided_on_time"] += 1
        elif closed_at is None and state != "withdrawn":
            d["open"] += 1
            if due_date is not None and today > due_date:
                d["overdue"] += 1
            elif warning == "near_due":
                d["near_due"] += 1
    for d in per.values():
        d["on_time_rate"] = round(d["decided_on_time"] / d["decided"], 4) if d["decided"] else None
    return {"as_of": today.isoformat(), "departments": sorted(per.values(), key=lambda d: d["department_code"])}


@task("cases.purge_orphan_uploads", max_retries=1, retry_delay=60)
async def purge_orphan_uploads() -> int:
    from core.cases.uploads import purge_orphans

    return await purge_orphans()
