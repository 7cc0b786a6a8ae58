"""Catalogue tables: enablement of items and bundles per region and channel.

(No semicolons in model docstrings: Tortoise 1.1.9 splits SQLite DDL on them.)
"""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class Enablement(Model):
    """An operator's switch for one item (or bundle) at one region node and channel.

    channel "*" covers every channel. The setting nearest to a region (itself, then its parent,
    up to the city) decides, and at one node a channel-specific row beats "*". No row anywhere
    means off.
    """

    id = fields.BigIntField(primary_key=True)
    item_code = fields.CharField(max_length=64, db_index=True)
    region_code = fields.CharField(max_length=12)
    channel = fields.CharField(max_length=16, default="*")
    enabled = fields.BooleanField()
    updated_by = fields.BigIntField(null=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "catalogue_enablement"
        unique_together = (("item_code", "region_code", "channel"),)
