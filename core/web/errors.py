"""Every failure leaves as ``{code, message, message_en, details, request_id}``.

Bad input is always a 4xx with a stable code; an unexpected exception is a 500 ``internal`` whose
details are logged with the request id, never sent to the client.
"""

from __future__ import annotations

import logging
import re
import uuid
from typing import Any

from litestar import MediaType, Request, Response
from litestar.exceptions import (
    ClientException,
    HTTPException,
    MethodNotAllowedException,
    NotAuthorizedException,
    NotFoundException,
    PermissionDeniedException,
    ValidationException,
)
from tortoise.exceptions import DoesNotExist, IntegrityError

from core import errors
from core.errors import AppError, ErrorCode
from core.web.i18n import prefers_english

log = logging.getLogger("zhushida.http")


def error_response(request: Request, spec: ErrorCode | AppError, details: Any = None) -> Response:
    err = spec if isinstance(spec, AppError) else spec()
    # Routing failures (404/405) happen before the request-id middleware runs: make one here.
    state = request.scope.setdefault("state", {})
    request_id = state.setdefault("request_id", uuid.uuid4().hex)
    body = {
        "code": err.code,
        "message": err.message_en if prefers_english(request) else err.message,
        "message_en": err.message_en,
        "details": details if details is not None else err.details,
        "request_id": request_id,
    }
    headers = {"X-Request-ID": request_id}
    if err.status == 429 and isinstance(body["details"], dict) and "retry_after" in body["details"]:
        headers["Retry-After"] = str(body["details"]["retry_after"])
    return Response(body, status_code=err.status, media_type=MediaType.JSON, headers=headers)


def _validation_details(exc: ValidationException) -> Any:
    extra = exc.extra
    if isinstance(extra, list):
        return {"fields": [{k: v for k, v in item.items() if k in ("key", "message", "source")} for item in extra if isinstance(item, dict)]}
    return {"reason": exc.detail}


def handle_app_error(request: Request, exc: AppError) -> Response:
    return error_response(request, exc)


# msgspec's words for a body that is not JSON at all (as opposed to JSON of the wrong shape).
_UNDECODABLE = re.compile(r"truncated|malformed|trailing characters|invalid character|invalid escape|invalid utf-8", re.I)


def handle_validation(request: Request, exc: ValidationException) -> Response:
    return error_response(request, errors.BAD_REQUEST, _validation_details(exc))


def handle_http(request: Request, exc: HTTPException) -> Response:
    status = exc.status_code
    mapping: dict[type, ErrorCode] = {
        NotFoundException: errors.NOT_FOUND,
        MethodNotAllowedException: errors.METHOD_NOT_ALLOWED,
        NotAuthorizedException: errors.UNAUTHENTICATED,
        PermissionDeniedException: errors.FORBIDDEN,
    }
    for klass, spec in mapping.items():
        if isinstance(exc, klass):
            if klass is NotFoundException and _is_route_miss(request):
                spec = errors.ROUTE_NOT_FOUND
            return error_response(request, spec, {"reason": exc.detail} if exc.detail and klass is not NotFoundException else None)
    if status == 413:
        return error_response(request, errors.BODY_TOO_LARGE)
    if status == 415:
        return error_response(request, errors.UNSUPPORTED_MEDIA)
    if status == 429:
        return error_response(request, errors.RATE_LIMITED)
    if status == 400 and _UNDECODABLE.search(str(exc.detail or "")):
        return error_response(request, errors.MALFORMED_BODY, {"reason": exc.detail})
    if isinstance(exc, ClientException) or 400 <= status < 500:
        return error_response(request, errors.BAD_REQUEST, {"reason": exc.detail})
    if status == 503:
        return error_response(request, errors.UNAVAILABLE)
    return handle_unexpected(request, exc)


def _is_route_miss(request: Request) -> bool:
    # Litestar raises NotFoundException before a handler is chosen when no route matches.
    return request.scope.get("route_handler") is None or request.scope.get("path_template") is None


def handle_does_not_exist(request: Request, exc: DoesNotExist) -> Response:
    return error_response(request, errors.NOT_FOUND)


def handle_integrity(request: Request, exc: IntegrityError) -> Response:
    log.warning("integrity error: %s", exc)
    return error_response(request, errors.CONFLICT)


def handle_unexpected(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return error_response(request, errors.INTERNAL)


EXCEPTION_HANDLERS: dict[Any, Any] = {
    AppError: handle_app_error,
    ValidationException: handle_validation,
    HTTPException: handle_http,
    DoesNotExist: handle_does_not_exist,
    IntegrityError: handle_integrity,
    Exception: handle_unexpected,
}
