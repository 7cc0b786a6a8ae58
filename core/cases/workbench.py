"""Staff queues (工作台): cases of the caller's department inside their region (operators: every
department in their region), filtered by state, region, due date and warning, soonest due first."""

from __future__ import annotations

from datetime import date
from typing import Any

from core import errors
from core.auth import Principal, region_within, significant_prefix
from core.cases.api import case_view
from core.cases.engine import staff_department_code
from core.cases.models import Case


async def queue(
    principal: Principal, *, state: str | None = None, region_code: str | None = None, due_before: date | None = None,
    warning: str | None = None, item_code: str | None = None, department: str | None = None,
    limit: int = 50, offset: int = 0,
) -> dict[str, Any]:
    query = Case.all()
    if principal.kind == "staff":
        code = await staff_department_code(principal)
        if code is None:
            raise errors.FORBIDDEN(details={"reason": "no department"})
        query = query.filter(department_code=code)
    elif principal.kind not in ("operator", "admin"):
        raise errors.FORBIDDEN()
    elif department:
        query = query.filter(department_code=department)
    if principal.kind != "admin":
        if not principal.region_code:
            raise errors.FORBIDDEN(details={"reason": "no region scope"})
        query = query.filter(region_code__startswith=significant_prefix(principal.region_code))
    if region_code:
        if principal.kind != "admin" and not region_within(region_code, principal.region_code):
            raise errors.NOT_FOUND()
        query = query.filter(region_code__startswith=significant_prefix(region_code))
    if state:
        query = query.filter(state__in=[s for s in state.split(",") if s])
    if due_before:
        query = query.filter(due_date__lte=due_before)
    if warning:
        query = query.filter(warning=warning)
    if item_code:
        query = query.filter(item_code=item_code)
    total = await query.count()
    limit = max(1, min(limit, 200))
    rows = await query.order_by("due_date", "id").offset(max(0, offset)).limit(limit)
    # Queues show no form data (personal data is read, and logged, only when a case is opened).
    return {"total": total, "cases": [{k: v for k, v in case_view(r).items() if k != "form"} for r in rows]}
