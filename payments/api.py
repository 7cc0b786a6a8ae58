"""The public API of the payment platform, for other packages (cases, citizen card, delivery, BFF).

    from payments import api

    order = await api.create_order("case", str(case.id), payer_account_id=citizen_id,
                                   client_key=idempotency_key)
    prepay = await api.pay(order.order_no, "wechatpay", "jsapi",
                           PayerContext(account_id=citizen_id, openid=openid))
    refund = await api.refund(order.order_no, 500, expected_refundable_fen=order.amount_fen,
                              reason="部分退费", client_key=key)

Amounts always come from the purpose's ``describe`` (server side). Every function raises
``core.errors.AppError`` with a stable ``payments.*`` code on refusal and leaves state untouched.
"""

from __future__ import annotations

from payments.contract import OrderInfo, PayerContext, PrepayResult, RefundInfo


async def create_order(
    purpose_kind: str,
    purpose_ref: str,
    *,
    payer_account_id: int,
    client_key: str,
) -> OrderInfo:
    """Create (or return) the order for one purpose, idempotently by ``client_key``.

    Same key + same request → the original order; same key + different request → 409
    ``payments.idempotency_conflict``. A purpose already paid → 409 ``payments.already_paid``;
    an unpaid open order for the purpose is returned instead of a second one.
    """
    from payments import orders

    return await orders.create_order(
        purpose_kind, purpose_ref, payer_account_id=payer_account_id, client_key=client_key
    )


async def get_order(order_no: str) -> OrderInfo:
    """The order with this merchant order number (404 ``payments.order_not_found``)."""
    from payments import orders

    return await orders.get_order_info(order_no)


async def orders_for_purpose(purpose_kind: str, purpose_ref: str) -> list[OrderInfo]:
    """Every order ever made for one purpose, newest first (closed/failed ones included)."""
    from payments import orders

    return await orders.orders_for_purpose(purpose_kind, purpose_ref)


async def paid_order_for(purpose_kind: str, purpose_ref: str) -> OrderInfo | None:
    """The paid (possibly partly refunded) order of a purpose, or None."""
    from payments import orders

    return await orders.paid_order_for(purpose_kind, purpose_ref)


async def pay(order_no: str, channel: str, method: str, payer: PayerContext) -> PrepayResult:
    """Start paying an order through a channel; returns what the client needs (signed)."""
    from payments import orders

    return await orders.start_payment(order_no, channel, method, payer)


async def cancel_order(order_no: str, *, reason: str = "cancelled") -> OrderInfo:
    """Close an unpaid order (closing it at the provider too); a paid order → 409."""
    from payments import orders

    return await orders.cancel_order(order_no, reason=reason)


async def refund(
    order_no: str,
    amount_fen: int,
    *,
    expected_refundable_fen: int,
    reason: str,
    client_key: str,
    actor: str = "system",
) -> RefundInfo:
    """Refund ``amount_fen`` of a paid order (full or partial), idempotently by ``client_key``.

    ``expected_refundable_fen`` is what the caller believes is still refundable; if another
    refund got there first it differs and the request is refused (409 ``payments.refundable_changed``),
    so two racing refunds cannot both pass.
    """
    from payments import refunds

    return await refunds.request_refund(
        order_no, amount_fen, expected_refundable_fen=expected_refundable_fen, reason=reason,
        client_key=client_key, actor=actor,
    )


async def get_refunds(order_no: str) -> list[RefundInfo]:
    """Every refund of an order, oldest first."""
    from payments import refunds

    return await refunds.refunds_of(order_no)
