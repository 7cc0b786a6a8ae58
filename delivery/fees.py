"""The ``delivery_fee`` payment purpose: the courier fee a citizen pays through the payment
platform (the department pays nothing here when it bears the fee — no order is made then)."""

from __future__ import annotations

from core import errors
from delivery import errors as delivery_errors
from delivery.models import Shipment, ShipmentState
from payments.contract import OrderInfo, PaymentPurpose, PurposeQuote, RefundInfo


async def describe(ref: str, payer_account_id: int) -> PurposeQuote:
    shipment = await Shipment.get_or_none(no=ref)
    if shipment is None or shipment.account_id != payer_account_id:
        raise errors.NOT_FOUND()
    if shipment.state != ShipmentState.AWAITING_PAYMENT or shipment.fee_fen <= 0:
        raise delivery_errors.WRONG_STAGE(details={"state": shipment.state.value})
    return PurposeQuote(
        amount_fen=shipment.fee_fen,
        subject=f"寄递费 {shipment.item_name}"[:64],
        subject_en=f"Courier fee ({shipment.no})",
        payer_account_id=shipment.account_id,
        attach={"shipment_no": shipment.no, "case_id": shipment.case_id},
    )


async def on_paid(order: OrderInfo) -> None:
    from delivery import shipments

    await shipments.fee_paid(order.purpose_ref)


async def on_refunded(order: OrderInfo, refund: RefundInfo) -> None:
    # Refunds are only made for cancelled shipments; nothing else changes.
    return None


PURPOSE = PaymentPurpose(
    kind="delivery_fee", describe=describe, on_paid=on_paid, on_refunded=on_refunded,
    title="寄递费", title_en="Courier fee",
)
