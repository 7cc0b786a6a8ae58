"""Merchants, terminals and the terminal request signature (scheme ``ZSC-HMAC-SHA256``).

A terminal signs every request::

    Authorization: ZSC-HMAC-SHA256 key_id=<key id>,ts=<unix seconds>,nonce=<16-64 [A-Za-z0-9_-]>,sig=<base64>

    sig = base64(HMAC-SHA256(secret, "ZSC-HMAC-SHA256\\n" + METHOD + "\\n" + PATH_WITH_QUERY + "\\n"
                                         + ts + "\\n" + nonce + "\\n" + hex(SHA-256(body))))

The secret is handed out once at registration. It is derived from the platform secret, the key id
and the terminal's secret version, so the database holds no terminal secret at all; raising the
version rotates it. A request is refused when the signature is wrong, the timestamp is more than
``signature_max_skew_seconds`` away from the platform clock, or the nonce was seen within that window.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import time
from dataclasses import dataclass

from litestar import Request
from litestar.connection import ASGIConnection
from stdnum.cn import uscc
from tortoise import connections
from tortoise.transactions import in_transaction

from citizen_card import errors
from citizen_card.config import get_card_settings
from citizen_card.models import LedgerAccount, Merchant, Terminal
from core.auth import Principal
from core.settings import get_settings
from core.stores import get_stores

SCHEME = "ZSC-HMAC-SHA256"
TERMINAL_STATE_KEY = "card_terminal"
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
    async with in_transaction():
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


_BY_KEY = (
    'SELECT t."id", t."merchant_id", t."key_id", t."name", t."secret_version", t."state", '
    'm."state" AS merchant_state FROM "card_terminal" t JOIN "card_merchant" m ON m."id" = t."merchant_id" '
    'WHERE t."key_id" = {p}'
)


async def _terminal_by_key(key_id: str) -> tuple[Terminal | None, str | None]:
    """One fixed query on every signed request (it runs per debit, so no ORM query building)."""
    conn = connections.get("default")
    sql = _BY_KEY.format(p="$1" if conn.capabilities.dialect == "postgres" else "?")
    rows = await conn.execute_query_dict(sql, [key_id])
    if not rows:
        return None, None
    row = dict(rows[0])
    merchant_state = row.pop("merchant_state")
    return Terminal(**row), merchant_state


async def verify_request(credentials: str, method: str, path_with_query: str, body: bytes,
                         *, now: float | None = None) -> Terminal:
    """Check a terminal's signature; return the active terminal or refuse (nothing is consumed
    unless the signature is good, so a forger cannot burn a terminal's nonces)."""
    params = _parse(credentials)
    terminal, merchant_state = await _terminal_by_key(params["key_id"])
    if terminal is None:
        raise errors.TERMINAL_AUTH(details={"reason": "unknown key_id"})
    secret = terminal_secret(terminal.key_id, terminal.secret_version)
    expected = hmac.new(secret.encode(), string_to_sign(method, path_with_query, params["ts"], params["nonce"], body),
                        hashlib.sha256).digest()
    try:
        given = base64.b64decode(params["sig"], validate=True)
    except ValueError:
        given = b""
    if not hmac.compare_digest(expected, given):
        raise errors.TERMINAL_AUTH(details={"reason": "signature mismatch"})
    skew = get_card_settings().signature_max_skew_seconds
    now = time.time() if now is None else now
    if abs(now - int(params["ts"])) > skew:
        raise errors.TERMINAL_STALE(details={"server_time": int(now), "max_skew_seconds": skew})
    seen = await get_stores()("card_nonce").incr(f"{terminal.key_id}:{params['nonce']}", expires_in=2 * skew + 1)
    if seen > 1:
        raise errors.TERMINAL_NONCE()
    if terminal.state != "active" or merchant_state != "active":
        raise errors.TERMINAL_DISABLED()
    return terminal


async def resolve_terminal(credentials: str, connection: ASGIConnection) -> Principal:
    """The ``core.auth`` resolver for ``Authorization: ZSC-HMAC-SHA256 ...``.

    Reads the body (Litestar caches it for the handler) because the signature covers it."""
    request: Request = Request(connection.scope, connection.receive)
    body = await request.body()
    path = connection.scope["path"]
    query = connection.scope.get("query_string", b"").decode("latin-1")
    terminal = await verify_request(credentials, connection.scope["method"], f"{path}?{query}" if query else path, body)
    connection.scope.setdefault("state", {})[TERMINAL_STATE_KEY] = terminal  # spares the handler a query
    return Principal(kind="terminal", account_id=terminal.id, channel="terminal",
                     roles=frozenset({f"merchant:{terminal.merchant_id}"}))
