"""HTTP routes of 好差评: citizens rate, departments rectify/visit/appeal, operators review appeals
and read statistics. Every route is guarded, and every record is checked against the caller's
scope (a citizen their own cases, staff their department and region, operators their region).
"""

from __future__ import annotations

from datetime import date
from typing import Any

import msgspec
from litestar import Request, get, post
from litestar.params import FromPath, FromQuery, JSONBody

from core import errors as core_errors
from core.auth import ensure_citizen_owns, principal_of, requires, significant_prefix
from core.evaluations import api, errors
from core.evaluations.models import (
    Appeal,
    AppealStatus,
    Evaluation,
    FollowUpVisit,
    Rectification,
    RectificationStatus,
)

CITIZEN = requires("citizen")
DEPARTMENT = requires("staff", "operator", "admin")
DEPARTMENT_HEADS = requires("staff", roles=("head", "dept_admin"))
OPERATORS = requires("operator", "admin")


class RateBody(msgspec.Struct, forbid_unknown_fields=True):
    case_id: int
    level: Any
    comment: str = ""
    tags: list[str] = msgspec.field(default_factory=list)
    channel: str | None = None


class CollectedBody(msgspec.Struct, forbid_unknown_fields=True):
    case_id: int
    level: Any
    channel: str
    comment: str = ""
    tags: list[str] = msgspec.field(default_factory=list)


class ResolveBody(msgspec.Struct, forbid_unknown_fields=True):
    outcome: str
    measures: str


class VisitBody(msgspec.Struct, forbid_unknown_fields=True):
    method: str
    satisfied: Any
    notes: str = ""


class AppealBody(msgspec.Struct, forbid_unknown_fields=True):
    reason: str


class ReviewBody(msgspec.Struct, forbid_unknown_fields=True):
    decision: str
    comment: str


def _scoped(principal, query):
    """Restrict a query of evaluations/rectifications/appeals to the caller's department and region."""
    if principal.kind == "admin":
        return query
    query = query.filter(region_code__startswith=significant_prefix(principal.region_code or "X"))
    if principal.kind == "staff":
        query = query.filter(department_id=principal.department_id)
    return query


# ---- citizens ----------------------------------------------------------------------------------------


@post("/evaluations", guards=[CITIZEN], summary="Rate a finished case (one rating per case)")
async def rate(request: Request, data: JSONBody[RateBody]) -> dict[str, Any]:
    evaluation = await api.rate(principal_of(request), data.case_id, data.level, comment=data.comment,
                                tags=data.tags, channel=data.channel)
    rect = await Rectification.get_or_none(evaluation_id=evaluation.id)
    return {**api.evaluation_view(evaluation), "rectification": api.rectification_view(rect) if rect else None}


@get("/evaluations/mine", guards=[CITIZEN], summary="The citizen's own ratings")
async def mine(request: Request) -> list[dict[str, Any]]:
    principal = principal_of(request)
    rows = await Evaluation.filter(account_id=principal.subject_id).order_by("-id").limit(200)
    return [api.evaluation_view(e) for e in rows]


@get("/evaluations/cases/{case_id:int}", guards=[CITIZEN], summary="The rating of one of the citizen's cases, and its handling")
async def for_case(request: Request, case_id: FromPath[int]) -> dict[str, Any]:
    principal = principal_of(request)
    row = await api.rateable_case(case_id, principal)
    ensure_citizen_owns(principal, row.applicant_id, service_code=row.basic_code)
    evaluation = await Evaluation.get_or_none(case_id=case_id)
    if evaluation is None:
        return {"rated": False, "case_id": case_id, "levels": {str(k): v[0] for k, v in api.LEVELS.items()}}
    view = {"rated": True, **api.evaluation_view(evaluation)}
    rect = await Rectification.get_or_none(evaluation_id=evaluation.id)
    if rect:
        view["rectification"] = {**api.rectification_view(rect),
                                 "visited": await FollowUpVisit.exists(rectification_id=rect.id)}
    return view


# ---- departments -------------------------------------------------------------------------------------


@post("/staff/evaluations", guards=[DEPARTMENT], summary="Enter a rating collected at the window, a terminal, by SMS or the 12345 hotline")
async def record_collected(request: Request, data: JSONBody[CollectedBody]) -> dict[str, Any]:
    evaluation = await api.record_collected(principal_of(request), data.case_id, data.level, channel=data.channel,
                                            comment=data.comment, tags=data.tags)
    return api.evaluation_view(evaluation)


@get("/staff/evaluations", guards=[DEPARTMENT], summary="Ratings of the caller's department and region")
async def department_evaluations(
    request: Request, bad_only: FromQuery[bool] = False, limit: FromQuery[int] = 50, before_id: FromQuery[int | None] = None,
) -> list[dict[str, Any]]:
    if not 1 <= limit <= 200:
        raise core_errors.BAD_REQUEST(details={"limit": "1-200"})
    query = _scoped(principal_of(request), Evaluation.all())
    if bad_only:
        query = query.filter(level__in=sorted(api.BAD_LEVELS))
    if before_id is not None:
        query = query.filter(id__lt=before_id)
    return [api.evaluation_view(e) for e in await query.order_by("-id").limit(limit)]


@get("/staff/rectifications", guards=[DEPARTMENT], summary="Bad ratings to rectify (差评整改), by status")
async def rectifications(request: Request, status: FromQuery[str | None] = None, overdue: FromQuery[bool] = False) -> list[dict[str, Any]]:
    query = _scoped(principal_of(request), Rectification.all())
    if status is not None:
        if status not in {s.value for s in RectificationStatus}:
            raise core_errors.BAD_REQUEST(details={"status": [s.value for s in RectificationStatus]})
        query = query.filter(status=status)
    rows = await query.order_by("deadline", "id").limit(500)
    return [api.rectification_view(r) for r in rows if not overdue or api.is_overdue(r)]


@post("/staff/rectifications/{rect_id:int}/resolve", guards=[DEPARTMENT], status_code=200,
      summary="Rectified or explained, with the measures taken")
async def resolve(request: Request, rect_id: FromPath[int], data: JSONBody[ResolveBody]) -> dict[str, Any]:
    rect = await api.resolve(principal_of(request), rect_id, outcome=data.outcome, measures=data.measures)
    return api.rectification_view(rect)


@post("/staff/rectifications/{rect_id:int}/follow-up", guards=[DEPARTMENT], status_code=200,
      summary="Record the follow-up visit (回访); closes the rectification")
async def follow_up(request: Request, rect_id: FromPath[int], data: JSONBody[VisitBody]) -> dict[str, Any]:
    visit = await api.follow_up(principal_of(request), rect_id, method=data.method, satisfied=data.satisfied,
                                notes=data.notes)
    rect = await Rectification.get(id=rect_id)
    return {**api.rectification_view(rect), "visit": {"method": visit.method, "satisfied": visit.satisfied,
                                                      "notes": visit.notes, "at": visit.at.isoformat()}}


@post("/staff/evaluations/{evaluation_id:int}/appeal", guards=[DEPARTMENT_HEADS], status_code=201,
      summary="Appeal a wrong or malicious rating (申诉)")
async def file_appeal(request: Request, evaluation_id: FromPath[int], data: JSONBody[AppealBody]) -> dict[str, Any]:
    return api.appeal_view(await api.appeal(principal_of(request), evaluation_id, data.reason))


# ---- operators ---------------------------------------------------------------------------------------


@get("/operator/evaluations/appeals", guards=[OPERATORS], summary="Appeals in the operator's region")
async def appeals(request: Request, status: FromQuery[str] = "pending") -> list[dict[str, Any]]:
    if status not in {s.value for s in AppealStatus}:
        raise core_errors.BAD_REQUEST(details={"status": [s.value for s in AppealStatus]})
    rows = await _scoped(principal_of(request), Appeal.filter(status=status)).prefetch_related("evaluation").order_by("id")
    return [{**api.appeal_view(a), "evaluation": api.evaluation_view(a.evaluation)} for a in rows]


@post("/operator/evaluations/appeals/{appeal_id:int}/review", guards=[OPERATORS], status_code=200,
      summary="Uphold (the rating is invalidated) or reject an appeal")
async def review(request: Request, appeal_id: FromPath[int], data: JSONBody[ReviewBody]) -> dict[str, Any]:
    return api.appeal_view(await api.review_appeal(principal_of(request), appeal_id, decision=data.decision,
                                                   comment=data.comment))


@get("/operator/evaluations/stats", guards=[DEPARTMENT],
     summary="Ratings per item or department in the caller's region (staff: their department)")
async def statistics(
    request: Request, by: FromQuery[str] = "item", region_code: FromQuery[str | None] = None,
    since: FromQuery[str | None] = None, until: FromQuery[str | None] = None,
) -> dict[str, Any]:
    try:
        start = date.fromisoformat(since) if since else None
        end = date.fromisoformat(until) if until else None
    except ValueError as exc:
        raise errors.STATS_INVALID(details={"since": since, "until": until}) from exc
    return await api.stats(principal_of(request), by=by, region_code=region_code, since=start, until=end)


def all_route_handlers() -> list:
    return [rate, mine, for_case, record_collected, department_evaluations, rectifications, resolve, follow_up,
            file_appeal, appeals, review, statistics]
