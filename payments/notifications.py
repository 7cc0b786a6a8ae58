"""Provider notifications (异步通知): verify, store raw, apply exactly once, answer as required.

Every delivery is stored with its raw headers and body and what became of it. Verification is the
channel's (signature, decryption, app id, merchant id); amount and order are checked when the trade
is applied under the order's row lock, so duplicates, out-of-order and concurrent deliveries
change the state once. Forged or mismatched notifications are refused (the provider's failure
answer) and logged.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from payments import registry
from payments.contract import NotificationAnswer, NotificationRejected
from payments.models import Notification
from payments.orders import apply_trade
from payments.refunds import apply_refund_outcome

log = logging.getLogger("zhushida.payments.notify")

# Outcomes after which the provider must stop re-sending: the notification was taken into account.
ACCEPTED = {"applied", "duplicate", "paid_after_close", "not_paid", "processing", "failed"}
KEPT_HEADERS = ("content-type", "wechatpay-timestamp", "wechatpay-nonce", "wechatpay-signature",
                "wechatpay-serial", "wechatpay-signature-type", "request-id", "user-agent")


async def handle_notification(channel_name: str, headers: Mapping[str, str], body: bytes) -> NotificationAnswer | None:
    """Process one delivery; None when no such channel exists."""
    channel = registry.channels().get(channel_name)
    if channel is None:
        return None
    lowered = {k.lower(): v for k, v in headers.items()}
    raw_headers = {k: lowered[k] for k in KEPT_HEADERS if k in lowered}
    raw_body = body.decode("utf-8", errors="replace")
    try:
        verified = await channel.verify_notification(lowered, body)
    except NotificationRejected as exc:
        log.warning("%s notification refused: %s", channel_name, exc.reason)
        await Notification.create(channel=channel_name, headers=raw_headers, body=raw_body, verified=False,
                                  outcome="rejected", detail=exc.reason[:255])
        return channel.notification_answer(False, exc.reason)
    record = Notification(channel=channel_name, kind=verified.kind, headers=raw_headers, body=raw_body,
                          verified=True, outcome="", detail=(verified.notification_id or "")[:255])
    if verified.kind == "payment" and verified.trade is not None:
        record.order_no = verified.trade.order_no[:32] or None
        outcome = await apply_trade(channel_name, verified.trade, source="notification", record=record)
    elif verified.refund is not None:
        record.order_no = (verified.refund.order_no or "")[:32] or None
        record.refund_no = verified.refund.refund_no[:32] or None
        outcome = await apply_refund_outcome(channel_name, verified.refund, source="notification")
        record.outcome = outcome
        await record.save()
    else:
        record.outcome = outcome = "empty"
        await record.save()
    accepted = outcome in ACCEPTED
    if not accepted:
        log.warning("%s notification for %s refused: %s", channel_name, record.refund_no or record.order_no, outcome)
    return channel.notification_answer(accepted, outcome)
