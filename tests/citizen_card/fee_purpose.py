"""A fee purpose for the tests of the card wallet channel, registered as a plugin in those tests."""

from __future__ import annotations

import sys

from core.errors import define
from core.hooks import OrderInfo, PaymentPurpose, PurposeQuote, hookimpl

ZHUSHIDA_CONTRACT = "1"

FEES: dict[str, tuple[int, int]] = {}  # ref -> (amount, payer account id)
PAID: list[OrderInfo] = []
UNKNOWN = define("card_test_fee.not_found", 404, "没有这笔费用", "No such fee")


async def describe(ref: str, payer_account_id: int) -> PurposeQuote:
    if ref not in FEES:
        raise UNKNOWN()
    amount, payer = FEES[ref]
    return PurposeQuote(amount_fen=amount, subject=f"办证工本费 {ref}", payer_account_id=payer)


async def on_paid(order: OrderInfo) -> None:
    PAID.append(order)


@hookimpl
def zhushida_payment_purposes() -> PaymentPurpose:
    return PaymentPurpose(kind="card_test_fee", describe=describe, on_paid=on_paid, title="测试工本费")


def register(host) -> None:
    if "tests.citizen_card.fee_purpose" not in host.records:
        host.register_module("tests.citizen_card.fee_purpose", sys.modules[__name__])
    FEES.clear()
    PAID.clear()
