"""Payment tables: orders with their append-only state events, refunds, raw notifications,
reconciliation runs and the mismatches they found.

Integrity lives in the database: one live order per purpose (``live_slot`` is 1 while an order can
still be or has been paid, NULL once closed or failed, and the pair is unique), merchant order and
refund numbers are unique, a client key is unique per payer.
(No semicolons in model docstrings: Tortoise 1.1.9 splits SQLite DDL on them.)
"""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

ORDER_STATES = ("created", "paying", "paid", "partially_refunded", "refunded", "closed", "failed")
REFUND_STATES = ("processing", "succeeded", "failed")


class Order(Model):
    """A payment order (支付订单) for one purpose, paid through one channel."""

    id = fields.BigIntField(primary_key=True)
    order_no = fields.CharField(max_length=32, unique=True)
    payer_account_id = fields.BigIntField(db_index=True)
    client_key = fields.CharField(max_length=64)
    request_hash = fields.CharField(max_length=64)
    purpose_kind = fields.CharField(max_length=32)
    purpose_ref = fields.CharField(max_length=64)
    live_slot = fields.SmallIntField(null=True, default=1)
    subject = fields.CharField(max_length=128)
    amount_fen = fields.BigIntField()
    attach = fields.JSONField(default=dict)
    channel = fields.CharField(max_length=32, null=True)
    method = fields.CharField(max_length=16, null=True)
    state = fields.CharField(max_length=24, default="created", db_index=True)
    transaction_id = fields.CharField(max_length=64, null=True)
    paid_amount_fen = fields.BigIntField(default=0)
    refunded_fen = fields.BigIntField(default=0)
    # Refunds requested and not yet settled: reserved so that racing refunds cannot overdraw.
    refund_reserved_fen = fields.BigIntField(default=0)
    expires_at = fields.DatetimeField()
    paid_at = fields.DatetimeField(null=True)
    closed_at = fields.DatetimeField(null=True)
    fulfilled_at = fields.DatetimeField(null=True)
    fulfil_attempts = fields.IntField(default=0)
    last_queried_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "payments_order"
        unique_together = (("purpose_kind", "purpose_ref", "live_slot"), ("payer_account_id", "client_key"))
        indexes = (("state", "expires_at"),)


class OrderEvent(Model):
    """One state change of an order, appended and never updated."""

    id = fields.BigIntField(primary_key=True)
    order = fields.ForeignKeyField("payments.Order", related_name="events", on_delete=fields.RESTRICT)
    from_state = fields.CharField(max_length=24, null=True)
    to_state = fields.CharField(max_length=24)
    reason = fields.CharField(max_length=64)
    actor = fields.CharField(max_length=64, default="system")
    data = fields.JSONField(default=dict)
    at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "payments_order_event"


class Refund(Model):
    """One refund (退款) of an order, full or partial, with its own state."""

    id = fields.BigIntField(primary_key=True)
    refund_no = fields.CharField(max_length=32, unique=True)
    order = fields.ForeignKeyField("payments.Order", related_name="refunds", on_delete=fields.RESTRICT)
    client_key = fields.CharField(max_length=64)
    request_hash = fields.CharField(max_length=64)
    amount_fen = fields.BigIntField()
    reason = fields.CharField(max_length=128)
    state = fields.CharField(max_length=16, default="processing", db_index=True)
    provider_refund_id = fields.CharField(max_length=64, null=True)
    actor = fields.CharField(max_length=64, default="system")
    failure = fields.CharField(max_length=255, null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    succeeded_at = fields.DatetimeField(null=True)
    notified_at = fields.DatetimeField(null=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "payments_refund"
        unique_together = (("order_id", "client_key"),)


class Notification(Model):
    """A notification as received (raw headers and body), with what we made of it."""

    id = fields.BigIntField(primary_key=True)
    channel = fields.CharField(max_length=32)
    kind = fields.CharField(max_length=16, null=True)
    order_no = fields.CharField(max_length=32, null=True, db_index=True)
    refund_no = fields.CharField(max_length=32, null=True)
    headers = fields.JSONField(default=dict)
    body = fields.TextField()
    verified = fields.BooleanField(default=False)
    outcome = fields.CharField(max_length=32)
    detail = fields.CharField(max_length=255, default="")
    received_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "payments_notification"


class ReconciliationRun(Model):
    """One daily reconciliation (对账) of one channel's bill against our orders and refunds."""

    id = fields.BigIntField(primary_key=True)
    day = fields.DateField()
    channel = fields.CharField(max_length=32)
    state = fields.CharField(max_length=16, default="running")
    bill_lines = fields.IntField(default=0)
    local_records = fields.IntField(default=0)
    matched = fields.IntField(default=0)
    mismatches = fields.IntField(default=0)
    error = fields.CharField(max_length=255, null=True)
    started_at = fields.DatetimeField(auto_now_add=True)
    finished_at = fields.DatetimeField(null=True)

    class Meta:
        table = "payments_reconciliation_run"
        indexes = (("day", "channel"),)


class Mismatch(Model):
    """One difference found by a reconciliation run."""

    id = fields.BigIntField(primary_key=True)
    run = fields.ForeignKeyField("payments.ReconciliationRun", related_name="items", on_delete=fields.CASCADE)
    kind = fields.CharField(max_length=24)  # only_local | only_channel | amount_differs | state_differs
    record = fields.CharField(max_length=16)  # payment | refund
    order_no = fields.CharField(max_length=32)
    refund_no = fields.CharField(max_length=32, null=True)
    local_amount_fen = fields.BigIntField(null=True)
    channel_amount_fen = fields.BigIntField(null=True)
    local_state = fields.CharField(max_length=24, null=True)
    channel_state = fields.CharField(max_length=24, null=True)
    resolved = fields.BooleanField(default=False)

    class Meta:
        table = "payments_mismatch"
