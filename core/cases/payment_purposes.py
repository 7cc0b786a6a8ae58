"""The case fee and the bundle fee as payment purposes: the amount always comes from the server —
the item's fee recorded on the case, or a bundle's fees plus its children's charges (never from
the client); a paid order releases the payment hold."""

from __future__ import annotations

from core import errors, tasks
from core.cases import api, bundles
from core.cases import errors as E
from core.cases.models import BundleCase, Case


def _id(ref: str) -> int:
    if not str(ref).isdigit():
        raise errors.NOT_FOUND()
    return int(ref)


async def describe_case(ref: str, payer_account_id: int):
    from core.hooks import PurposeQuote

    case = await Case.get_or_none(id=_id(ref))
    if case is None or case.applicant_id != payer_account_id:
        raise errors.NOT_FOUND()
    if case.bundle_id is not None:  # type: ignore[attr-defined]
        raise E.PAYMENT_MISMATCH(details={"reason": "pay the bundle", "bundle_case_id": case.bundle_id})  # type: ignore[attr-defined]
    if case.payment_state != "unpaid" or case.fee_fen <= 0 or case.closed_at is not None:
        raise E.PAYMENT_MISMATCH(details={"reason": "nothing to pay", "payment_state": case.payment_state,
                                          "state": case.state})
    return PurposeQuote(amount_fen=case.fee_fen, subject=f"{case.item_name} {case.case_no}",
                        subject_en=f"Fee of case {case.case_no}", payer_account_id=case.applicant_id,
                        attach={"case_no": case.case_no})


async def case_paid(order) -> None:
    await api.mark_paid(_id(order.purpose_ref), amount_fen=order.amount_fen, payment_ref=order.order_no)


async def describe_bundle(ref: str, payer_account_id: int):
    """One payment for the whole bundle: the items' fees plus the charges its child cases
    contribute (the deed tax...), computed now; refused while one is not determined."""
    from core.hooks import PurposeQuote

    bc = await BundleCase.get_or_none(id=_id(ref))
    if bc is None or bc.applicant_id != payer_account_id:
        raise errors.NOT_FOUND()
    if bc.payment_state not in ("unpaid", "none"):
        raise E.PAYMENT_MISMATCH(details={"reason": "nothing to pay", "payment_state": bc.payment_state})
    total, lines = await bundles.amount_due(bc)
    if total <= 0:
        raise E.PAYMENT_MISMATCH(details={"reason": "nothing to pay", "payment_state": bc.payment_state})
    return PurposeQuote(amount_fen=total, subject=f"{bc.name} {bc.bundle_no}",
                        subject_en=f"Fee of bundle {bc.bundle_no}", payer_account_id=bc.applicant_id,
                        attach={"bundle_no": bc.bundle_no, "lines": lines})


async def bundle_paid(order) -> None:
    """The bundle's payment applies to the quote kept on the order (``attach.lines``); lines that
    cannot be settled any more are refunded by the payment platform after commit."""
    async def refund(amount_fen: int, lines: list[dict]) -> None:
        bundle_case_id = _id(order.purpose_ref)
        await bundles.record_refund(bundle_case_id, order.order_no, sorted({x["case_no"] for x in lines}),
                                    refund_no="", amount_fen=amount_fen, state="requested")
        # By name: core does not import the payment platform. One client key per order: a retry
        # (or a replayed notification) asks for the same refund and gets it back, never a second.
        await tasks.enqueue("payments.refund_order_part", order_no=order.order_no, amount_fen=amount_fen,
                            expected_refundable_fen=order.refundable_fen or order.amount_fen,
                            reason=BUNDLE_REFUND_REASON, client_key=f"bundle-refund-{order.order_no}")

    await bundles.mark_bundle_paid(_id(order.purpose_ref), amount_fen=order.amount_fen, payment_ref=order.order_no,
                                   quoted_lines=(order.attach or {}).get("lines"), refund=refund)


BUNDLE_REFUND_REASON = "一件事部分退费（事项已终止或费用变化）Bundle partial refund: item ended or charge changed"


async def bundle_refunded(order, refund) -> None:
    """The refund of a bundle's payment succeeded: noted on the children it was asked for."""
    bundle_case_id = _id(order.purpose_ref)
    case_nos = await bundles.refund_requested_for(bundle_case_id, order.order_no)
    if case_nos:
        await bundles.record_refund(bundle_case_id, order.order_no, case_nos, refund_no=refund.refund_no,
                                    amount_fen=refund.amount_fen, state=refund.state)


def purposes() -> list:
    from core.hooks import PaymentPurpose

    return [
        PaymentPurpose("case", describe_case, case_paid, title="办件缴费", title_en="Case fee"),
        PaymentPurpose("bundle", describe_bundle, bundle_paid, on_refunded=bundle_refunded, title="一件事缴费",
                       title_en="Bundle fee"),
    ]
