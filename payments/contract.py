"""The payment hook contract lives in the kernel (core.plugins.payment_contract), so that core never imports
this package; re-exported here for the package's own code."""

from core.plugins.payment_contract import (  # noqa: F401
    BillLine,
    ChannelTrade,
    NotificationAnswer,
    NotificationRejected,
    OrderInfo,
    OrderState,
    PayerContext,
    PaymentChannel,
    PaymentPurpose,
    PrepayResult,
    PurposeQuote,
    RefundInfo,
    RefundOutcome,
    RefundState,
    TradeState,
    VerifiedNotification,
)
