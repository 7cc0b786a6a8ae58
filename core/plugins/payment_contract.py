"""The payment contract other packages plug into: purposes (what is paid for) and channels (how).

Records are frozen dataclasses; re-exported by :mod:`core.hooks`. They carry plain values, never
ORM objects, so a purpose or channel never depends on the payments tables.

* A **purpose** (``zhushida_payment_purposes`` hook) says, for a reference the client names, what
  the amount is (server-side, integer fen), what the subject is and who must pay; and it is told,
  exactly once, when an order for it was paid or refunded.
* A **channel** (``zhushida_payment_channels`` hook) talks to one provider: prepay, query, close,
  refund, verify a notification, download the daily bill.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal, Protocol, runtime_checkable

OrderState = Literal["created", "paying", "paid", "partially_refunded", "refunded", "closed", "failed"]
RefundState = Literal["processing", "succeeded", "failed"]
TradeState = Literal["not_paid", "paid", "closed", "refunded", "unknown"]


# ---- purposes ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PurposeQuote:
    """What a purpose says about one reference: the authoritative amount, subject and payer.

    ``payer_account_id`` is the citizen account that must pay (the applicant of a case, the card
    holder...); payments refuses an order requested by anyone else.
    """

    amount_fen: int
    subject: str
    payer_account_id: int
    subject_en: str = ""
    expires_in_seconds: int | None = None  # None: the platform default (30 minutes)
    attach: Mapping[str, Any] = field(default_factory=dict)  # copied onto the order, echoed back


@dataclass(frozen=True, slots=True)
class OrderInfo:
    """A read-only snapshot of a payment order, as purposes and channels see it."""

    order_no: str  # merchant order number (商户订单号), sent to the provider as out_trade_no
    amount_fen: int
    subject: str
    payer_account_id: int
    purpose_kind: str
    purpose_ref: str
    state: OrderState
    channel: str | None
    method: str | None
    expires_at: datetime
    created_at: datetime
    paid_at: datetime | None = None
    transaction_id: str | None = None  # the provider's trade number (微信支付订单号 / 支付宝交易号)
    refunded_fen: int = 0
    attach: Mapping[str, Any] = field(default_factory=dict)
    # What a refund may still take: paid - refunded - refunds in progress (0 unless paid).
    # Pass it as ``expected_refundable_fen`` when refunding.
    refundable_fen: int = 0


@dataclass(frozen=True, slots=True)
class RefundInfo:
    """A read-only snapshot of one refund (each refund of an order is its own object)."""

    refund_no: str  # merchant refund number (商户退款单号), out_refund_no / out_request_no
    order_no: str
    amount_fen: int
    reason: str
    state: RefundState
    created_at: datetime
    succeeded_at: datetime | None = None
    provider_refund_id: str | None = None


@dataclass(frozen=True, slots=True)
class PaymentPurpose:
    """One kind of thing citizens pay for, registered through ``zhushida_payment_purposes``.

    ``describe(ref, payer_account_id)`` returns a :class:`PurposeQuote` or raises an
    ``AppError`` (unknown reference, nothing to pay, not this citizen's). ``on_paid(order)`` and
    ``on_refunded(order, refund)`` are called exactly once per order / per succeeded refund, inside
    a database transaction that also records that the callback ran: keep them quick, database
    only (no outside calls; enqueue a task for those — it is sent after the commit). If one
    raises, it is retried later by a periodic task; the payment itself stays recorded.
    """

    kind: str  # "case", "bundle", "card_topup", "delivery_fee", ...
    describe: Callable[[str, int], Awaitable[PurposeQuote]]
    on_paid: Callable[[OrderInfo], Awaitable[None]]
    on_refunded: Callable[[OrderInfo, RefundInfo], Awaitable[None]] | None = None
    channels: Sequence[str] | None = None  # channel names allowed for this purpose; None = all
    title: str = ""
    title_en: str = ""


# ---- channels ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PayerContext:
    """Who is paying, as a channel needs it (WeChat JSAPI needs the payer's openid)."""

    account_id: int
    openid: str | None = None
    client_ip: str = "127.0.0.1"
    return_url: str | None = None  # mobile-web pay: where the browser returns after paying


@dataclass(frozen=True, slots=True)
class ChannelTrade:
    """The provider's view of one order (answer to a query, or a verified payment notification)."""

    order_no: str
    state: TradeState
    amount_fen: int | None = None
    transaction_id: str | None = None
    paid_at: datetime | None = None
    app_id: str | None = None
    merchant_id: str | None = None
    raw: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class PrepayResult:
    """What the client needs to pay (e.g. the ``wx.requestPayment`` parameters, an Alipay order
    string or URL). A channel that settles at once (card wallet) returns ``completed``."""

    method: str
    client_params: Mapping[str, Any]
    provider_ref: str | None = None  # prepay_id, ...
    completed: ChannelTrade | None = None


@dataclass(frozen=True, slots=True)
class RefundOutcome:
    """The provider's view of one refund."""

    refund_no: str
    state: RefundState
    amount_fen: int | None = None
    provider_refund_id: str | None = None
    order_no: str | None = None
    succeeded_at: datetime | None = None
    raw: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class VerifiedNotification:
    """A notification whose signature (and encryption) checked out: a trade or a refund."""

    kind: Literal["payment", "refund"]
    trade: ChannelTrade | None = None
    refund: RefundOutcome | None = None
    notification_id: str | None = None


@dataclass(frozen=True, slots=True)
class NotificationAnswer:
    """The HTTP answer the provider requires (WeChat: JSON code; Alipay: plain ``success``)."""

    status: int
    body: bytes
    media_type: str = "application/json"


@dataclass(frozen=True, slots=True)
class BillLine:
    """One line of a channel's daily bill (对账单)."""

    kind: Literal["payment", "refund"]
    order_no: str
    amount_fen: int
    state: str  # "SUCCESS" for payments and refunds that settled
    transaction_id: str | None = None
    refund_no: str | None = None
    at: datetime | None = None


class NotificationRejected(Exception):
    """A notification failed verification (signature, decryption, app id, merchant id...)."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


@runtime_checkable
class PaymentChannel(Protocol):
    """One provider, registered through ``zhushida_payment_channels``.

    ``name`` is stored on orders ("wechatpay", "alipay", "card_wallet"); ``methods`` are the pay
    methods it offers ("jsapi", "app", "wap", "wallet"). Every call may raise ``AppError`` for a
    refusal the citizen can act on; a provider outage raises ``AppError`` with a 502/503 code.
    """

    name: str
    methods: Sequence[str]

    async def prepay(self, order: OrderInfo, method: str, payer: PayerContext) -> PrepayResult: ...

    async def query(self, order: OrderInfo) -> ChannelTrade: ...

    async def close(self, order: OrderInfo) -> None: ...

    async def refund(self, order: OrderInfo, refund: RefundInfo) -> RefundOutcome: ...

    async def query_refund(self, order: OrderInfo, refund: RefundInfo) -> RefundOutcome: ...

    async def verify_notification(self, headers: Mapping[str, str], body: bytes) -> VerifiedNotification:
        """Verify exactly as the provider specifies; raise :class:`NotificationRejected` if not."""
        ...

    def notification_answer(self, accepted: bool, message: str = "") -> NotificationAnswer: ...

    async def download_bill(self, day: date) -> list[BillLine]: ...

