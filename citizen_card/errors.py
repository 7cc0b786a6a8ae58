"""Refusals of the citizen-card package: stable codes, Chinese messages with English beside."""

from __future__ import annotations

from core.errors import define

NO_CARD = define("card.not_found", 404, "您还没有市民卡", "You have no citizen card")
ALREADY_ISSUED = define("card.already_issued", 409, "您已有一张有效的市民卡", "You already hold a live citizen card")
NOT_ACTIVE = define("card.not_active", 409, "市民卡已挂失或注销，不能使用", "The citizen card is frozen or cancelled")
NOT_FROZEN = define("card.not_frozen", 409, "市民卡未处于挂失状态", "The citizen card is not frozen")
CANCELLED = define("card.cancelled", 409, "市民卡已注销", "The citizen card is cancelled")
BALANCE_NOT_ZERO = define(
    "card.balance_not_zero", 409, "卡内仍有余额，请先补卡或退款后再注销",
    "The card still holds a balance; replace it or have it refunded before cancelling",
)
BAD_PHYSICAL_NUMBER = define(
    "card.physical_number_invalid", 400, "实体金融卡卡号有误，请核对", "The physical financial card number is invalid",
)
PHYSICAL_TAKEN = define(
    "card.physical_number_taken", 409, "该实体卡已绑定到其他市民卡", "That physical card is bound to another citizen card",
)
PROXY_NOT_ALLOWED = define(
    "card.proxy_not_allowed", 403, "亲友代办只能办理挂失", "Acting for someone, you can only report the card lost",
)

QR_MALFORMED = define("card.qr.malformed", 400, "付款码无法识别", "The payment code is not readable")
QR_UNKNOWN_KEY = define("card.qr.unknown_key", 400, "付款码签名密钥未知", "The payment code was signed with an unknown key")
QR_BAD_SIGNATURE = define("card.qr.bad_signature", 400, "付款码签名无效", "The payment code signature is invalid")
QR_EXPIRED = define("card.qr.expired", 400, "付款码已过期，请刷新后重试", "The payment code has expired; refresh it")
QR_REPLAYED = define("card.qr.replayed", 409, "付款码已使用，请刷新后重试", "The payment code was already used; refresh it")

INSUFFICIENT = define("card.insufficient_balance", 402, "市民卡余额不足", "The citizen card balance is too low")
OVER_PAYMENT_LIMIT = define(
    "card.over_payment_limit", 422, "超过单笔支付限额", "The amount exceeds the per-payment limit",
)
OVER_DAILY_LIMIT = define("card.over_daily_limit", 422, "超过当日支付限额", "The amount exceeds the daily limit")
BAD_AMOUNT = define("card.amount_invalid", 400, "金额必须为正整数（分）", "The amount must be a positive whole number of fen")

TERMINAL_AUTH = define(
    "card.terminal.unauthenticated", 401, "终端签名校验失败", "The terminal request signature could not be verified",
)
TERMINAL_STALE = define(
    "card.terminal.stale_timestamp", 401, "终端请求时间戳已过期，请校准时钟", "The terminal request timestamp is stale; check the clock",
)
TERMINAL_NONCE = define(
    "card.terminal.nonce_reused", 401, "终端请求随机数重复", "The terminal request nonce was already used",
)
TERMINAL_DISABLED = define("card.terminal.disabled", 403, "终端或商户已停用", "The terminal or its merchant is disabled")
TXN_CONFLICT = define(
    "card.txn_conflict", 409, "交易流水号已使用且内容不同", "That transaction id was already used with different content",
)
DEBIT_NOT_FOUND = define("card.debit_not_found", 404, "原交易不存在", "The original transaction does not exist")
REFUND_TOO_LARGE = define(
    "card.refund_exceeds_debit", 422, "退款金额超过原交易可退金额", "The refund exceeds what is left of the original payment",
)
BAD_MONTH = define("card.month_invalid", 400, "月份格式应为 YYYY-MM", "The month must look like YYYY-MM")
BAD_CREDIT_CODE = define(
    "card.merchant.credit_code_invalid", 400, "统一社会信用代码有误", "The unified social credit code is invalid",
)
