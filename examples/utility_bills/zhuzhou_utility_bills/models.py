"""Households (户号) of the water, power and gas companies and their monthly bills."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

UTILITIES = ("water", "power", "gas")


class Household(Model):
    """A utility account (户号) and the person it is registered to."""

    id = fields.BigIntField(primary_key=True)
    household_no = fields.CharField(max_length=20, unique=True)
    utility = fields.CharField(max_length=8)
    person_key = fields.CharField(max_length=64, db_index=True)
    address = fields.CharField(max_length=255)
    imported_at = fields.DatetimeField(null=True)

    class Meta:
        table = "ub_household"


class Bill(Model):
    """One month's bill of a household, in fen."""

    id = fields.BigIntField(primary_key=True)
    household_no = fields.CharField(max_length=20)
    period = fields.CharField(max_length=6)
    amount_fen = fields.BigIntField()
    due_on = fields.DateField()
    paid_order_no = fields.CharField(max_length=64, null=True)
    paid_at = fields.DatetimeField(null=True)
    imported_at = fields.DatetimeField(null=True)

    class Meta:
        table = "ub_bill"
        unique_together = (("household_no", "period"),)
