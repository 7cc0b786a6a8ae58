"""Message-centre tables: messages, their deliveries per channel, the citizen's channel settings
and the WeChat subscribe-message grants (one grant = one message the user allowed).

(No semicolons in model docstrings: Tortoise 1.1.9 splits SQLite DDL on them.)
"""

from __future__ import annotations

from enum import Enum

from tortoise import fields
from tortoise.models import Model


class Message(Model):
    """One message in a citizen's message centre (站内消息)."""

    id = fields.BigIntField(primary_key=True)
    account_id = fields.BigIntField()
    kind = fields.CharField(max_length=64)
    title = fields.CharField(max_length=200)
    title_en = fields.CharField(max_length=200, default="")
    body = fields.TextField()
    body_en = fields.TextField(default="")
    link = fields.CharField(max_length=200, default="")
    data = fields.JSONField(default=dict)
    dedupe_key = fields.CharField(max_length=160, null=True, unique=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    read_at = fields.DatetimeField(null=True)

    class Meta:
        table = "msg_message"
        indexes = (("account_id", "read_at"), ("account_id", "created_at"))


class Channel(str, Enum):
    WECHAT = "wechat"
    SMS = "sms"


class DeliveryStatus(str, Enum):
    PENDING = "pending"
    SENT = "sent"
    SKIPPED = "skipped"  # not possible for this citizen (no openid, no grant, no phone, switched off)
    FAILED = "failed"  # retries exhausted


class Delivery(Model):
    """A message pushed out of the app: a WeChat subscribe message or an SMS."""

    id = fields.BigIntField(primary_key=True)
    message = fields.ForeignKeyField("messages.Message", related_name="deliveries", on_delete=fields.CASCADE)
    channel = fields.CharEnumField(Channel, max_length=16)
    status = fields.CharEnumField(DeliveryStatus, max_length=16, default=DeliveryStatus.PENDING)
    attempts = fields.SmallIntField(default=0)
    reason = fields.CharField(max_length=200, default="")
    provider_id = fields.CharField(max_length=64, default="")
    created_at = fields.DatetimeField(auto_now_add=True)
    sent_at = fields.DatetimeField(null=True)

    class Meta:
        table = "msg_delivery"
        unique_together = (("message", "channel"),)


class ChannelSetting(Model):
    """A citizen's choice for one message kind (or ``*`` for every kind): WeChat and/or SMS."""

    id = fields.BigIntField(primary_key=True)
    account_id = fields.BigIntField()
    kind = fields.CharField(max_length=64)
    wechat = fields.BooleanField(default=True)
    sms = fields.BooleanField(default=False)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "msg_channel_setting"
        unique_together = (("account_id", "kind"),)


class WeChatGrant(Model):
    """How many more subscribe messages of one template the user allowed (wx.requestSubscribeMessage)."""

    id = fields.BigIntField(primary_key=True)
    account_id = fields.BigIntField()
    template_id = fields.CharField(max_length=64)
    remaining = fields.IntField(default=0)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "msg_wechat_grant"
        unique_together = (("account_id", "template_id"),)
