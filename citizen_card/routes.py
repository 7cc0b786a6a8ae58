"""HTTP routes of the citizen card: the citizen's card, the public QR keys, the terminal API and
merchant/terminal registration by operators. All amounts are integer fen."""

from __future__ import annotations

import base64
from typing import Any

import msgspec
from litestar import Request, Response, delete, get, post, put
from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler
from litestar.params import FromPath, FromQuery, JSONBody

from citizen_card import cards, debits, ledger, qr, statements, terminals
from citizen_card.config import get_card_settings
from citizen_card.models import Card, Debit, Merchant, Terminal
from citizen_card.numbers import mask
from core import errors as core_errors
from core.auth import principal_of, requires

CITIZEN = requires("citizen")
OPERATOR = requires("operator", "admin")
# Route option: the handler checks the terminal (state, secret version) inside its own statement.
CHECKS_TERMINAL_ITSELF = "card_checks_terminal_itself"


class PhysicalBody(msgspec.Struct, forbid_unknown_fields=True):
    number: str


class LimitsBody(msgspec.Struct, forbid_unknown_fields=True):
    per_payment: int | None = None
    per_day: int | None = None


class DebitBody(msgspec.Struct, forbid_unknown_fields=True):
    txn_id: str
    amount: int
    qr_token: str
    memo: str = ""


class RefundBody(msgspec.Struct, forbid_unknown_fields=True):
    txn_id: str
    amount: int
    original_txn_id: str | None = None
    debit_id: int | None = None
    reason: str = ""


class MerchantBody(msgspec.Struct, forbid_unknown_fields=True):
    name: str
    credit_code: str


class TerminalBody(msgspec.Struct, forbid_unknown_fields=True):
    name: str


async def card_view(card: Card) -> dict[str, Any]:
    wallet = await ledger.LedgerAccount.get(card_id=card.id)
    per_payment, per_day = cards.limits_of(card)
    today = ledger.local_today()
    return {
        "id": card.id,
        "number": mask(card.number),
        "last4": card.number[-4:],
        "state": card.state,
        "balance": wallet.balance,
        "physical_card": card.physical_masked,
        "limits": {"per_payment": per_payment, "per_day": per_day,
                   "spent_today": wallet.spent_today if wallet.spent_day == today else 0},
        "frozen_at": card.frozen_at.isoformat() if card.frozen_at else None,
        "created_at": card.created_at.isoformat(),
    }


def citizen_routes() -> list:
    @post("/card", guards=[CITIZEN], summary="Issue my citizen card (real-name level 2 or above)")
    async def issue_card(request: Request) -> dict[str, Any]:
        return await card_view(await cards.issue(principal_of(request)))

    @get("/card", guards=[CITIZEN], summary="My citizen card, its state and balance")
    async def my_card(request: Request) -> dict[str, Any]:
        principal = principal_of(request)
        if principal.acting_for is not None:
            raise core_errors.FORBIDDEN(details={"reason": "proxy sessions may only report a loss"})
        return await card_view(await cards.require_live_card(principal.account_id))

    @post("/card/loss", guards=[CITIZEN], status_code=200,
          summary="Report the card lost: frozen at once (also by a relative with a proxy grant)")
    async def report_loss(request: Request) -> dict[str, Any]:
        card = await cards.report_loss(principal_of(request))
        return {"number": mask(card.number), "state": card.state}

    @post("/card/unfreeze", guards=[CITIZEN], status_code=200, summary="Found the card: unfreeze it")
    async def unfreeze(request: Request) -> dict[str, Any]:
        return await card_view(await cards.unfreeze(principal_of(request)))

    @post("/card/replace", guards=[CITIZEN], summary="Replace the card: new number, balance moved")
    async def replace(request: Request) -> dict[str, Any]:
        return await card_view(await cards.replace(principal_of(request)))

    @post("/card/cancel", guards=[CITIZEN], status_code=200, summary="Cancel the card (balance must be zero)")
    async def cancel(request: Request) -> dict[str, Any]:
        card = await cards.cancel(principal_of(request))
        return {"number": mask(card.number), "state": card.state}

    @put("/card/physical", guards=[CITIZEN], summary="Bind the physical financial IC card")
    async def bind_physical(request: Request, data: JSONBody[PhysicalBody]) -> dict[str, Any]:
        return await card_view(await cards.bind_physical(principal_of(request), data.number))

    @delete("/card/physical", guards=[CITIZEN], status_code=200, summary="Unbind the physical card")
    async def unbind_physical(request: Request) -> dict[str, Any]:
        return await card_view(await cards.unbind_physical(principal_of(request)))

    @put("/card/limits", guards=[CITIZEN], summary="Lower (or restore) my payment limits")
    async def set_limits(request: Request, data: JSONBody[LimitsBody]) -> dict[str, Any]:
        return await card_view(await cards.set_limits(principal_of(request), data.per_payment, data.per_day))

    @post("/card/qr", guards=[CITIZEN], status_code=200,
          summary="A fresh dynamic payment QR token (image=svg|png adds the rendered image)")
    async def new_qr(request: Request, image: FromQuery[str | None] = None) -> dict[str, Any]:
        principal = principal_of(request)
        if principal.acting_for is not None:
            raise core_errors.FORBIDDEN(details={"reason": "proxy sessions may only report a loss"})
        if image not in (None, "svg", "png"):
            raise core_errors.BAD_REQUEST(details={"field": "image", "allowed": ["svg", "png"]})
        issued = await qr.issue_token(await cards.require_live_card(principal.account_id))
        body: dict[str, Any] = {
            "token": issued.token, "kid": issued.claims.kid, "counter": issued.claims.counter,
            "expires_at": issued.claims.expires_at, "ttl_seconds": issued.claims.expires_at - issued.claims.issued_at,
        }
        if image:
            media = "image/svg+xml" if image == "svg" else "image/png"
            body["image"] = f"data:{media};base64," + base64.b64encode(qr.render(issued.token, image)).decode()
        return body

    @get("/card/transactions", guards=[CITIZEN], summary="My wallet transactions, newest first")
    async def list_transactions(request: Request, before_id: FromQuery[int | None] = None,
                                limit: FromQuery[int] = 20) -> dict[str, Any]:
        principal = principal_of(request)
        if principal.acting_for is not None:
            raise core_errors.FORBIDDEN(details={"reason": "proxy sessions may only report a loss"})
        return await statements.transactions(principal.account_id, before_id=before_id, limit=limit)

    @get("/card/statements/{month:str}", guards=[CITIZEN], summary="My monthly statement (YYYY-MM, Asia/Shanghai)")
    async def monthly_statement(request: Request, month: FromPath[str]) -> dict[str, Any]:
        principal = principal_of(request)
        if principal.acting_for is not None:
            raise core_errors.FORBIDDEN(details={"reason": "proxy sessions may only report a loss"})
        return await statements.monthly_statement(principal.account_id, month)

    @get("/card/events", guards=[CITIZEN], summary="What happened to my cards, and who did it")
    async def card_events(request: Request) -> list[dict[str, Any]]:
        principal = principal_of(request)
        if principal.acting_for is not None:
            raise core_errors.FORBIDDEN(details={"reason": "proxy sessions may only report a loss"})
        return await statements.card_events(principal.account_id)

    return [card_events, issue_card, my_card, report_loss, unfreeze, replace, cancel, bind_physical, unbind_physical,
            set_limits, new_qr, list_transactions, monthly_statement]


def public_routes() -> list:
    @get("/card/keys", summary="Public keys that verify payment QR tokens offline (no sign-in)",
         cache_control=None)
    async def public_keys() -> Response[dict[str, Any]]:
        keyring = qr.load_keyring()
        settings = get_card_settings()
        body = {"format": "ZSC1", "keys": keyring.published(), "token_ttl_seconds": settings.qr_ttl_seconds}
        return Response(body, headers={"Cache-Control": "public, max-age=300"})

    return [public_keys]


async def terminal_guard(connection: ASGIConnection, handler: BaseRouteHandler) -> None:
    """Guard of the terminal routes: a signed terminal, confirmed against the database (active,
    merchant active, secret not rotated since) unless the route opts to check that in its own
    statement. Asynchronous on purpose: Litestar runs a synchronous guard in a worker thread."""
    principal = principal_of(connection)
    if principal.kind != "terminal":
        raise core_errors.FORBIDDEN(details={"required": ["terminal"]})
    state = connection.scope.setdefault("state", {})
    signed = state.get(terminals.TERMINAL_STATE_KEY)
    if not isinstance(signed, terminals.SignedTerminal) or signed.id != principal.account_id:
        signed = await terminals.confirm(await Terminal.get(id=principal.account_id))
    elif not handler.opt.get(CHECKS_TERMINAL_ITSELF):
        signed = await terminals.confirm(signed)
    state[terminals.TERMINAL_STATE_KEY] = signed


def _terminal_of(request: Request) -> terminals.SignedTerminal:
    return request.scope["state"][terminals.TERMINAL_STATE_KEY]  # put there by terminal_guard


def terminal_routes() -> list:
    @post("/card/terminal/debits", guards=[terminal_guard],
          opt={CHECKS_TERMINAL_ITSELF: True, terminals.RECORDS_NONCE_ITSELF: True},
          summary="Take a payment with a scanned QR token")
    async def take_debit(request: Request, data: JSONBody[DebitBody]) -> Response[dict[str, Any]]:
        result = await debits.debit(
            _terminal_of(request), txn_id=data.txn_id, amount=data.amount, qr_token=data.qr_token, memo=data.memo,
            nonce=request.scope["state"][terminals.NONCE_STATE_KEY],
        )
        return Response(debits.debit_view(result), status_code=200 if result.replayed else 201)

    @get("/card/terminal/debits/{txn_id:str}", guards=[terminal_guard], summary="Look up one of my debits")
    async def get_debit(request: Request, txn_id: FromPath[str]) -> dict[str, Any]:
        terminal = _terminal_of(request)
        found = await Debit.get_or_none(terminal_id=terminal.id, txn_id=txn_id).select_related("card")
        if found is None:
            raise debits.errors.DEBIT_NOT_FOUND()
        return debits.debit_view(debits.DebitResult(found, found.card, replayed=True))

    @post("/card/terminal/refunds", guards=[terminal_guard], summary="Refund (part of) a debit of my merchant")
    async def take_refund(request: Request, data: JSONBody[RefundBody]) -> Response[dict[str, Any]]:
        result = await debits.refund(
            _terminal_of(request), txn_id=data.txn_id, amount=data.amount,
            original_txn_id=data.original_txn_id, debit_id=data.debit_id, reason=data.reason,
        )
        return Response(debits.refund_view(result), status_code=200 if result.replayed else 201)

    return [take_debit, get_debit, take_refund]


def _row_id(value: int) -> int:
    """An id from the URL that cannot exist (beyond a 64-bit key) is simply not found."""
    if not 0 < value < 2**63:
        raise core_errors.NOT_FOUND()
    return value


def operator_routes() -> list:
    @post("/card/admin/merchants", guards=[OPERATOR], summary="Register a merchant that accepts the card")
    async def create_merchant(data: JSONBody[MerchantBody]) -> dict[str, Any]:
        merchant = await terminals.register_merchant(data.name, data.credit_code)
        return {"id": merchant.id, "name": merchant.name, "credit_code": merchant.credit_code, "state": merchant.state}

    @post("/card/admin/merchants/{merchant_id:int}/terminals", guards=[OPERATOR],
          summary="Register a terminal; its secret is shown only in this answer")
    async def create_terminal(merchant_id: FromPath[int], data: JSONBody[TerminalBody]) -> dict[str, Any]:
        merchant = await Merchant.get(id=_row_id(merchant_id))
        creds = await terminals.register_terminal(merchant, data.name)
        return {"terminal_id": creds.terminal_id, "merchant_id": creds.merchant_id, "key_id": creds.key_id,
                "secret": creds.secret, "scheme": terminals.SCHEME}

    @post("/card/admin/terminals/{terminal_id:int}/rotate-secret", guards=[OPERATOR], status_code=200,
          summary="Issue a new secret to a terminal (the old one stops working)")
    async def rotate_secret(terminal_id: FromPath[int]) -> dict[str, Any]:
        creds = await terminals.rotate_terminal_secret(await Terminal.get(id=_row_id(terminal_id)))
        return {"terminal_id": creds.terminal_id, "key_id": creds.key_id, "secret": creds.secret}

    @post("/card/admin/terminals/{terminal_id:int}/state", guards=[OPERATOR], status_code=200,
          summary="Enable or disable a terminal")
    async def terminal_state(terminal_id: FromPath[int], data: JSONBody[dict[str, str]]) -> dict[str, Any]:
        state = data.get("state")
        if state not in ("active", "disabled") or set(data) != {"state"}:
            raise core_errors.BAD_REQUEST(details={"field": "state", "allowed": ["active", "disabled"]})
        terminal = await Terminal.get(id=_row_id(terminal_id))
        terminal.state = state
        await terminal.save(update_fields=["state"])
        return {"terminal_id": terminal.id, "state": terminal.state}

    return [create_merchant, create_terminal, rotate_secret, terminal_state]


def all_routes() -> list:
    return citizen_routes() + public_routes() + terminal_routes() + operator_routes()
