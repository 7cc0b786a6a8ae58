"""The history of feed imports: who loaded which file when, and what came of it."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class ImportRun(Model):
    """One import of one feed file, from the CLI or the feeds.import task."""

    id = fields.BigIntField(primary_key=True)
    plugin = fields.CharField(max_length=64)
    feed = fields.CharField(max_length=64)
    path = fields.CharField(max_length=1024)
    format = fields.CharField(max_length=8)
    status = fields.CharField(max_length=16, default="running")  # running, done, failed
    started_at = fields.DatetimeField(auto_now_add=True, db_index=True)
    finished_at = fields.DatetimeField(null=True)
    read = fields.BigIntField(default=0)
    accepted = fields.BigIntField(default=0)
    inserted = fields.BigIntField(default=0)
    updated = fields.BigIntField(default=0)
    rejected = fields.BigIntField(default=0)
    rejections = fields.JSONField(default=list)  # the first ones, [line, reason]
    error = fields.TextField(default="")

    class Meta:
        table = "feeds_import_run"
