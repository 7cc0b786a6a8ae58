"""Helpers of the citizen-card tests: a signing terminal client, funded cards, error checks."""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass

import httpx

from citizen_card import funding, terminals
from citizen_card.models import Card, LedgerAccount


@dataclass
class TerminalClient:
    """A terminal that signs every request exactly as docs/citizen-card.md tells integrators."""

    client: httpx.AsyncClient
    key_id: str
    secret: str
    merchant_id: int
    terminal_id: int

    async def request(self, method: str, path: str, body: dict | None = None, *, ts: int | None = None,
                      nonce: str | None = None, secret: str | None = None) -> httpx.Response:
        raw = json.dumps(body).encode() if body is not None else b""
        header = terminals.sign_for(self.key_id, secret or self.secret, method, path, raw, ts=ts, nonce=nonce)
        headers = {"Authorization": header}
        if body is not None:
            headers["Content-Type"] = "application/json"
        return await self.client.request(method, path, content=raw, headers=headers)

    async def debit(self, token: str, amount: int, txn_id: str | None = None, **kw) -> httpx.Response:
        body = {"txn_id": txn_id or secrets.token_hex(8), "amount": amount, "qr_token": token}
        return await self.request("POST", "/card/terminal/debits", body, **kw)

    async def refund(self, amount: int, *, txn_id: str | None = None, **target) -> httpx.Response:
        body = {"txn_id": txn_id or secrets.token_hex(8), "amount": amount, **target}
        return await self.request("POST", "/card/terminal/refunds", body)


async def make_terminal(client: httpx.AsyncClient, name: str = "社区超市", credit_code: str = "91430200MA4L16XK26") -> TerminalClient:
    merchant = await terminals.register_merchant(name, credit_code)
    creds = await terminals.register_terminal(merchant, "收银台 1")
    return TerminalClient(client, creds.key_id, creds.secret, merchant.id, creds.terminal_id)


async def fund(holder_id: int, amount: int, order_no: str | None = None) -> None:
    """Credit the holder's live card as a paid top-up order would."""
    card = await Card.filter(holder_id=holder_id).exclude(state="cancelled").first()
    await funding.credit_topup(card.id, amount, order_no or f"T{secrets.token_hex(6)}")


async def balance(holder_id: int) -> int:
    card = await Card.filter(holder_id=holder_id).exclude(state="cancelled").first()
    return (await LedgerAccount.get(card_id=card.id)).balance


def assert_refused(response: httpx.Response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["code"] == code, body
    assert body["message"] and body["message_en"] and body["request_id"]
    return body
