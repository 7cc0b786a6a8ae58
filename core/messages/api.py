"""Public API of the message centre (消息中心).

    from core.messages.api import notify
    await notify(account_id, "case.accepted", params={"service_name": ..., "case_no": ..., "due": ...},
                 link="/cases/123", dedupe_key="case:123:accepted")

:func:`notify` stores the message (read/unread in the app) and starts its delivery as a WeChat
subscribe message and/or SMS by a background task with retries, as the citizen's channel settings
say. A ``dedupe_key`` makes it idempotent: an event delivered twice makes one message.

A plugin declares its own kinds at start-up with ``register_kind(MessageKind(code, ...))``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F

from core import changes
from core import errors as core_errors
from core.db import transaction
from core.errors import define
from core.messages.kinds import MessageKind, get_kind
from core.messages.kinds import register_kind as register_kind  # public for plugins
from core.messages.models import ChannelSetting, Message, WeChatGrant

KIND_UNKNOWN = define("messages.kind_unknown", 400, "未知的消息类型", "Unknown message kind")
SETTINGS_INVALID = define(
    "messages.settings_invalid", 400, "消息订阅设置有误", "The message settings are invalid",
)
GRANT_INVALID = define(
    "messages.grant_invalid", 400, "订阅授权有误：模板不存在或次数无效", "Invalid subscription grant: unknown template or count",
)

ALL_KINDS = "*"


class _Blank(dict):
    def __missing__(self, key: str) -> str:  # a missing parameter prints empty, never fails a send
        return ""


def render(kind: MessageKind, params: Mapping[str, Any]) -> dict[str, str]:
    values = _Blank({k: "" if v is None else str(v) for k, v in params.items()})
    return {
        "title": kind.title.format_map(values)[:200],
        "title_en": kind.title_en.format_map(values)[:200],
        "body": kind.body.format_map(values),
        "body_en": kind.body_en.format_map(values),
    }


async def notify(
    account_id: int,
    kind: str,
    *,
    params: Mapping[str, Any] | None = None,
    link: str = "",
    dedupe_key: str | None = None,
    deliver: bool = True,
) -> Message:
    """Put a message in the citizen's message centre and push it out on their channels."""
    spec = get_kind(kind)
    if spec is None:
        raise KIND_UNKNOWN(details={"kind": kind})
    params = dict(params or {})
    if dedupe_key:
        existing = await Message.get_or_none(dedupe_key=dedupe_key)
        if existing is not None:
            return existing
    try:
        message = await Message.create(
            account_id=account_id, kind=kind, link=link[:200], data=params, dedupe_key=dedupe_key,
            **render(spec, params),
        )
    except IntegrityError:
        # The same event raced in from a second process: the first one's message stands.
        existing = await Message.get_or_none(dedupe_key=dedupe_key) if dedupe_key else None
        if existing is None:
            raise
        return existing
    changes.publish("account", account_id)  # unread count on the home screen
    if deliver:
        from core.messages.delivery import deliver_message
        from core.tasks import enqueue

        await enqueue(deliver_message, message_id=message.id)
    return message


async def list_messages(account_id: int, *, unread_only: bool = False, limit: int = 20, before_id: int | None = None) -> list[Message]:
    query = Message.filter(account_id=account_id)
    if unread_only:
        query = query.filter(read_at__isnull=True)
    if before_id is not None:
        query = query.filter(id__lt=before_id)
    return await query.order_by("-id").limit(limit)


async def unread_count(account_id: int) -> int:
    return await Message.filter(account_id=account_id, read_at__isnull=True).count()


async def mark_read(account_id: int, message_ids: Iterable[int] | None = None) -> int:
    """Mark the citizen's messages read (all of them when ``message_ids`` is None); returns how many."""
    query = Message.filter(account_id=account_id, read_at__isnull=True)
    if message_ids is not None:
        query = query.filter(id__in=list(message_ids))
    marked = await query.update(read_at=datetime.now(UTC))
    changes.publish("account", account_id)
    return marked


async def get_message(account_id: int, message_id: int) -> Message:
    message = await Message.get_or_none(id=message_id, account_id=account_id)
    if message is None:
        raise core_errors.NOT_FOUND()
    return message


# ---- channel settings ------------------------------------------------------------------------------


async def channel_settings(account_id: int) -> dict[str, dict[str, bool]]:
    """The citizen's choices: ``{"*": {...}, "case.accepted": {...}}`` (``*`` = every kind)."""
    return {row.kind: {"wechat": row.wechat, "sms": row.sms}
            for row in await ChannelSetting.filter(account_id=account_id).order_by("kind")}


async def set_channel_settings(account_id: int, choices: Mapping[str, Mapping[str, Any]]) -> dict[str, dict[str, bool]]:
    problems = []
    for kind, choice in choices.items():
        if kind != ALL_KINDS and get_kind(kind) is None:
            problems.append({"kind": kind, "error": "unknown"})
        elif not isinstance(choice, Mapping) or set(choice) - {"wechat", "sms"} or not all(
            isinstance(v, bool) for v in choice.values()
        ):
            problems.append({"kind": kind, "error": "expected {wechat: bool, sms: bool}"})
    if problems:
        raise SETTINGS_INVALID(details={"kinds": problems})
    async with transaction():
        for kind, choice in choices.items():
            row = await ChannelSetting.filter(account_id=account_id, kind=kind).select_for_update().first()
            if row is None:
                row = ChannelSetting(account_id=account_id, kind=kind)
            for channel, value in choice.items():
                setattr(row, channel, value)
            await row.save()
    return await channel_settings(account_id)


async def effective_channels(account_id: int, kind: str) -> dict[str, bool]:
    """WeChat on by default; SMS by default only for kinds marked ``sms``; the citizen's choice for
    the kind beats their choice for every kind, which beats the default."""
    spec = get_kind(kind)
    result = {"wechat": True, "sms": bool(spec and spec.sms)}
    rows = {row.kind: row for row in await ChannelSetting.filter(account_id=account_id, kind__in=[ALL_KINDS, kind])}
    for key in (ALL_KINDS, kind):
        if key in rows:
            result = {"wechat": rows[key].wechat, "sms": rows[key].sms}
    return result


# ---- WeChat subscribe-message grants -----------------------------------------------------------------


def template_ids() -> dict[str, str]:
    from core.messages.config import messages_settings

    return dict(messages_settings().wechat_templates)


async def add_wechat_grants(account_id: int, accepted: Mapping[str, int]) -> dict[str, int]:
    """Record what the user allowed in ``wx.requestSubscribeMessage``: ``{template_id: times}``."""
    known = set(template_ids().values())
    bad = [t for t, n in accepted.items() if t not in known or not isinstance(n, int) or isinstance(n, bool) or not 1 <= n <= 50]
    if bad or not accepted:
        raise GRANT_INVALID(details={"template_ids": bad, "known": sorted(known)})
    async with transaction():
        for template_id, times in accepted.items():
            updated = await WeChatGrant.filter(account_id=account_id, template_id=template_id).update(
                remaining=F("remaining") + times)
            if not updated:
                try:
                    async with transaction():
                        await WeChatGrant.create(account_id=account_id, template_id=template_id, remaining=times)
                except IntegrityError:
                    await WeChatGrant.filter(account_id=account_id, template_id=template_id).update(
                        remaining=F("remaining") + times)
    return await wechat_grants(account_id)


async def wechat_grants(account_id: int) -> dict[str, int]:
    return {g.template_id: g.remaining for g in await WeChatGrant.filter(account_id=account_id)}


def message_view(message: Message, *, english: bool = False) -> dict[str, Any]:
    return {
        "id": message.id,
        "kind": message.kind,
        "title": message.title_en if english and message.title_en else message.title,
        "body": message.body_en if english and message.body_en else message.body,
        "title_zh": message.title,
        "title_en": message.title_en,
        "link": message.link,
        "read": message.read_at is not None,
        "read_at": message.read_at.isoformat() if message.read_at else None,
        "created_at": message.created_at.isoformat(),
    }
