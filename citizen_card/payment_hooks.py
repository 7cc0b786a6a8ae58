"""The citizen card on the payment platform (contract in ``payments/contract.py``, records
re-exported by ``core.hooks``; nothing here imports the payments package).

* Purpose ``card_topup``: ``purpose_ref`` is ``<amount in fen>-<client nonce>`` (the citizen
  chooses the amount, the nonce makes each top-up its own purpose). ``describe`` checks the payer
  holds an active card and pins the card on the order; ``on_paid`` credits the wallet once
  (top-up clearing → wallet); ``on_refunded`` takes the money back out.
* Channel ``card_wallet`` (method ``wallet``): pays any other purpose (fees) from the wallet at
  once (wallet → fees); refunds go back to the wallet; its daily bill lists both.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from citizen_card import cards, errors, funding, ledger
from citizen_card.config import get_card_settings
from citizen_card.models import Journal
from core.errors import define
from core.hooks import (
    BillLine,
    ChannelTrade,
    NotificationAnswer,
    NotificationRejected,
    OrderInfo,
    PayerContext,
    PaymentPurpose,
    PrepayResult,
    PurposeQuote,
    RefundInfo,
    RefundOutcome,
    VerifiedNotification,
)
from core.settings import get_settings

TOPUP_REF = re.compile(r"^([1-9][0-9]{0,8})-([A-Za-z0-9_]{8,40})$")
BAD_TOPUP_REF = define(
    "card.topup_ref_invalid", 400, "充值单号格式应为 金额(分)-随机串",
    "A top-up reference looks like <amount in fen>-<random text>",
)
TOPUP_TOO_LARGE = define("card.topup_too_large", 422, "超过单笔充值上限", "The top-up exceeds the per-top-up maximum")
WRONG_PAYER = define("card.wallet_wrong_payer", 403, "只能用本人的市民卡支付", "Only the payer's own card can pay")


# ---- purpose: card_topup -------------------------------------------------------------------------


async def describe_topup(ref: str, payer_account_id: int) -> PurposeQuote:
    match = TOPUP_REF.match(ref or "")
    if not match:
        raise BAD_TOPUP_REF(details={"ref": ref})
    amount = int(match.group(1))
    ceiling = get_card_settings().topup_max
    if amount > ceiling:
        raise TOPUP_TOO_LARGE(details={"max": ceiling})
    card = await cards.require_live_card(payer_account_id)
    if card.state != "active":
        raise errors.NOT_ACTIVE(details={"state": card.state})
    return PurposeQuote(
        amount_fen=amount, subject=f"市民卡充值 尾号{card.number[-4:]}", subject_en=f"Citizen card top-up ({card.number[-4:]})",
        payer_account_id=payer_account_id, attach={"card_id": card.id},
    )


async def topup_paid(order: OrderInfo) -> None:
    await funding.credit_topup(int(order.attach["card_id"]), order.amount_fen, order.order_no)


async def topup_refunded(order: OrderInfo, refund: RefundInfo) -> None:
    await funding.reverse_topup(order.order_no, refund.refund_no, refund.amount_fen)


TOPUP_PURPOSE = PaymentPurpose(
    kind="card_topup", describe=describe_topup, on_paid=topup_paid, on_refunded=topup_refunded,
    channels=("wechatpay", "alipay"), title="市民卡充值", title_en="Citizen card top-up",
)


# ---- channel: card_wallet ------------------------------------------------------------------------


def _trade(order_no: str, journal: Journal, amount: int) -> ChannelTrade:
    return ChannelTrade(order_no=order_no, state="paid", amount_fen=amount, transaction_id=f"CW{journal.id}",
                        paid_at=journal.created_at)


async def _fee_amount(journal: Journal) -> int:
    return -sum(await ledger.Entry.filter(journal_id=journal.id, amount__lt=0).values_list("amount", flat=True))


class CardWalletChannel:
    """Pays an order from the payer's card wallet, settled at once (no notification, no network)."""

    name = "card_wallet"
    methods = ("wallet",)

    async def prepay(self, order: OrderInfo, method: str, payer: PayerContext) -> PrepayResult:
        if payer.account_id != order.payer_account_id:
            raise WRONG_PAYER()
        journal = await funding.pay_fee(order.payer_account_id, order.amount_fen, order.order_no, memo=order.subject)
        card = await cards.require_live_card(order.payer_account_id)
        balance = (await ledger.LedgerAccount.get(card_id=card.id)).balance
        return PrepayResult(method="wallet", client_params={"paid": True, "balance": balance},
                            provider_ref=f"CW{journal.id}", completed=_trade(order.order_no, journal, order.amount_fen))

    async def query(self, order: OrderInfo) -> ChannelTrade:
        journal = await ledger.find_journal("fee", order.order_no)
        if journal is None:
            return ChannelTrade(order_no=order.order_no, state="not_paid")
        return _trade(order.order_no, journal, await _fee_amount(journal))

    async def close(self, order: OrderInfo) -> None:
        return None  # nothing is held open: a wallet payment either posted or did not

    async def refund(self, order: OrderInfo, refund: RefundInfo) -> RefundOutcome:
        journal = await funding.refund_fee(order.order_no, refund.refund_no, refund.amount_fen)
        return RefundOutcome(refund_no=refund.refund_no, state="succeeded", amount_fen=refund.amount_fen,
                             provider_refund_id=f"CWR{journal.id}", order_no=order.order_no,
                             succeeded_at=journal.created_at)

    async def query_refund(self, order: OrderInfo, refund: RefundInfo) -> RefundOutcome:
        journal = await ledger.find_journal("fee_refund", funding.fee_refund_reference(order.order_no, refund.refund_no))
        if journal is None:
            return RefundOutcome(refund_no=refund.refund_no, state="failed", order_no=order.order_no)
        return RefundOutcome(refund_no=refund.refund_no, state="succeeded", amount_fen=refund.amount_fen,
                             provider_refund_id=f"CWR{journal.id}", order_no=order.order_no,
                             succeeded_at=journal.created_at)

    async def verify_notification(self, headers, body: bytes) -> VerifiedNotification:
        raise NotificationRejected("the card wallet settles at once and sends no notifications")

    def notification_answer(self, accepted: bool, message: str = "") -> NotificationAnswer:
        return NotificationAnswer(status=400, body=b'{"code":"FAIL","message":"no notifications"}')

    async def download_bill(self, day: date) -> list[BillLine]:
        """Wallet payments and refunds of one local (Asia/Shanghai) day."""
        tz = ZoneInfo(get_settings().timezone)
        start = datetime.combine(day, time.min, tzinfo=tz).astimezone(UTC)
        end = start + timedelta(days=1)
        lines: list[BillLine] = []
        journals = await Journal.filter(kind__in=("fee", "fee_refund"), created_at__gte=start,
                                        created_at__lt=end).order_by("id")
        for journal in journals:
            amount = await _fee_amount(journal) if journal.kind == "fee" else sum(
                await ledger.Entry.filter(journal_id=journal.id, amount__gt=0).values_list("amount", flat=True))
            if journal.kind == "fee":
                lines.append(BillLine("payment", journal.reference, amount, "SUCCESS", f"CW{journal.id}", at=journal.created_at))
            else:
                order_no, _, refund_no = journal.reference.partition(":")
                lines.append(BillLine("refund", order_no, amount, "SUCCESS", f"CWR{journal.id}", refund_no=refund_no,
                                      at=journal.created_at))
        return lines
