"""Case HTTP API: citizens apply, upload, track and act (resubmit, supply, withdraw); staff work
their queues (accept, correct, approve, refuse, suspend, resume...); department heads and
operators see supervision warnings; operators keep the working-day override table."""

from __future__ import annotations

import hashlib
from datetime import date
from typing import Annotated, Any
from urllib.parse import quote

import msgspec
from litestar import Request, Response, get, post, put
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, FromQuery, JSONBody

from core import errors
from core.auth import principal_of, proxy_covers, requires, significant_prefix
from core.cases import api, bundles, supervision, uploads, workbench
from core.cases.models import BundleCase, Case, Upload, WorkdayOverride

CITIZEN = requires("citizen")
STAFF = requires("staff", "operator", "admin")
ANYONE = requires("citizen", "staff", "operator", "admin")
OPERATOR = requires("operator", "admin")
MAX_UPLOAD_BYTES = 25 * 1024 * 1024
UPLOADS_PER_HOUR = 200  # per account: generous for real applications, a wall for scripted floods


class ApplyBody(msgspec.Struct, forbid_unknown_fields=True):
    item_code: str
    form: dict[str, Any]
    region_code: str | None = None
    materials: dict[str, Any] | None = None
    delivery: dict[str, Any] | None = None
    client_key: str | None = None  # a retry with the same key returns the case already made


class BundleApplyBody(msgspec.Struct, forbid_unknown_fields=True):
    bundle_code: str
    form: dict[str, Any]
    region_code: str | None = None
    materials: dict[str, Any] | None = None
    delivery: dict[str, Any] | None = None
    client_key: str | None = None


class ActionBody(msgspec.Struct, forbid_unknown_fields=True):
    comment: str = ""
    data: dict[str, Any] | None = None
    expected_state: str | None = None


class OverrideBody(msgspec.Struct, forbid_unknown_fields=True):
    workday: bool | None
    note: str = ""


class UploadForm(msgspec.Struct):
    item_code: str
    material_key: str
    file: UploadFile


def _region(request: Request, region_code: str | None) -> str:
    principal = principal_of(request)
    code = region_code or principal.region_code
    if not code:
        raise errors.BAD_REQUEST(details={"region_code": "required (no home region set)"})
    return code


async def _once(account_id: int, client_key: str, make, model: type = Case) -> Any:
    """Mobile networks retry: the first request with a key makes the case, a repeat gets it back
    (for a day), a concurrent repeat is told to retry (409) instead of making a second one."""
    from core.stores import get_stores

    if not 8 <= len(client_key) <= 64:
        raise errors.BAD_REQUEST(details={"client_key": "8-64 characters"})
    store = get_stores()("cases.submit")
    key = f"{model.__name__}:{account_id}:{client_key}"
    done = await store.get(key)
    if done is not None:
        case = await model.get_or_none(id=int(done))
        if case is not None:
            return case
    if await store.incr(f"lock:{key}", 120) > 1:
        raise errors.CONFLICT(details={"client_key": "a submission with this key is in progress"})
    try:
        case = await make()
    finally:
        await store.reset(f"lock:{key}")
    await store.set(key, str(case.id), expires_in=24 * 3600)
    return case


def case_routes() -> list:
    @post("/cases/uploads", guards=[CITIZEN], status_code=201, request_max_body_size=MAX_UPLOAD_BYTES,
          summary="Upload one material file (type, size checked, SHA-256 hashed)")
    async def upload(request: Request, data: Annotated[UploadForm, Body(media_type=RequestEncodingType.MULTI_PART)]) -> dict[str, Any]:
        principal = principal_of(request)
        from core.stores import get_stores

        if await get_stores()("cases.uploads").incr(str(principal.account_id), 3600) > UPLOADS_PER_HOUR:
            raise errors.RATE_LIMITED(details={"limit_per_hour": UPLOADS_PER_HOUR})
        content = await data.file.read()
        row = await uploads.store_upload(principal.subject_id, data.item_code, data.material_key,
                                         data.file.filename, data.file.content_type, content)
        return {"upload_id": row.id, "sha256": row.sha256, "size": row.size, "content_type": row.content_type,
                "filename": row.filename}

    @post("/cases", guards=[CITIZEN], status_code=201, summary="Apply for an item (the case is created whole or not at all)")
    async def apply(request: Request, data: JSONBody[ApplyBody]) -> dict[str, Any]:
        principal = principal_of(request)

        async def submit() -> Case:
            return await api.submit(principal, data.item_code, region_code=_region(request, data.region_code),
                                    form=data.form, materials=data.materials, delivery=data.delivery)

        if not data.client_key:
            return api.case_view(await submit())
        return api.case_view(await _once(principal.account_id, data.client_key, submit))

    @get("/cases", guards=[CITIZEN], summary="My cases (or my grantor's, when acting for someone)")
    async def my_cases(request: Request, states: FromQuery[str | None] = None,
                       limit: FromQuery[int] = 50) -> dict[str, Any]:
        principal = principal_of(request)
        query = Case.filter(applicant_id=principal.subject_id)
        if states:
            query = query.filter(state__in=[s for s in states.split(",") if s])
        rows = await query.order_by("-id").limit(max(1, min(limit, 200)))
        rows = [r for r in rows if proxy_covers(principal, r.basic_code)]
        return {"cases": [api.case_view(r) for r in rows]}

    @get("/cases/{case_id:int}", guards=[ANYONE], summary="One case (applicant, scoped staff, operators)")
    async def one_case(request: Request, case_id: FromPath[int]) -> dict[str, Any]:
        return await api.get(case_id, principal_of(request))

    @get("/cases/{case_id:int}/events", guards=[ANYONE], summary="The case's append-only history")
    async def case_events(request: Request, case_id: FromPath[int]) -> dict[str, Any]:
        await api.get(case_id, principal_of(request))
        return {"events": await api.events(case_id)}

    @get("/cases/{case_id:int}/materials/{upload_id:str}", guards=[ANYONE],
         summary="Download one uploaded material of a case (applicant, scoped staff; staff reads are logged)")
    async def material_file(request: Request, case_id: FromPath[int], upload_id: FromPath[str]) -> Response:
        principal = principal_of(request)
        case = await api.get_case(case_id)
        if case is None:
            raise errors.NOT_FOUND()
        await api.ensure_can_view(principal, case)
        attached = {f["upload_id"] for entry in case.materials.values() if entry.get("kind") == "upload"
                    for f in entry["files"]}
        upload = await Upload.get_or_none(id=upload_id) if upload_id in attached else None
        if upload is None:
            raise errors.NOT_FOUND()
        if principal.kind != "citizen" or principal.acting_for is not None:
            from core.identity.access_log import record_read

            await record_read(case.applicant_id, reader=principal, fields=[f"material:{upload.material_key}"],
                              purpose=f"办件审查 case {case.case_no}")
        data = await uploads.read_upload(upload)
        if hashlib.sha256(data).hexdigest() != upload.sha256:
            raise errors.UNAVAILABLE(details={"reason": "stored file does not match its hash"})
        return Response(data, media_type=upload.content_type,
                        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(upload.filename)}",
                                 "X-Content-SHA256": upload.sha256})

    @post("/cases/{case_id:int}/actions/{action:str}", guards=[ANYONE], status_code=200,
          summary="Take a workflow action (accept, request_correction, approve, resubmit, withdraw, ...)")
    async def act(request: Request, case_id: FromPath[int], action: FromPath[str], data: JSONBody[ActionBody]) -> dict[str, Any]:
        case = await api.transition(case_id, action, principal_of(request), comment=data.comment, data=data.data,
                                    expected_state=data.expected_state)
        return api.case_view(case)

    @post("/bundles", guards=[CITIZEN], status_code=201, summary="Apply for a bundle (一件事一次办): one form, child cases")
    async def apply_bundle(request: Request, data: JSONBody[BundleApplyBody]) -> dict[str, Any]:
        principal = principal_of(request)
        async def submit() -> BundleCase:
            return await bundles.submit_bundle(principal, data.bundle_code,
                                               region_code=_region(request, data.region_code), form=data.form,
                                               materials=data.materials, delivery=data.delivery)

        bc = await (_once(principal.account_id, data.client_key, submit, BundleCase) if data.client_key else submit())
        return await bundles.bundle_view(bc.id, principal)

    @get("/bundles", guards=[CITIZEN], summary="My bundle applications")
    async def my_bundles(request: Request) -> dict[str, Any]:
        principal = principal_of(request)
        rows = await BundleCase.filter(applicant_id=principal.subject_id).order_by("-id").limit(50)
        return {"bundles": [await bundles.bundle_view(r.id, principal) for r in rows]}

    @get("/bundles/{bundle_id:int}", guards=[ANYONE], summary="A bundle: combined status, child cases, results")
    async def one_bundle(request: Request, bundle_id: FromPath[int]) -> dict[str, Any]:
        return await bundles.bundle_view(bundle_id, principal_of(request))

    @post("/bundles/{bundle_id:int}/withdraw", guards=[CITIZEN], status_code=200, summary="Withdraw every open child case")
    async def withdraw_bundle(request: Request, bundle_id: FromPath[int]) -> dict[str, Any]:
        return await bundles.withdraw_bundle(bundle_id, principal_of(request))

    @get("/workbench/cases", guards=[STAFF], summary="Staff queue: own department and region; filter by state, region, due date, warning")
    async def queue(
        request: Request, states: FromQuery[str | None] = None,
        region_code: FromQuery[str | None] = None, due_before: FromQuery[date | None] = None,
        warning: FromQuery[str | None] = None, item_code: FromQuery[str | None] = None,
        department: FromQuery[str | None] = None, limit: FromQuery[int] = 50, offset: FromQuery[int] = 0,
    ) -> dict[str, Any]:
        return await workbench.queue(principal_of(request), state=states, region_code=region_code, due_before=due_before,
                                     warning=warning, item_code=item_code, department=department,
                                     limit=limit, offset=offset)

    @get("/supervision/warnings", guards=[STAFF], summary="电子监察 warnings: department heads (own department), operators (region)")
    async def warnings(request: Request, level: FromQuery[str | None] = None,
                       open_only: FromQuery[bool] = True) -> dict[str, Any]:
        return {"warnings": await supervision.list_warnings(principal_of(request), level=level, open_only=open_only)}

    @get("/supervision/stats", guards=[STAFF], summary="SLA per department: open, overdue, near due, on-time rate")
    async def sla_stats(request: Request, region_code: FromQuery[str | None] = None) -> dict[str, Any]:
        return await supervision.stats(principal_of(request), region_code=region_code)

    @post("/supervision/warnings/{warning_id:int}/acknowledge", guards=[STAFF], status_code=200,
          summary="Mark a warning as seen")
    async def acknowledge(request: Request, warning_id: FromPath[int]) -> dict[str, Any]:
        await supervision.acknowledge(principal_of(request), warning_id)
        return {"id": warning_id, "acknowledged": True}

    @get("/calendar/overrides", guards=[OPERATOR], summary="The working-day override table")
    async def list_overrides(year: FromQuery[int | None] = None) -> dict[str, Any]:
        query = WorkdayOverride.all()
        if year:
            query = query.filter(day__gte=date(year, 1, 1), day__lte=date(year, 12, 31))
        rows = await query.order_by("day")
        return {"overrides": [{"day": r.day.isoformat(), "workday": r.workday, "note": r.note} for r in rows]}

    @put("/calendar/overrides/{day:date}", guards=[OPERATOR], status_code=200,
         summary="Rule one date a working day or not (null removes the override)")
    async def put_override(request: Request, day: FromPath[date], data: JSONBody[OverrideBody]) -> dict[str, Any]:
        principal = principal_of(request)
        if principal.kind != "admin" and len(significant_prefix(principal.region_code or "0" * 12)) > 4:
            raise errors.FORBIDDEN(details={"reason": "city-level operators keep the calendar"})
        if data.workday is None:
            await WorkdayOverride.filter(day=day).delete()
        elif not await WorkdayOverride.filter(day=day).update(workday=data.workday, note=data.note[:128],
                                                              updated_by=principal.account_id):
            await WorkdayOverride.create(day=day, workday=data.workday, note=data.note[:128], updated_by=principal.account_id)
        return {"day": day.isoformat(), "workday": data.workday, "note": data.note}

    return [upload, apply, my_cases, one_case, case_events, material_file, act, apply_bundle, my_bundles, one_bundle,
            withdraw_bundle, queue, warnings, sla_stats, acknowledge, list_overrides, put_override]
