"""Stable error codes of the payment platform (clients switch on ``code``)."""

from __future__ import annotations

from core.errors import define

UNKNOWN_PURPOSE = define("payments.unknown_purpose", 400, "不支持该支付事项", "Unknown payment purpose")
INVALID_AMOUNT = define("payments.invalid_amount", 400, "支付金额无效", "The amount is invalid")
INVALID_KEY = define("payments.invalid_client_key", 400, "请求标识（client_key）无效", "The client key is invalid")
IDEMPOTENCY_CONFLICT = define(
    "payments.idempotency_conflict", 409,
    "该请求标识已用于另一笔不同的请求", "This client key was already used for a different request",
)
ALREADY_PAID = define("payments.already_paid", 409, "该事项已支付，无需重复支付", "This has already been paid")
NOT_PAYER = define("payments.not_payer", 403, "您不是该事项的缴费人", "You are not the payer of this item")
ORDER_NOT_FOUND = define("payments.order_not_found", 404, "支付订单不存在", "No such payment order")
ORDER_NOT_PAYABLE = define(
    "payments.order_not_payable", 409, "订单当前状态不能支付（已关闭、已支付或已过期）",
    "The order cannot be paid in its current state (closed, paid or expired)",
)
ORDER_NOT_CANCELLABLE = define(
    "payments.order_not_cancellable", 409, "订单已支付，不能取消，请申请退款", "The order is paid; request a refund instead",
)
CHANNEL_LOCKED = define(
    "payments.channel_locked", 409, "订单已选择其他支付方式，请取消后重新下单",
    "The order is being paid through another channel; cancel it and create a new one",
)
UNKNOWN_CHANNEL = define("payments.unknown_channel", 400, "不支持该支付方式", "Unsupported payment channel or method")
CHANNEL_NOT_ALLOWED = define(
    "payments.channel_not_allowed", 400, "该事项不支持此支付方式", "This payment method is not available for this item",
)
OPENID_REQUIRED = define(
    "payments.openid_required", 400, "小程序支付需要用户的 openid", "Mini-program payment needs the payer's openid",
)
PROVIDER_ERROR = define(
    "payments.provider_error", 502, "支付渠道暂时不可用，请稍后再试", "The payment provider failed; try again later",
)
PROVIDER_REFUSED = define("payments.provider_refused", 409, "支付渠道拒绝了该请求", "The payment provider refused the request")
NOT_REFUNDABLE = define(
    "payments.not_refundable", 409, "订单当前状态不能退款", "The order cannot be refunded in its current state",
)
REFUND_TOO_LARGE = define(
    "payments.refund_exceeds_refundable", 409, "退款金额超过可退金额", "The refund exceeds the refundable amount",
)
REFUNDABLE_CHANGED = define(
    "payments.refundable_changed", 409, "可退金额已变化（可能有其他退款），请刷新后重试",
    "The refundable amount changed (another refund?); refresh and try again",
)
REFUND_NOT_FOUND = define("payments.refund_not_found", 404, "退款单不存在", "No such refund")
BAD_DATE = define("payments.invalid_date", 400, "日期格式应为 YYYY-MM-DD", "The date must be YYYY-MM-DD")
