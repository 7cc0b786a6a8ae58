"""Pushing messages out: WeChat subscribe messages (wechatpy, the sandbox offline) and SMS.

One background task per message (``messages.deliver``) tries every channel the citizen's
settings allow. Each channel has a :class:`Delivery` row, so a retried task never sends twice on a
channel that already succeeded. A subscribe message needs a grant (the user tapped "allow" once
per message): no openid, no grant or the user's refusal (43101) skip the channel; a transient
failure (network, token) gives the grant back and raises, so the task is retried; after the last
attempt the delivery is marked failed.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F
from wechatpy.exceptions import WeChatClientException

from core.messages import contacts
from core.messages.api import effective_channels, template_ids
from core.messages.kinds import MessageKind, get_kind
from core.messages.models import Channel, Delivery, DeliveryStatus, Message, WeChatGrant
from core.tasks import task

log = logging.getLogger("zhushida.messages")

MAX_ATTEMPTS = 4  # the first try and three retries (the task's max_retries)
WECHAT_REFUSED = 43101
WECHAT_PERMANENT = {40003, 40037, 47003}  # bad openid / template / data: retrying cannot help
SHANGHAI = ZoneInfo("Asia/Shanghai")


class _Skip(Exception):
    def __init__(self, reason: str) -> None:
        self.reason = reason


class _Permanent(Exception):
    pass


@task("messages.deliver", max_retries=MAX_ATTEMPTS - 1, retry_delay=2.0)
async def deliver_message(message_id: int) -> dict[str, str]:
    message = await Message.get_or_none(id=message_id)
    if message is None:
        # Enqueued before the sender's transaction committed (or it rolled back): try again later,
        # and give up quietly after the last attempt.
        raise LookupError(f"message {message_id} not visible yet")
    kind = get_kind(message.kind)
    wanted = await effective_channels(message.account_id, message.kind)
    outcome: dict[str, str] = {}
    transient: Exception | None = None
    for channel, sender in ((Channel.WECHAT, _send_wechat), (Channel.SMS, _send_sms)):
        if not wanted[channel.value]:
            continue
        try:
            outcome[channel.value] = await _deliver_once(message, kind, channel, sender)
        except Exception as exc:  # keep going with the other channel, then let the task retry
            transient = exc
            outcome[channel.value] = "retry"
    if transient is not None:
        raise transient
    return outcome


async def _deliver_once(message: Message, kind: MessageKind | None, channel: Channel, sender) -> str:
    delivery = await Delivery.get_or_none(message_id=message.id, channel=channel)
    if delivery is None:
        try:
            delivery = await Delivery.create(message_id=message.id, channel=channel)
        except IntegrityError:
            delivery = await Delivery.get(message_id=message.id, channel=channel)
    if delivery.status != DeliveryStatus.PENDING:
        return delivery.status.value
    delivery.attempts += 1
    try:
        delivery.provider_id = (await sender(message, kind)) or ""
        delivery.status, delivery.sent_at, delivery.reason = DeliveryStatus.SENT, datetime.now(UTC), ""
    except _Skip as skip:
        delivery.status, delivery.reason = DeliveryStatus.SKIPPED, skip.reason
    except _Permanent as exc:
        delivery.status, delivery.reason = DeliveryStatus.FAILED, str(exc)[:200]
    except Exception as exc:
        delivery.reason = f"{type(exc).__name__}: {exc}"[:200]
        if delivery.attempts >= MAX_ATTEMPTS:
            delivery.status = DeliveryStatus.FAILED
            log.error("message %s: %s delivery failed for good: %s", message.id, channel.value, delivery.reason)
        else:
            await delivery.save(update_fields=["attempts", "reason"])
            raise
    await delivery.save(update_fields=["attempts", "status", "sent_at", "reason", "provider_id"])
    return delivery.status.value


# ---- WeChat subscribe message -------------------------------------------------------------------------


def _short(value: str, limit: int = 20) -> str:
    value = " ".join(str(value or "").split()) or "-"
    return value if len(value) <= limit else value[: limit - 1] + "…"


def template_data(message: Message, kind: MessageKind | None) -> tuple[str, dict[str, dict[str, str]]]:
    """The template key and the keyword values of a subscribe message (each ≤ 20 characters)."""
    template = kind.template if kind else "notice"
    params = message.data or {}
    at = message.created_at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")
    status = (kind.status_label if kind else "") or "通知"
    if template == "case_status":
        values = {"thing1": params.get("service_name") or message.title, "phrase2": _short(status, 5),
                  "character_string3": params.get("case_no") or "-", "time4": at,
                  "thing5": params.get("comment") or message.title}
    elif template == "certificate":
        values = {"thing1": params.get("type_name") or message.title, "phrase2": _short(status, 5), "time3": at}
    elif template == "evaluation":
        values = {"thing1": message.title, "phrase2": _short(status, 5), "thing3": message.body}
    else:
        values = {"thing1": message.title, "thing2": message.body, "time3": at}
    return template, {key: {"value": _short(value)} for key, value in values.items()}


async def _send_wechat(message: Message, kind: MessageKind | None) -> str:
    openid = await contacts.wechat_openid(message.account_id)
    if not openid:
        raise _Skip("no_wechat_binding")
    template_key, data = template_data(message, kind)
    template_id = template_ids().get(template_key)
    if not template_id:
        raise _Skip(f"no_template:{template_key}")
    taken = await WeChatGrant.filter(account_id=message.account_id, template_id=template_id, remaining__gt=0).update(
        remaining=F("remaining") - 1)
    if not taken:
        raise _Skip("no_subscription_grant")
    from core.integrations.wechat import wechat_client
    from core.messages.config import messages_settings
    from core.settings import get_settings

    client = wechat_client(get_settings())
    page = f"{messages_settings().wechat_page}?id={message.id}"
    try:
        result = await asyncio.to_thread(client.wxa.send_subscribe_message, openid, template_id, data, page)
    except WeChatClientException as exc:
        if exc.errcode == WECHAT_REFUSED:  # the user withdrew consent: no grant is left
            await WeChatGrant.filter(account_id=message.account_id, template_id=template_id).update(remaining=0)
            raise _Skip("user_refused") from exc
        await _give_back(message.account_id, template_id)
        if exc.errcode in WECHAT_PERMANENT:
            raise _Permanent(f"wechat {exc.errcode}: {exc.errmsg}") from exc
        raise
    except Exception:
        await _give_back(message.account_id, template_id)
        raise
    return str(result.get("msgid", ""))


async def _give_back(account_id: int, template_id: str) -> None:
    await WeChatGrant.filter(account_id=account_id, template_id=template_id).update(remaining=F("remaining") + 1)


# ---- SMS ----------------------------------------------------------------------------------------------


async def _send_sms(message: Message, kind: MessageKind | None) -> str:
    number = await contacts.phone(message.account_id)
    if not number:
        raise _Skip("no_phone")
    from core.integrations.sms import SmsError, get_sms_gateway

    try:
        receipt = await get_sms_gateway().send(number, "notice", {"title": message.title, "body": message.body})
    except SmsError as exc:
        if exc.retryable:
            raise
        raise _Permanent(f"sms {exc.code}: {exc.message}") from exc
    return receipt.message_id
