"""Sessions and tokens: a short-lived access token and a single-use refresh token per session.

Everything lives in the shared store (Redis in production), so a logout in one app process is
seen by every other at once:

* ``s:{sid}``      the session: who, which channel, the principal snapshot, the current access
                   token's hash and expiry. Expires with the refresh lifetime.
* ``r:{sha256(refresh)}`` → sid, taken atomically on refresh (a refresh token works once: a
                   second use of the same token is refused as stale).
* ``cut:{kind}:{id}`` the time of the last "log out everywhere": sessions created earlier are dead.
* ``g:{grant_id}`` present while a relatives' grant is usable: sessions acting under it check it.

Tokens are random (``za.{sid}.{secret}`` / ``zr.{sid}.{secret}``); only their SHA-256 is stored.

Resolving an access token on every request would cost two store round trips, so each process
keeps the Principals it resolved (:data:`_resolved`, a :class:`core.changes.LocalCache`) for at
most :data:`RESOLVED_TTL` seconds and never past the token's own expiry. Whatever ends or changes
a session here publishes it (``session``, ``principal`` for log-out-everywhere, ``grant``), which
drops the entry in every app process at once — revocation is not delayed by the cache.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import time
from dataclasses import asdict, dataclass
from typing import Any

from core import changes, errors
from core.auth import Principal
from core.stores import KeyValue, get_stores

ACCESS_TTL = 15 * 60
RESOLVED_TTL = 60  # bound on a cached resolution, for a change that was not published
REFRESH_TTL = 30 * 24 * 3600
NAMESPACE = "identity.sessions"

REFRESH_INVALID = errors.define(
    "identity.refresh_token_invalid",
    401,
    "登录已失效，请重新登录",
    "The refresh token is stale, revoked or unknown; sign in again",
)


@dataclass(frozen=True, slots=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int
    refresh_expires_in: int
    session_id: str
    token_type: str = "Bearer"

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


_resolved = changes.LocalCache("identity.sessions", topics=("session", "principal", "grant"),
                               ttl=RESOLVED_TTL, max_entries=100_000)


def _store() -> KeyValue:
    return get_stores()(NAMESPACE)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _principal_data(principal: Principal) -> dict[str, Any]:
    return {
        "kind": principal.kind,
        "account_id": principal.account_id,
        "level": principal.level,
        "roles": sorted(principal.roles),
        "department_id": principal.department_id,
        "region_code": principal.region_code,
        "acting_for": principal.acting_for,
        "proxy_grant_id": principal.proxy_grant_id,
        "proxy_scope": sorted(principal.proxy_scope) if principal.proxy_scope is not None else None,
        "channel": principal.channel,
    }


def _principal_from(data: dict[str, Any], sid: str) -> Principal:
    scope = data.get("proxy_scope")
    return Principal(
        kind=data["kind"],
        account_id=int(data["account_id"]),
        session_id=sid,
        level=int(data.get("level") or 0),
        roles=frozenset(data.get("roles") or ()),
        department_id=data.get("department_id"),
        region_code=data.get("region_code"),
        acting_for=data.get("acting_for"),
        proxy_grant_id=data.get("proxy_grant_id"),
        proxy_scope=frozenset(scope) if scope is not None else None,
        channel=data.get("channel") or "app",
    )


async def open_session(principal: Principal, *, expires_at: float | None = None) -> TokenPair:
    """Start a session for ``principal`` (its session_id is ignored) and return its tokens.

    ``expires_at`` caps the session (e.g. at the end of a relatives' grant).
    """
    sid = secrets.token_urlsafe(18)
    now = time.time()
    refresh_ttl = (
        REFRESH_TTL if expires_at is None else max(1, min(REFRESH_TTL, int(expires_at - now)))
    )
    session = {
        "sid": sid,
        "created": now,
        "principal": _principal_data(principal),
        "ends": now + refresh_ttl,
    }
    return await _issue(session, refresh_ttl)


async def _issue(session: dict[str, Any], refresh_ttl: int) -> TokenPair:
    sid = session["sid"]
    access = f"za.{sid}.{secrets.token_urlsafe(32)}"
    refresh = f"zr.{sid}.{secrets.token_urlsafe(32)}"
    access_ttl = min(ACCESS_TTL, refresh_ttl)
    session["access"] = _digest(access)
    session["access_until"] = time.time() + access_ttl
    store = _store()
    await store.set(f"s:{sid}", json.dumps(session), expires_in=refresh_ttl)
    await store.set(f"r:{_digest(refresh)}", sid, expires_in=refresh_ttl)
    return TokenPair(access, refresh, access_ttl, refresh_ttl, sid)


async def _live_session(sid: str) -> dict[str, Any] | None:
    store = _store()
    raw = await store.get(f"s:{sid}")
    if raw is None:
        return None
    session = json.loads(raw)
    data = session["principal"]
    cut = await store.get(f"cut:{data['kind']}:{data['account_id']}")
    if cut is not None and float(cut) >= session["created"]:
        return None
    grant_id = data.get("proxy_grant_id")
    if grant_id is not None and await store.get(f"g:{grant_id}") is None:
        return None
    return session


async def resolve_access_token(token: str) -> Principal | None:
    """The Principal behind an access token, or None when it is unknown, expired or revoked."""
    principal = _resolved.get(token)
    if principal is not None:
        return principal
    parts = token.split(".")
    if len(parts) != 3 or parts[0] != "za":
        return None
    sid = parts[1]
    ticket = _resolved.ticket()
    session = await _live_session(sid)
    if session is None or session.get("access_until", 0) < time.time():
        return None
    if not secrets.compare_digest(session.get("access", ""), _digest(token)):
        return None  # an older access token of this session, replaced by a refresh
    principal = _principal_from(session["principal"], sid)
    tags = [changes.tag("session", sid), changes.tag("principal", f"{principal.kind}:{principal.account_id}")]
    if principal.proxy_grant_id is not None:
        tags.append(changes.tag("grant", principal.proxy_grant_id))
    _resolved.put(token, principal, tags, ticket, ttl=session["access_until"] - time.time())
    return principal


async def refresh(refresh_token: str, *, reload: Any = None) -> TokenPair:
    """Swap a refresh token for a new pair. The old refresh token stops working at once.

    ``reload(principal) -> Principal | None`` re-reads the principal (level, roles, scope may have
    changed); None means the subject may no longer log in.
    """
    parts = refresh_token.split(".")
    if len(parts) != 3 or parts[0] != "zr":
        raise REFRESH_INVALID()
    store = _store()
    sid = await store.take(f"r:{_digest(refresh_token)}")
    if sid is None or sid.decode() != parts[1]:
        raise REFRESH_INVALID()
    session = await _live_session(parts[1])
    if session is None:
        raise REFRESH_INVALID()
    if reload is not None:
        principal = await reload(_principal_from(session["principal"], parts[1]))
        if principal is None:
            await revoke_session(parts[1])
            raise REFRESH_INVALID()
        session["principal"] = _principal_data(principal)
    remaining = int(session["ends"] - time.time())
    if remaining <= 0:
        raise REFRESH_INVALID()
    pair = await _issue(session, remaining)
    changes.publish("session", parts[1])  # the previous access token is dead now
    return pair


async def update_session_principal(sid: str, principal: Principal) -> None:
    """Rewrite the principal snapshot of a live session (e.g. after a real-name level upgrade)."""
    store = _store()
    raw = await store.get(f"s:{sid}")
    if raw is None:
        return
    session = json.loads(raw)
    session["principal"] = _principal_data(principal)
    remaining = max(1, int(session["ends"] - time.time()))
    await store.set(f"s:{sid}", json.dumps(session), expires_in=remaining)
    changes.publish("session", sid)
    changes.publish("account", principal.account_id)  # screens of those acting for this person


async def revoke_session(sid: str) -> None:
    await _store().delete(f"s:{sid}")
    changes.publish("session", sid)


async def revoke_all(kind: str, subject_id: int) -> None:
    """Log a subject out everywhere: every session created before now stops working."""
    # A session opened in the same instant as the cut must die too: the cut is inclusive.
    await _store().set(f"cut:{kind}:{subject_id}", repr(time.time()), expires_in=REFRESH_TTL)
    changes.publish("principal", f"{kind}:{subject_id}")


async def open_grant(grant_id: int, expires_at: float) -> None:
    ttl = int(expires_at - time.time())
    if ttl > 0:
        await _store().set(f"g:{grant_id}", "1", expires_in=ttl)


async def close_grant(grant_id: int) -> None:
    await _store().delete(f"g:{grant_id}")
    changes.publish("grant", grant_id)
