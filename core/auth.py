"""Who is calling: the :class:`Principal` every guarded route sees, and the guards themselves.

The authentication middleware (``auth_middleware``) reads ``Authorization: <scheme> <credentials>``
and asks the resolver registered for that scheme (``register_resolver``) for a Principal: the
identity package registers ``Bearer`` (access tokens), the citizen-card package its terminal
signature scheme. A request without credentials proceeds as anonymous; guards refuse it.

Routes read ``request.user`` (a Principal or None). Authorisation beyond the role — a citizen
sees only their own and their grantors' data, staff only their department and region — is
checked by the domain code with the helpers here, so it is the same everywhere.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler
from litestar.types import ASGIApp, Receive, Scope, Send

from core import errors

Kind = Literal["citizen", "staff", "operator", "admin", "terminal"]

# Staff roles (岗位): clerk 受理, reviewer 审核, head 决定, department admin 部门管理员.
STAFF_ROLES = ("clerk", "reviewer", "head", "dept_admin")


@dataclass(frozen=True, slots=True)
class Principal:
    kind: Kind
    account_id: int  # citizen account, staff/operator/admin user, or terminal id
    session_id: str = ""
    level: int = 0  # real-name level of a citizen: 0 none, 1 phone, 2 ID+name, 3 face
    roles: frozenset[str] = field(default_factory=frozenset)
    department_id: int | None = None  # staff
    region_code: str | None = None  # staff/operator scope root; citizen home region
    acting_for: int | None = None  # citizen account this citizen acts for (亲友代办)
    proxy_grant_id: int | None = None
    proxy_scope: frozenset[str] | None = None  # service codes the grant covers; None = all
    channel: str = "app"  # "miniapp" | "app" | "web" | "terminal"

    @property
    def subject_id(self) -> int:
        """The citizen whose data is being handled: the grantor when acting for someone."""
        return self.acting_for if self.acting_for is not None else self.account_id

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))


Resolver = Callable[[str, ASGIConnection], Awaitable[Principal | None]]
_resolvers: dict[str, Resolver] = {}


def register_resolver(scheme: str, resolver: Resolver) -> None:
    """Register how credentials of one ``Authorization`` scheme become a Principal."""
    _resolvers[scheme.lower()] = resolver


def auth_middleware(app: ASGIApp) -> ASGIApp:
    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            scope["user"] = None
            scope["auth"] = None
            header = next((v for k, v in scope.get("headers", []) if k == b"authorization"), None)
            if header:
                scheme, _, credentials = header.decode("latin-1").partition(" ")
                resolver = _resolvers.get(scheme.lower())
                if resolver is None or not credentials.strip():
                    raise errors.UNAUTHENTICATED(details={"reason": "unsupported authorization scheme"})
                principal = await resolver(credentials.strip(), ASGIConnection(scope, receive))
                if principal is None:
                    raise errors.UNAUTHENTICATED(details={"reason": "invalid or expired credentials"})
                scope["user"] = principal
                scope["auth"] = scheme.lower()
        await app(scope, receive, send)

    return middleware


def principal_of(connection: ASGIConnection) -> Principal:
    principal = connection.scope.get("user")
    if principal is None:
        raise errors.UNAUTHENTICATED()
    return principal


def requires(*kinds: Kind, roles: tuple[str, ...] = (), min_level: int = 0) -> Callable[[ASGIConnection, BaseRouteHandler], None]:
    """A Litestar guard: the caller is one of ``kinds`` (and has one of ``roles``, if given)."""

    def guard(connection: ASGIConnection, _handler: BaseRouteHandler) -> None:
        principal = principal_of(connection)
        if principal.kind not in kinds:
            raise errors.FORBIDDEN(details={"required": list(kinds)})
        if roles and principal.kind in ("staff", "operator") and not principal.has_role(*roles):
            raise errors.FORBIDDEN(details={"required_roles": list(roles)})
        if min_level and principal.kind == "citizen" and principal.level < min_level:
            raise LEVEL_TOO_LOW(details={"required_level": min_level, "current_level": principal.level})

    return guard


LEVEL_TOO_LOW = errors.define(
    "identity.level_too_low", 403,
    "实名认证等级不足，请先完成更高等级的实名认证",
    "Your real-name verification level is too low; complete the next verification step first",
)


def region_within(code: str | None, scope_root: str | None) -> bool:
    """True when region ``code`` lies in the subtree of ``scope_root`` (12-digit codes, zero-padded).

    A code is within a root when it starts with the root's significant prefix: 430200000000 (city)
    covers 430281xxxxxx (醴陵市) but 430281000000 does not cover 430223000000 (攸县).
    """
    if not code or not scope_root:
        return False
    return code.startswith(significant_prefix(scope_root))


def significant_prefix(code: str) -> str:
    """The meaningful head of a 12-digit statistical code: 2/4/6/9/12 digits by level."""
    code = code.ljust(12, "0")
    for length in (2, 4, 6, 9):
        if code[length:] == "0" * (12 - length):
            return code[:length]
    return code


def ensure_staff_scope(principal: Principal, *, department_id: int | None, region_code: str | None) -> None:
    """Staff act only in their own department and region; operators only in their region.

    Refuses with 404 rather than 403 so that ids of other departments' records do not leak.
    """
    if principal.kind == "admin":
        return
    if principal.kind == "staff" and department_id is not None and principal.department_id != department_id:
        raise errors.NOT_FOUND()
    if principal.kind in ("staff", "operator") and region_code is not None and not region_within(region_code, principal.region_code):
        raise errors.NOT_FOUND()
    if principal.kind not in ("staff", "operator"):
        raise errors.FORBIDDEN()


def scope_code(code: str) -> str:
    """The one form a service code takes in proxy grant scopes (亲友代办范围): the item's 基本编码.

    A grant is for a service, not for one implementing body: the basic code is the same in every
    region (同一事项、同一编码), while the 实施编码 (implementing body's credit code + level + basic
    code) differs per county. An implementation code of a catalogue item becomes its basic code;
    any other code (already basic, or a platform action such as ``citizen_card.report_loss``)
    stands as it is. Looked up in the catalogue, never cut by length (older schemes differ).
    """
    from core.catalogue.registry import get_registry

    item = get_registry().item(code)
    return item.basic_code if item is not None else code


def proxy_covers(principal: Principal, service_code: str | None) -> bool:
    """True unless ``principal`` acts under a scoped grant that does not cover ``service_code``
    (either code form: both sides go through :func:`scope_code`)."""
    if principal.acting_for is None or principal.proxy_scope is None or service_code is None:
        return True
    wanted = scope_code(service_code)
    return any(scope_code(code) == wanted for code in principal.proxy_scope)


def ensure_proxy_covers(principal: Principal, service_code: str | None) -> None:
    if not proxy_covers(principal, service_code):
        raise errors.FORBIDDEN(details={"reason": "proxy grant does not cover this service",
                                        "service_code": scope_code(service_code or "")})


def ensure_citizen_owns(principal: Principal, owner_account_id: int, *, service_code: str | None = None) -> None:
    """A citizen sees only their own data, or their grantor's when acting under a proxy grant
    whose scope covers ``service_code`` (basic or implementation code). Refuses with 404:
    another person's ids do not leak."""
    if principal.kind != "citizen" or principal.subject_id != owner_account_id:
        raise errors.NOT_FOUND()
    ensure_proxy_covers(principal, service_code)


def audit_actor(principal: Principal | None) -> dict[str, Any]:
    """The actor fields recorded on events: both people when acting for someone."""
    if principal is None:
        return {"actor_kind": "system", "actor_id": None, "on_behalf_of": None}
    return {"actor_kind": principal.kind, "actor_id": principal.account_id, "on_behalf_of": principal.acting_for}
