"""A test purpose ("test_fee") registered as a plugin, and helpers to play the payer and provider."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import Any

import httpx

from core.errors import define
from core.hooks import OrderInfo, PaymentPurpose, PurposeQuote, RefundInfo, hookimpl

ZHUSHIDA_CONTRACT = "1"

NO_SUCH_FEE = define("test_fee.not_found", 404, "没有这笔费用", "No such fee")


@dataclass
class FeeBook:
    """Fees the test purpose knows: ref -> (amount_fen, payer account id)."""

    fees: dict[str, tuple[int, int]] = field(default_factory=dict)
    paid: list[OrderInfo] = field(default_factory=list)
    refunded: list[tuple[OrderInfo, RefundInfo]] = field(default_factory=list)
    fail_on_paid: bool = False

    def reset(self) -> None:
        self.fees.clear()
        self.paid.clear()
        self.refunded.clear()
        self.fail_on_paid = False


BOOK = FeeBook()


async def describe(ref: str, payer_account_id: int) -> PurposeQuote:
    if ref not in BOOK.fees:
        raise NO_SUCH_FEE(details={"ref": ref})
    amount, payer = BOOK.fees[ref]
    return PurposeQuote(amount_fen=amount, subject=f"测试费用 {ref}", payer_account_id=payer)


async def on_paid(order: OrderInfo) -> None:
    if BOOK.fail_on_paid:
        raise RuntimeError("purpose is down")
    BOOK.paid.append(order)


async def on_refunded(order: OrderInfo, refund: RefundInfo) -> None:
    BOOK.refunded.append((order, refund))


@hookimpl
def zhushida_payment_purposes() -> PaymentPurpose:
    return PaymentPurpose(kind="test_fee", describe=describe, on_paid=on_paid, on_refunded=on_refunded,
                          title="测试费用", title_en="Test fee")


def register(host) -> None:
    if "tests.payments" not in host.records:
        host.register_module("tests.payments", sys.modules[__name__])


async def sandbox(settings, method: str, path: str, **kwargs: Any) -> httpx.Response:
    async with httpx.AsyncClient(base_url=settings.effective_sandbox_url, timeout=15) as http:
        return await http.request(method, path, **kwargs)


async def deliver(client: httpx.AsyncClient, channel: str, notification: dict[str, Any]) -> httpx.Response:
    """Replay a notification the sandbox built (signed headers + body) to our notify endpoint."""
    return await client.post(f"/payments/notify/{channel}", content=notification["body"].encode(),
                             headers=notification["headers"])
