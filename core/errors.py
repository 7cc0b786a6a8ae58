"""One error format for every failure: ``{code, message, message_en, details, request_id}``.

Domain code raises :class:`AppError` built from an :class:`ErrorCode`; the handlers in
:mod:`core.web.errors` turn it (and framework errors) into a response. Codes are stable strings
that clients may switch on; messages are Chinese with English beside them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class ErrorCode:
    code: str
    status: int
    zh: str
    en: str

    def __call__(self, *, details: dict[str, Any] | None = None, **fmt: Any) -> AppError:
        return AppError(self, details=details, fmt=fmt)


class AppError(Exception):
    """A refusal the client can act on (4xx), or a dependency failure (5xx) with a clear code."""

    def __init__(
        self, spec: ErrorCode, *, details: dict[str, Any] | None = None, fmt: dict[str, Any] | None = None
    ) -> None:
        fmt = fmt or {}
        self.spec = spec
        self.code = spec.code
        self.status = spec.status
        self.message = spec.zh.format(**fmt) if fmt else spec.zh
        self.message_en = spec.en.format(**fmt) if fmt else spec.en
        self.details = details or {}
        super().__init__(f"{self.code}: {self.message_en}")


_registry: dict[str, ErrorCode] = {}


def define(code: str, status: int, zh: str, en: str) -> ErrorCode:
    """Declare an error code once; a second, different declaration of one code is a bug."""
    spec = ErrorCode(code, status, zh, en)
    existing = _registry.get(code)
    if existing is not None and existing != spec:
        raise ValueError(f"error code {code!r} declared twice with different texts")
    _registry[code] = spec
    return spec


def registry() -> dict[str, ErrorCode]:
    return dict(_registry)


# Platform-wide codes. Domain packages define their own next to their code.
BAD_REQUEST = define("request.invalid", 400, "请求内容有误，请检查后重试", "The request is invalid; check it and try again")
MALFORMED_BODY = define("request.malformed", 400, "请求内容不是有效的 JSON", "The request body is not valid JSON")
BODY_TOO_LARGE = define("request.too_large", 413, "请求内容过大", "The request body is too large")
UNSUPPORTED_MEDIA = define("request.unsupported_media_type", 415, "不支持的内容类型", "Unsupported content type")
NOT_FOUND = define("not_found", 404, "您访问的内容不存在", "Not found")
ROUTE_NOT_FOUND = define("route.not_found", 404, "接口不存在", "No such endpoint")
METHOD_NOT_ALLOWED = define("route.method_not_allowed", 405, "不支持该请求方法", "Method not allowed")
UNAUTHENTICATED = define("auth.required", 401, "请先登录", "Please sign in first")
FORBIDDEN = define("auth.forbidden", 403, "您没有权限进行此操作", "You are not allowed to do this")
CONFLICT = define("conflict", 409, "数据已被修改或已存在，请刷新后重试", "Conflicting change; refresh and try again")
RATE_LIMITED = define("rate_limited", 429, "操作过于频繁，请稍后再试", "Too many requests; try again later")
UNAVAILABLE = define("service.unavailable", 503, "服务暂时不可用，请稍后再试", "Service temporarily unavailable")
INTERNAL = define("internal", 500, "系统繁忙，请稍后再试", "Internal error; please try again later")
