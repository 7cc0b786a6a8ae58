"""Money in and out of the wallet through the payment platform: top-ups (the ``card_topup``
purpose credits the wallet once its order is paid) and fees paid with the wallet (the
``card_wallet`` channel). Each posting is unique by (kind, reference): a callback delivered twice
posts once."""

from __future__ import annotations

from tortoise.exceptions import IntegrityError

from citizen_card import cards, errors, ledger
from citizen_card.models import Journal
from core.db import transaction


async def credit_topup(card_id: int, amount: int, order_no: str) -> Journal:
    """Top-up clearing → wallet. Lands on the card's successor if it was replaced meanwhile."""
    if amount <= 0:
        raise errors.BAD_AMOUNT()
    existing = await ledger.find_journal("topup", order_no)
    if existing is not None:
        return existing
    card = await cards.current_card_for_credit(card_id)
    clearing = await ledger.system_account(ledger.TOPUP_CLEARING)
    try:
        async with transaction():
            wallet = await ledger.lock_wallet(card.id)
            return await ledger.post("topup", order_no, [(clearing, -amount), (wallet, amount)], memo="充值")
    except IntegrityError:
        found = await ledger.find_journal("topup", order_no)
        if found is None:
            raise
        return found


async def pay_fee(holder_id: int, amount: int, order_no: str, memo: str = "") -> Journal:
    """Wallet → fees, for a payment order paid with the card wallet. Needs an active card and
    enough balance (fees are not subject to the terminal limits)."""
    if amount <= 0:
        raise errors.BAD_AMOUNT()
    existing = await ledger.find_journal("fee", order_no)
    if existing is not None:
        return existing
    card = await cards.require_live_card(holder_id)
    fees = await ledger.system_account(ledger.FEES)
    try:
        async with transaction():
            wallet = await ledger.lock_wallet(card.id)
            if not wallet.spendable:
                raise errors.NOT_ACTIVE(details={"state": (await cards.Card.get(id=card.id)).state})
            return await ledger.post("fee", order_no, [(wallet, -amount), (fees, amount)], memo=memo or "缴费")
    except IntegrityError:
        found = await ledger.find_journal("fee", order_no)
        if found is None:
            raise
        return found


def fee_refund_reference(order_no: str, refund_no: str) -> str:
    return f"{order_no}:{refund_no}"


async def refund_fee(order_no: str, refund_no: str, amount: int) -> Journal:
    """Fees → wallet, for a refund of an order paid with the wallet (never more than was paid).
    The journal reference is ``order_no:refund_no``, so the refunds of one order are found by prefix."""
    if amount <= 0:
        raise errors.BAD_AMOUNT()
    reference = fee_refund_reference(order_no, refund_no)
    existing = await ledger.find_journal("fee_refund", reference)
    if existing is not None:
        return existing
    paid = await ledger.find_journal("fee", order_no)
    if paid is None:
        raise errors.DEBIT_NOT_FOUND()
    leg = await ledger.Entry.filter(journal_id=paid.id, amount__lt=0).first()
    paid_wallet = await ledger.LedgerAccount.get(id=leg.account_id)
    card = await cards.current_card_for_credit(paid_wallet.card_id)
    fees = await ledger.system_account(ledger.FEES)
    try:
        async with transaction():
            wallet = await ledger.lock_wallet(card.id)
            earlier = await ledger.Entry.filter(
                journal__kind="fee_refund", journal__reference__startswith=f"{order_no}:", account_id=fees.id
            ).values_list("amount", flat=True)
            refundable = -leg.amount + sum(earlier)  # earlier fee-account legs are negative
            if amount > refundable:
                raise errors.REFUND_TOO_LARGE(details={"refundable": refundable})
            return await ledger.post("fee_refund", reference, [(fees, -amount), (wallet, amount)],
                                     memo=f"退款 {order_no}")
    except IntegrityError:
        found = await ledger.find_journal("fee_refund", reference)
        if found is None:
            raise
        return found


async def reverse_topup(order_no: str, refund_no: str, amount: int) -> Journal:
    """Wallet → top-up clearing, when a paid top-up order is refunded to the citizen's WeChat or
    Alipay. Refused (and retried by payments) while the wallet lacks the money."""
    reference = fee_refund_reference(order_no, refund_no)
    existing = await ledger.find_journal("topup_refund", reference)
    if existing is not None:
        return existing
    topup = await ledger.find_journal("topup", order_no)
    if topup is None:
        raise errors.DEBIT_NOT_FOUND()
    leg = await ledger.Entry.filter(journal_id=topup.id, amount__gt=0).first()
    credited = await ledger.LedgerAccount.get(id=leg.account_id)
    card = await cards.current_card_for_credit(credited.card_id)
    clearing = await ledger.system_account(ledger.TOPUP_CLEARING)
    try:
        async with transaction():
            wallet = await ledger.lock_wallet(card.id)
            return await ledger.post("topup_refund", reference, [(wallet, -amount), (clearing, amount)],
                                     memo=f"充值退款 {order_no}")
    except IntegrityError:
        found = await ledger.find_journal("topup_refund", reference)
        if found is None:
            raise
        return found
