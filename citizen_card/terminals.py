"""Merchants, terminals and the terminal request signature (scheme ``ZSC-HMAC-SHA256``).

A terminal signs every request::

    Authorization: ZSC-HMAC-SHA256 key_id=<key id>,ts=<unix seconds>,nonce=<16-64 [A-Za-z0-9_-]>,sig=<base64>

    sig = base64(HMAC-SHA256(secret, "ZSC-HMAC-SHA256\\n" + METHOD + "\\n" + PATH_WITH_QUERY + "\\n"
                                         + ts + "\\n" + nonce + "\\n" + hex(SHA-256(body))))

The secret is handed out once at registration. It is derived from the platform secret, the key id
and the terminal's secret version, so the database holds no terminal secret at all; raising the
version rotates it. A request is refused when the signature is wrong, the timestamp is more than
``signature_max_skew_seconds`` away from the platform clock, the nonce was seen within that window
(Redis ``SET NX``, shared by the app processes), or the terminal or its merchant is disabled.
The debit route records its nonce itself (route option :data:`RECORDS_NONCE_ITSELF`): on
PostgreSQL inside the one statement that moves the money, which saves a round trip per payment.

Per request this costs no database read: the process keeps the terminals it has seen (key id,
secret version, state). What that copy may have missed - a disable, a rotation - is checked where
it matters, against the database: inside the debit statement itself, and by a read (:func:`confirm`)
for every other terminal route (refunds, look-ups) and for every refusal.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import time
from dataclasses import dataclass, field

from litestar import Request
from litestar.connection import ASGIConnection
from stdnum.cn import uscc
from tortoise import connections

from citizen_card import errors
from citizen_card.config import get_card_settings
from citizen_card.models import LedgerAccount, Merchant, Terminal
from core.auth import Principal
from core.db import transaction
from core.settings import get_settings
from core.stores import get_stores

SCHEME = "ZSC-HMAC-SHA256"
TERMINAL_STATE_KEY = "card_terminal"
NONCE_STATE_KEY = "card_terminal_nonce"
# Route option: the handler records the request's nonce itself (see debits.debit); the resolver
# leaves it in the scope state under NONCE_STATE_KEY.
RECORDS_NONCE_ITSELF = "card_records_nonce_itself"
_PARAM = re.compile(r"^(key_id|ts|nonce|sig)=(.+)$")
_NONCE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


@dataclass(frozen=True, slots=True)
class TerminalCredentials:
    terminal_id: int
    merchant_id: int
    key_id: str
    secret: str  # shown once


async def register_merchant(name: str, credit_code: str) -> Merchant:
    code = credit_code.strip().upper()
    if not uscc.is_valid(code):
        raise errors.BAD_CREDIT_CODE()
    async with transaction():
        merchant = await Merchant.create(name=name.strip()[:100], credit_code=code)
        await LedgerAccount.create(code=f"merchant:{merchant.id}", kind="merchant", merchant_id=merchant.id)
    return merchant


def terminal_secret(key_id: str, version: int) -> str:
    platform = get_settings().secret_key.get_secret_value().encode()
    raw = hmac.new(platform, f"card-terminal|{key_id}|{version}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


async def register_terminal(merchant: Merchant, name: str) -> TerminalCredentials:
    terminal = await Terminal.create(merchant_id=merchant.id, key_id="T" + secrets.token_hex(8), name=name.strip()[:100])
    return TerminalCredentials(terminal.id, merchant.id, terminal.key_id, terminal_secret(terminal.key_id, 1))


async def rotate_terminal_secret(terminal: Terminal) -> TerminalCredentials:
    terminal.secret_version += 1
    await terminal.save(update_fields=["secret_version"])
    _seen.pop(terminal.key_id, None)  # other processes find out from the statement or confirm()
    return TerminalCredentials(
        terminal.id, terminal.merchant_id, terminal.key_id, terminal_secret(terminal.key_id, terminal.secret_version)
    )


def string_to_sign(method: str, path_with_query: str, ts: str, nonce: str, body: bytes) -> bytes:
    return "\n".join(
        [SCHEME, method.upper(), path_with_query, ts, nonce, hashlib.sha256(body).hexdigest()]
    ).encode()


def sign_for(key_id: str, secret: str, method: str, path_with_query: str, body: bytes, *,
             ts: int | None = None, nonce: str | None = None) -> str:
    """The Authorization header value a terminal sends (used by tests, the benchmark and the docs)."""
    ts_text = str(int(time.time()) if ts is None else ts)
    nonce = nonce or secrets.token_urlsafe(16)
    mac = hmac.new(secret.encode(), string_to_sign(method, path_with_query, ts_text, nonce, body), hashlib.sha256).digest()
    return f"{SCHEME} key_id={key_id},ts={ts_text},nonce={nonce},sig={base64.b64encode(mac).decode()}"


def _parse(credentials: str) -> dict[str, str]:
    params: dict[str, str] = {}
    for part in credentials.split(","):
        match = _PARAM.match(part.strip())
        if not match or match.group(1) in params:
            raise errors.TERMINAL_AUTH(details={"reason": "malformed authorization parameters"})
        params[match.group(1)] = match.group(2)
    if set(params) != {"key_id", "ts", "nonce", "sig"}:
        raise errors.TERMINAL_AUTH(details={"reason": "key_id, ts, nonce and sig are required"})
    if not params["ts"].isdigit() or not _NONCE.match(params["nonce"]):
        raise errors.TERMINAL_AUTH(details={"reason": "malformed ts or nonce"})
    return params


@dataclass(frozen=True, slots=True)
class SignedTerminal:
    """The terminal a request signature names, as this process last read it from the database.

    Its state can be stale (disabled, or the secret rotated, since it was read): every route that
    acts for a terminal confirms it (:func:`confirm`, done by the terminal guard) or, like the
    debit, checks it inside the statement that moves the money."""

    id: int
    merchant_id: int
    key_id: str
    secret_version: int
    state: str
    merchant_state: str
    secret: bytes = field(repr=False)  # derived, never stored (see terminal_secret)

    @property
    def usable(self) -> bool:
        return self.state == "active" and self.merchant_state == "active"


_BY_KEY = (
    'SELECT t."id", t."merchant_id", t."secret_version", t."state", m."state" AS merchant_state '
    'FROM "card_terminal" t JOIN "card_merchant" m ON m."id" = t."merchant_id" WHERE t."key_id" = {p}'
)
# Terminals recently seen by this process, by key id: the HMAC key without a query per request.
_seen: dict[str, SignedTerminal] = {}
_SEEN_MAX = 20_000


async def load_terminal(key_id: str) -> SignedTerminal | None:
    """The terminal as the database has it now (and remembered for the next request)."""
    conn = connections.get("default")
    rows = await conn.execute_query_dict(_BY_KEY.format(p="$1" if conn.capabilities.dialect == "postgres" else "?"),
                                         [key_id])
    if not rows:
        _seen.pop(key_id, None)
        return None
    row = rows[0]
    terminal = SignedTerminal(row["id"], row["merchant_id"], key_id, row["secret_version"], row["state"],
                              row["merchant_state"], terminal_secret(key_id, row["secret_version"]).encode())
    if len(_seen) >= _SEEN_MAX:
        _seen.pop(next(iter(_seen)))
    _seen[key_id] = terminal
    return terminal


def _signed_by(terminal: SignedTerminal, message: bytes, given: bytes) -> bool:
    return hmac.compare_digest(hmac.new(terminal.secret, message, hashlib.sha256).digest(), given)


async def verify_request(credentials: str, method: str, path_with_query: str, body: bytes,
                         *, now: float | None = None) -> SignedTerminal:
    """Check a terminal's signature, timestamp and nonce; return the terminal (nothing is consumed
    unless the signature is good, so a forger cannot burn a terminal's nonces).

    The secret comes from the process's copy of the terminal when the signature fits it, else from
    the database (a rotation since). The copy may still say active after a disable: callers confirm
    (see :class:`SignedTerminal`)."""
    terminal, nonce = await verify_signature(credentials, method, path_with_query, body, now=now)
    await record_nonce(terminal, nonce)
    if not terminal.usable:
        raise errors.TERMINAL_DISABLED()
    return terminal


async def record_nonce(terminal: SignedTerminal | Terminal, nonce: str) -> None:
    """Refuse a nonce this terminal signed with within the validity window (the nonce store)."""
    window = 2 * get_card_settings().signature_max_skew_seconds + 1
    if not await get_stores()("card_nonce").add(f"{terminal.key_id}:{nonce}", expires_in=window):
        raise errors.TERMINAL_NONCE()


async def verify_signature(credentials: str, method: str, path_with_query: str, body: bytes,
                           *, now: float | None = None) -> tuple[SignedTerminal, str]:
    """:func:`verify_request` up to the nonce: the terminal (usable or not) and the nonce to record."""
    params = _parse(credentials)
    message = string_to_sign(method, path_with_query, params["ts"], params["nonce"], body)
    try:
        given = base64.b64decode(params["sig"], validate=True)
    except ValueError:
        given = b""
    terminal = _seen.get(params["key_id"])
    if terminal is None or not terminal.usable or not _signed_by(terminal, message, given):
        terminal = await load_terminal(params["key_id"])
        if terminal is None:
            raise errors.TERMINAL_AUTH(details={"reason": "unknown key_id"})
        if not _signed_by(terminal, message, given):
            raise errors.TERMINAL_AUTH(details={"reason": "signature mismatch"})
    skew = get_card_settings().signature_max_skew_seconds
    now = time.time() if now is None else now
    if abs(now - int(params["ts"])) > skew:
        raise errors.TERMINAL_STALE(details={"server_time": int(now), "max_skew_seconds": skew})
    return terminal, params["nonce"]


async def confirm(terminal: SignedTerminal | Terminal) -> SignedTerminal:
    """Refuse unless the terminal and its merchant are active now and its secret is still the one
    the request was signed with (one read)."""
    current = await load_terminal(terminal.key_id)
    if current is None or current.secret_version != terminal.secret_version:
        raise errors.TERMINAL_AUTH(details={"reason": "signature mismatch"})
    if not current.usable:
        raise errors.TERMINAL_DISABLED()
    return current


async def resolve_terminal(credentials: str, connection: ASGIConnection) -> Principal:
    """The ``core.auth`` resolver for ``Authorization: ZSC-HMAC-SHA256 ...``.

    Reads the body (Litestar caches it for the handler) because the signature covers it."""
    request: Request = Request(connection.scope, connection.receive)
    body = await request.body()
    path = connection.scope["path"]
    query = connection.scope.get("query_string", b"").decode("latin-1")
    terminal, nonce = await verify_signature(credentials, connection.scope["method"],
                                             f"{path}?{query}" if query else path, body)
    state = connection.scope.setdefault("state", {})
    handler = connection.scope.get("route_handler")
    if handler is not None and handler.opt.get(RECORDS_NONCE_ITSELF):
        state[NONCE_STATE_KEY] = nonce  # the handler records it, then checks the terminal's state
    else:
        await record_nonce(terminal, nonce)
        if not terminal.usable:
            raise errors.TERMINAL_DISABLED()
    state[TERMINAL_STATE_KEY] = terminal  # for the guard and the handler
    return Principal(kind="terminal", account_id=terminal.id, channel="terminal",
                     roles=frozenset({f"merchant:{terminal.merchant_id}"}))
