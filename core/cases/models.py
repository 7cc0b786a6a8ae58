"""Case engine tables: cases (办件), their append-only events, uploads, bundles (一件事一次办),
daily case-number counters, the working-day override table and supervision warnings (电子监察).

(No semicolons in model docstrings: Tortoise 1.1.9 splits SQLite DDL on them.)
"""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class BundleCase(Model):
    """One application for a bundle: one form, one payment, a child case per item."""

    id = fields.BigIntField(primary_key=True)
    bundle_no = fields.CharField(max_length=48, unique=True)
    bundle_code = fields.CharField(max_length=64, db_index=True)
    name = fields.CharField(max_length=128)
    applicant_id = fields.BigIntField(db_index=True)
    submitted_by = fields.BigIntField()
    region_code = fields.CharField(max_length=12, db_index=True)
    channel = fields.CharField(max_length=16)
    form_data = fields.JSONField(default=dict)
    fee_fen = fields.IntField(default=0)
    payment_state = fields.CharField(max_length=16, default="none")
    payment_ref = fields.CharField(max_length=64, default="")
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "cases_bundle_case"


class Case(Model):
    """A case (办件) of one service item for one applicant, with its SLA clock."""

    id = fields.BigIntField(primary_key=True)
    case_no = fields.CharField(max_length=48, unique=True)
    item_code = fields.CharField(max_length=64, db_index=True)
    basic_code = fields.CharField(max_length=16, db_index=True)
    item_name = fields.CharField(max_length=128)
    department_code = fields.CharField(max_length=32, db_index=True)
    region_code = fields.CharField(max_length=12, db_index=True)
    channel = fields.CharField(max_length=16)
    applicant_id = fields.BigIntField(db_index=True)
    submitted_by = fields.BigIntField()
    workflow = fields.CharField(max_length=32)
    state = fields.CharField(max_length=32, db_index=True)
    resume_state = fields.CharField(max_length=32, null=True)
    case_type = fields.CharField(max_length=16)
    promised_limit_days = fields.IntField(default=0)
    form_data = fields.JSONField(default=dict)
    materials = fields.JSONField(default=dict)
    commitment = fields.BooleanField(default=False)
    holds = fields.JSONField(default=list)
    corrections = fields.JSONField(default=list)
    correction_count = fields.IntField(default=0)
    missing = fields.JSONField(default=list)
    missing_deadline = fields.DateField(null=True)
    delivery = fields.JSONField(default=dict)
    fee_fen = fields.IntField(default=0)
    payment_state = fields.CharField(max_length=16, default="none")
    payment_ref = fields.CharField(max_length=64, default="")
    submitted_at = fields.DatetimeField()
    accepted_at = fields.DatetimeField(null=True)
    due_date = fields.DateField(null=True, db_index=True)
    suspended_at = fields.DatetimeField(null=True)
    suspended_days = fields.IntField(default=0)
    decided_at = fields.DatetimeField(null=True)
    closed_at = fields.DatetimeField(null=True)
    result = fields.JSONField(default=dict)
    warning = fields.CharField(max_length=16, default="")
    version = fields.IntField(default=0)
    bundle: fields.ForeignKeyNullableRelation[BundleCase] = fields.ForeignKeyField(
        "cases.BundleCase", related_name="cases", null=True, on_delete=fields.RESTRICT
    )
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "cases_case"


class CaseEventLog(Model):
    """One transition of a case. Rows are only ever inserted."""

    id = fields.BigIntField(primary_key=True)
    case: fields.ForeignKeyRelation[Case] = fields.ForeignKeyField(
        "cases.Case", related_name="events", on_delete=fields.RESTRICT
    )
    kind = fields.CharField(max_length=32)
    effect = fields.CharField(max_length=32, null=True)
    from_state = fields.CharField(max_length=32, null=True)
    to_state = fields.CharField(max_length=32)
    actor_kind = fields.CharField(max_length=16)
    actor_id = fields.BigIntField(null=True)
    on_behalf_of = fields.BigIntField(null=True)
    at = fields.DatetimeField()
    comment = fields.TextField(default="")
    data = fields.JSONField(default=dict)

    class Meta:
        table = "cases_event"


class Upload(Model):
    """A stored material file: who uploaded it, its checked type and size, its SHA-256."""

    id = fields.CharField(max_length=36, primary_key=True)
    owner_id = fields.BigIntField(db_index=True)
    item_code = fields.CharField(max_length=64)
    material_key = fields.CharField(max_length=64)
    filename = fields.CharField(max_length=255)
    content_type = fields.CharField(max_length=100)
    size = fields.IntField()
    sha256 = fields.CharField(max_length=64, db_index=True)
    storage_key = fields.CharField(max_length=255)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "cases_upload"


class CaseCounter(Model):
    """The last case number given out for one region and day (Asia/Shanghai)."""

    id = fields.BigIntField(primary_key=True)
    scope = fields.CharField(max_length=16)
    day = fields.CharField(max_length=8)
    value = fields.IntField(default=0)

    class Meta:
        table = "cases_counter"
        unique_together = (("scope", "day"),)


class WorkdayOverride(Model):
    """An operator's ruling on one date: working day or not, beating the holiday calendar."""

    day = fields.DateField(primary_key=True)
    workday = fields.BooleanField()
    note = fields.CharField(max_length=128, default="")
    updated_by = fields.BigIntField(null=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "cases_workday_override"


class SupervisionWarning(Model):
    """An electronic-supervision warning (电子监察) on a case: near due or overdue."""

    id = fields.BigIntField(primary_key=True)
    case: fields.ForeignKeyRelation[Case] = fields.ForeignKeyField(
        "cases.Case", related_name="warnings", on_delete=fields.RESTRICT
    )
    level = fields.CharField(max_length=16)
    department_code = fields.CharField(max_length=32, db_index=True)
    region_code = fields.CharField(max_length=12, db_index=True)
    due_date = fields.DateField()
    raised_at = fields.DatetimeField()
    acknowledged_at = fields.DatetimeField(null=True)
    acknowledged_by = fields.BigIntField(null=True)

    class Meta:
        table = "cases_supervision_warning"
        unique_together = (("case", "level"),)
