"""The case fee and the bundle fee as payment purposes: the amount always comes from the item's
fee recorded on the case (never from the client); a paid order releases the payment hold."""

from __future__ import annotations

from core import errors
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
    from core.hooks import PurposeQuote

    bc = await BundleCase.get_or_none(id=_id(ref))
    if bc is None or bc.applicant_id != payer_account_id:
        raise errors.NOT_FOUND()
    if bc.payment_state != "unpaid" or bc.fee_fen <= 0:
        raise E.PAYMENT_MISMATCH(details={"reason": "nothing to pay", "payment_state": bc.payment_state})
    return PurposeQuote(amount_fen=bc.fee_fen, subject=f"{bc.name} {bc.bundle_no}",
                        subject_en=f"Fee of bundle {bc.bundle_no}", payer_account_id=bc.applicant_id,
                        attach={"bundle_no": bc.bundle_no})


async def bundle_paid(order) -> None:
    await bundles.mark_bundle_paid(_id(order.purpose_ref), amount_fen=order.amount_fen, payment_ref=order.order_no)


def purposes() -> list:
    from core.hooks import PaymentPurpose

    return [
        PaymentPurpose("case", describe_case, case_paid, title="办件缴费", title_en="Case fee"),
        PaymentPurpose("bundle", describe_bundle, bundle_paid, title="一件事缴费", title_en="Bundle fee"),
    ]
