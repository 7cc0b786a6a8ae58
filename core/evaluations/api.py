"""Public API of 好差评 (ratings of government service, 国办发〔2019〕51号).

* a case becomes rateable when the engine decides or closes it (``zhushida_case_event``);
* :func:`rate` — one rating per case (一事一评), levels 1-5, from any channel; a bad rating (4 不满意,
  5 非常不满意) opens a :class:`Rectification` with a deadline in working days;
* :func:`resolve` and :func:`follow_up` — the department fixes or explains, then visits (回访);
* :func:`appeal` and :func:`review_appeal` — a department contests a wrong or malicious rating,
  an operator decides; an upheld appeal takes the rating out of the statistics;
* :func:`apply_defaults` — unrated finished cases take the configured default level after the
  configured delay (periodic task ``evaluations.apply_defaults``);
* :func:`stats` — per item or per department, within a region subtree.
"""

from __future__ import annotations

import contextlib
import logging
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Subquery
from tortoise.functions import Count

from core import errors as core_errors
from core.auth import (
    Principal,
    ensure_citizen_owns,
    ensure_staff_scope,
    region_within,
    significant_prefix,
)
from core.cases import clock
from core.cases.calendar import WorkCalendar
from core.db import transaction
from core.evaluations import errors
from core.evaluations.config import evaluations_settings
from core.evaluations.models import (
    Appeal,
    AppealStatus,
    Evaluation,
    EvaluationStatus,
    FollowUpVisit,
    RateableCase,
    Rectification,
    RectificationStatus,
)
from core.tasks import task

log = logging.getLogger("zhushida.evaluations")

LEVELS = {1: ("非常满意", "very satisfied"), 2: ("满意", "satisfied"), 3: ("基本满意", "fairly satisfied"),
          4: ("不满意", "dissatisfied"), 5: ("非常不满意", "very dissatisfied")}
BAD_LEVELS = frozenset({4, 5})
# Where a rating comes from: the apps, the window's rating pad, a self-service terminal, an SMS
# reply, the 12345 hotline; ``system`` for defaults.
CITIZEN_CHANNELS = ("app", "miniapp", "web")
RECORDED_CHANNELS = ("window", "terminal", "sms", "hotline")
# Engine effects after which the applicant may rate, and those that finish the case.
RATEABLE_EFFECTS = frozenset({"approve", "refuse", "reject", "deliver", "close", "terminate"})
FINISHING_EFFECTS = frozenset({"close", "refuse", "reject", "terminate"})
VISIT_METHODS = ("phone", "onsite", "online")


# ---- case events -------------------------------------------------------------------------------------


async def on_case_event(event: Any) -> None:
    """Remember a decided/closed case as rateable; a finishing effect starts the default timer."""
    if event.effect not in RATEABLE_EFFECTS or not event.applicant_id:
        return
    from core.identity.api import get_department

    department = await get_department(event.department_code)
    row = await RateableCase.get_or_none(case_id=event.case_id)
    if row is None:
        row = RateableCase(
            case_id=event.case_id, case_no=event.case_no, item_code=event.item_code, basic_code=event.basic_code,
            item_name=event.item_name, department_code=event.department_code,
            department_id=department.id if department else None, region_code=event.region_code,
            applicant_id=event.applicant_id, rateable_since=event.at,
        )
    if event.effect in FINISHING_EFFECTS and row.finished_at is None:
        row.finished_at = event.at
        if not await Evaluation.exists(case_id=event.case_id):
            row.default_due_at = await default_due(event.at)
    with contextlib.suppress(IntegrityError):  # the same case's event raced in from another worker
        await row.save()


async def default_due(finished_at: datetime) -> datetime:
    cfg = evaluations_settings()
    if cfg.default_after_unit == "days":
        return finished_at + timedelta(days=cfg.default_after)
    calendar = await WorkCalendar.load()
    local = finished_at.astimezone(clock.LOCAL)
    day = calendar.add_workdays(local.date(), cfg.default_after)
    return datetime.combine(day, local.timetz()).astimezone(UTC)


# ---- rating ------------------------------------------------------------------------------------------


def _check_rating(level: Any, comment: str, tags: Sequence[str]) -> tuple[int, str, list[str]]:
    if not isinstance(level, int) or isinstance(level, bool) or level not in LEVELS:
        raise errors.LEVEL_INVALID(details={"level": level})
    comment = (comment or "").strip()[:500]
    tags = [str(t).strip()[:32] for t in tags if str(t).strip()][:10]
    if level in BAD_LEVELS and not (comment or tags):
        raise errors.REASON_REQUIRED()
    return level, comment, tags


async def rateable_case(case_id: int, principal: Principal) -> RateableCase:
    """The rateable case, or: 404 when there is no such case in the caller's reach, 409 when the
    caller's case is not decided yet (someone else's case never reveals its state)."""
    row = await RateableCase.get_or_none(case_id=case_id)
    if row is not None:
        return row
    from core.cases.api import ensure_can_view, get_case

    case = await get_case(case_id)
    if case is None:
        raise core_errors.NOT_FOUND()
    await ensure_can_view(principal, case)
    raise errors.NOT_RATEABLE(details={"case_id": case_id})


async def rate(
    principal: Principal, case_id: int, level: Any, *, comment: str = "", tags: Sequence[str] = (),
    channel: str | None = None,
) -> Evaluation:
    """The applicant (or their proxy) rates their case once, from the app, mini-program or web."""
    channel = channel or principal.channel
    if channel not in CITIZEN_CHANNELS:
        raise errors.CHANNEL_INVALID(details={"channel": channel, "allowed": list(CITIZEN_CHANNELS)})
    level, comment, tags = _check_rating(level, comment, tags)
    row = await rateable_case(case_id, principal)
    ensure_citizen_owns(principal, row.applicant_id, service_code=row.basic_code)
    return await _record(row, level, comment, tags, channel=channel, account_id=row.applicant_id, source="citizen")


async def record_collected(
    principal: Principal, case_id: int, level: Any, *, channel: str, comment: str = "", tags: Sequence[str] = (),
) -> Evaluation:
    """A rating the citizen gave at the window's rating pad, a terminal, by SMS reply or to the
    12345 hotline, entered by staff of the case's department (or an operator for the hotline)."""
    if channel not in RECORDED_CHANNELS:
        raise errors.CHANNEL_INVALID(details={"channel": channel, "allowed": list(RECORDED_CHANNELS)})
    level, comment, tags = _check_rating(level, comment, tags)
    row = await rateable_case(case_id, principal)
    _ensure_department_scope(principal, row.department_id, row.region_code)
    return await _record(row, level, comment, tags, channel=channel, account_id=row.applicant_id, source="staff_recorded")


async def _record(row: RateableCase, level: int, comment: str, tags: list[str], *, channel: str,
                  account_id: int | None, source: str) -> Evaluation:
    now = clock.now()
    deadline = None
    if level in BAD_LEVELS and source != "default":
        calendar = await WorkCalendar.load()
        deadline = calendar.add_workdays(clock.local_date(now), evaluations_settings().rectification_workdays)
    try:
        async with transaction():
            evaluation = await Evaluation.create(
                case_id=row.case_id, case_no=row.case_no, item_code=row.item_code, item_name=row.item_name,
                department_code=row.department_code, department_id=row.department_id, region_code=row.region_code,
                account_id=account_id, level=level, channel=channel, comment=comment, tags=tags, source=source,
                created_at=now,
            )
            if deadline is not None:
                await Rectification.create(
                    evaluation=evaluation, department_id=row.department_id, region_code=row.region_code,
                    deadline=deadline, opened_at=now,
                )
            await RateableCase.filter(case_id=row.case_id).update(default_due_at=None)
    except IntegrityError as exc:
        raise errors.ALREADY_RATED(details={"case_id": row.case_id}) from exc
    if deadline is not None and account_id is not None:
        await _tell(account_id, "evaluation.rectification_opened", row, deadline=deadline.isoformat(),
                    department_name=await _department_name(row.department_code))
    return evaluation


async def _department_name(code: str) -> str:
    from core.identity.api import get_department

    department = await get_department(code)
    return department.name if department else code


async def _tell(account_id: int, kind: str, row: Any, **params: Any) -> None:
    from core.messages.api import notify

    await notify(account_id, kind, params={"case_no": row.case_no, "service_name": row.item_name, **params},
                 link=f"/cases/{row.case_id}/evaluation", dedupe_key=f"{kind}:{row.case_id}")


# ---- defaults ----------------------------------------------------------------------------------------


@task("evaluations.apply_defaults", max_retries=1, retry_delay=30.0)
async def apply_defaults(batch: int = 500) -> int:
    """Give every finished case still unrated after the delay the configured default level."""
    cfg = evaluations_settings()
    made = 0
    while True:
        due = await RateableCase.filter(default_due_at__lte=clock.now()).order_by("default_due_at").limit(batch)
        if not due:
            return made
        for row in due:
            try:
                async with transaction():
                    await Evaluation.create(
                        case_id=row.case_id, case_no=row.case_no, item_code=row.item_code, item_name=row.item_name,
                        department_code=row.department_code, department_id=row.department_id,
                        region_code=row.region_code, account_id=None, level=cfg.default_level, channel="system",
                        source="default", created_at=clock.now(),
                    )
                    await RateableCase.filter(case_id=row.case_id).update(default_due_at=None)
                made += 1
            except IntegrityError:  # the citizen rated meanwhile: theirs stands
                await RateableCase.filter(case_id=row.case_id).update(default_due_at=None)


# ---- rectification -----------------------------------------------------------------------------------


def _ensure_department_scope(principal: Principal, department_id: int | None, region_code: str) -> None:
    if principal.kind == "staff" and department_id is None:
        raise core_errors.NOT_FOUND()
    ensure_staff_scope(principal, department_id=department_id, region_code=region_code)


async def _locked_rectification(rect_id: int, principal: Principal) -> Rectification:
    rect = await Rectification.filter(id=rect_id).select_for_update().first()
    if rect is None:
        raise core_errors.NOT_FOUND()
    _ensure_department_scope(principal, rect.department_id, rect.region_code)
    return rect


async def resolve(principal: Principal, rect_id: int, *, outcome: str, measures: str) -> Rectification:
    """The department fixed the problem (rectified) or explained it (explained)."""
    measures = (measures or "").strip()
    if outcome not in ("rectified", "explained") or not measures:
        raise errors.OUTCOME_INVALID()
    async with transaction():
        rect = await _locked_rectification(rect_id, principal)
        if rect.status != RectificationStatus.OPEN:
            raise errors.RECTIFICATION_STATE(details={"status": rect.status.value})
        rect.status, rect.outcome, rect.measures = RectificationStatus.RESOLVED, outcome, measures[:2000]
        rect.resolved_at, rect.resolved_by = clock.now(), principal.account_id
        await rect.save()
    return rect


async def follow_up(principal: Principal, rect_id: int, *, method: str, satisfied: bool, notes: str = "") -> FollowUpVisit:
    """Record the follow-up visit (回访) after the handling; it closes the rectification."""
    if method not in VISIT_METHODS or not isinstance(satisfied, bool):
        raise errors.VISIT_INVALID(details={"methods": list(VISIT_METHODS)})
    async with transaction():
        rect = await _locked_rectification(rect_id, principal)
        if rect.status != RectificationStatus.RESOLVED:
            raise errors.RECTIFICATION_STATE(details={"status": rect.status.value})
        visit = await FollowUpVisit.create(rectification=rect, method=method, satisfied=satisfied,
                                           notes=(notes or "").strip()[:500], visited_by=principal.account_id,
                                           at=clock.now())
        rect.status, rect.closed_at = RectificationStatus.CLOSED, clock.now()
        await rect.save(update_fields=["status", "closed_at"])
    evaluation = await Evaluation.get(id=rect.evaluation_id)
    if evaluation.account_id is not None:
        result = {"rectified": "已整改", "explained": "已解释说明"}[rect.outcome]
        await _tell(evaluation.account_id, "evaluation.rectification_closed", evaluation, result=f"{result}（{rect.measures[:40]}）")
    return visit


def is_overdue(rect: Rectification, today: date | None = None) -> bool:
    return rect.status == RectificationStatus.OPEN and rect.deadline < (today or clock.local_date())


# ---- appeals -----------------------------------------------------------------------------------------


async def appeal(principal: Principal, evaluation_id: int, reason: str) -> Appeal:
    reason = (reason or "").strip()
    if not reason:
        raise errors.DECISION_INVALID(details={"reason": "required"})
    evaluation = await Evaluation.get_or_none(id=evaluation_id)
    if evaluation is None:
        raise core_errors.NOT_FOUND()
    _ensure_department_scope(principal, evaluation.department_id, evaluation.region_code)
    calendar = await WorkCalendar.load()
    last_day = calendar.add_workdays(clock.local_date(evaluation.created_at), evaluations_settings().appeal_workdays)
    if evaluation.level not in BAD_LEVELS or evaluation.status != EvaluationStatus.VALID or clock.local_date() > last_day:
        raise errors.APPEAL_NOT_ALLOWED(details={"level": evaluation.level, "last_day": last_day.isoformat()})
    try:
        return await Appeal.create(evaluation=evaluation, department_id=evaluation.department_id,
                                   region_code=evaluation.region_code, reason=reason[:500],
                                   filed_by=principal.account_id, filed_at=clock.now())
    except IntegrityError as exc:
        raise errors.APPEAL_EXISTS() from exc


async def review_appeal(principal: Principal, appeal_id: int, *, decision: str, comment: str) -> Appeal:
    """An operator rules on an appeal; upheld → the rating is invalidated and its rectification withdrawn."""
    comment = (comment or "").strip()
    if decision not in ("upheld", "rejected") or not comment:
        raise errors.DECISION_INVALID()
    async with transaction():
        found = await Appeal.filter(id=appeal_id).select_for_update().first()
        if found is None or (principal.kind != "admin" and not region_within(found.region_code, principal.region_code)):
            raise core_errors.NOT_FOUND()
        if found.status != AppealStatus.PENDING:
            raise errors.APPEAL_DECIDED(details={"status": found.status.value})
        found.status = AppealStatus.UPHELD if decision == "upheld" else AppealStatus.REJECTED
        found.reviewed_by, found.reviewed_at, found.review_comment = principal.account_id, clock.now(), comment[:500]
        await found.save()
        if found.status == AppealStatus.UPHELD:
            await Evaluation.filter(id=found.evaluation_id).update(status=EvaluationStatus.INVALIDATED)
            await Rectification.filter(evaluation_id=found.evaluation_id).exclude(
                status=RectificationStatus.CLOSED).update(status=RectificationStatus.WITHDRAWN, closed_at=clock.now())
    return found


# ---- statistics --------------------------------------------------------------------------------------


async def stats(
    principal: Principal, *, by: str, region_code: str | None = None, since: date | None = None,
    until: date | None = None,
) -> dict[str, Any]:
    """Counts per level, bad ratings, satisfaction rate and rectifications, per item or department,
    within the caller's region (an operator's subtree, narrowed by ``region_code``)."""
    if by not in ("item", "department"):
        raise errors.STATS_INVALID(details={"by": by})
    scope = region_code or principal.region_code
    if principal.kind != "admin" and (not scope or not region_within(scope, principal.region_code)):
        raise core_errors.NOT_FOUND()
    query = Evaluation.filter(status=EvaluationStatus.VALID)
    if scope:
        query = query.filter(region_code__startswith=significant_prefix(scope))
    if principal.kind == "staff":
        query = query.filter(department_id=principal.department_id)
    if since:
        query = query.filter(created_at__gte=datetime.combine(since, time.min, clock.LOCAL))
    if until:
        query = query.filter(created_at__lt=datetime.combine(until + timedelta(days=1), time.min, clock.LOCAL))
    key = "item_code" if by == "item" else "department_code"
    names = ["item_name"] if by == "item" else []
    rows = await query.annotate(n=Count("id")).group_by(key, *names, "level", "source").values(
        key, *names, "level", "source", "n")
    groups: dict[str, dict[str, Any]] = {}
    for r in rows:
        g = groups.setdefault(r[key], {"key": r[key], "name": r.get("item_name", r[key]), "total": 0, "levels": {str(i): 0 for i in LEVELS},
                                       "bad": 0, "default": 0})
        g["total"] += r["n"]
        g["levels"][str(r["level"])] += r["n"]
        g["bad"] += r["n"] if r["level"] in BAD_LEVELS else 0
        g["default"] += r["n"] if r["source"] == "default" else 0
    rect_counts: dict[str, dict[str, int]] = defaultdict(lambda: {"open": 0, "overdue": 0, "resolved": 0, "closed": 0})
    rect_query = Rectification.filter(evaluation_id__in=Subquery(query.values("id")))
    today = clock.local_date()
    for rect in await rect_query.prefetch_related("evaluation"):
        counts = rect_counts[getattr(rect.evaluation, key)]
        status = rect.status.value
        if status in counts:
            counts[status] += 1
        if is_overdue(rect, today):
            counts["overdue"] += 1
    result = []
    for g in sorted(groups.values(), key=lambda g: (-g["total"], g["key"])):
        satisfied = sum(g["levels"][str(i)] for i in (1, 2, 3))
        g["satisfaction_rate"] = round(satisfied / g["total"], 4) if g["total"] else None
        g["rectifications"] = rect_counts[g["key"]]
        result.append(g)
    if by == "department":
        await _name_departments(result)
    return {"by": by, "region_code": scope, "groups": result}


async def _name_departments(groups: list[dict[str, Any]]) -> None:
    from core.identity.api import get_department

    for g in groups:
        department = await get_department(g["key"])
        g["name"] = department.name if department else g["key"]


# ---- views -------------------------------------------------------------------------------------------


def evaluation_view(e: Evaluation, *, with_comment: bool = True) -> dict[str, Any]:
    zh, en = LEVELS[e.level]
    view = {
        "id": e.id, "case_id": e.case_id, "case_no": e.case_no, "item_code": e.item_code, "item_name": e.item_name,
        "department_code": e.department_code, "region_code": e.region_code, "level": e.level, "level_name": zh,
        "level_name_en": en, "bad": e.level in BAD_LEVELS, "channel": e.channel, "source": e.source,
        "status": e.status.value, "created_at": e.created_at.isoformat(),
    }
    if with_comment:
        view.update(comment=e.comment, tags=e.tags)
    return view


def rectification_view(r: Rectification) -> dict[str, Any]:
    return {
        "id": r.id, "evaluation_id": r.evaluation_id, "status": r.status.value, "deadline": r.deadline.isoformat(),
        "overdue": is_overdue(r), "outcome": r.outcome, "measures": r.measures,
        "opened_at": r.opened_at.isoformat(), "resolved_at": r.resolved_at.isoformat() if r.resolved_at else None,
        "closed_at": r.closed_at.isoformat() if r.closed_at else None,
    }


def appeal_view(a: Appeal) -> dict[str, Any]:
    return {
        "id": a.id, "evaluation_id": a.evaluation_id, "reason": a.reason, "status": a.status.value,
        "filed_at": a.filed_at.isoformat(), "review_comment": a.review_comment,
        "reviewed_at": a.reviewed_at.isoformat() if a.reviewed_at else None,
    }
