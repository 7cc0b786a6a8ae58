"""Core models of the foundation: the append-only audit trail of privileged actions."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class AuditEvent(Model):
    """Who did what to what, and when. Rows are only ever inserted.

    (No semicolons in model docstrings: Tortoise 1.1.9 splits SQLite DDL on them, and the
    docstring becomes the table comment.)
    """

    id = fields.BigIntField(primary_key=True)
    at = fields.DatetimeField(auto_now_add=True, db_index=True)
    actor = fields.CharField(max_length=64)
    action = fields.CharField(max_length=64)
    target = fields.CharField(max_length=128, default="")
    details = fields.JSONField(default=dict)
    request_id = fields.CharField(max_length=64, default="")

    class Meta:
        table = "core_audit_event"
