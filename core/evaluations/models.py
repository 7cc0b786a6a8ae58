"""好差评 tables: finished cases awaiting a rating, ratings (one per case), rectifications of bad
ratings with their follow-up visits, and departments' appeals against ratings.

(No semicolons in model docstrings: Tortoise 1.1.9 splits SQLite DDL on them.)
"""

from __future__ import annotations

from enum import Enum

from tortoise import fields
from tortoise.models import Model


class RateableCase(Model):
    """A case its applicant may rate, copied from the case events (so ratings never wait on the engine)."""

    id = fields.BigIntField(primary_key=True)
    case_id = fields.BigIntField(unique=True)
    case_no = fields.CharField(max_length=48)
    item_code = fields.CharField(max_length=64)
    basic_code = fields.CharField(max_length=16)
    item_name = fields.CharField(max_length=128)
    department_code = fields.CharField(max_length=32)
    department_id = fields.IntField(null=True)
    region_code = fields.CharField(max_length=12)
    applicant_id = fields.BigIntField(db_index=True)
    rateable_since = fields.DatetimeField()
    finished_at = fields.DatetimeField(null=True)
    default_due_at = fields.DatetimeField(null=True, db_index=True)

    class Meta:
        table = "eval_rateable_case"


class EvaluationStatus(str, Enum):
    VALID = "valid"
    INVALIDATED = "invalidated"  # an upheld appeal found it wrong or malicious: out of the statistics


class Evaluation(Model):
    """One rating of one case (一事一评), level 1 非常满意 … 5 非常不满意."""

    id = fields.BigIntField(primary_key=True)
    case_id = fields.BigIntField(unique=True)
    case_no = fields.CharField(max_length=48)
    item_code = fields.CharField(max_length=64, db_index=True)
    item_name = fields.CharField(max_length=128)
    department_code = fields.CharField(max_length=32, db_index=True)
    department_id = fields.IntField(null=True)
    region_code = fields.CharField(max_length=12, db_index=True)
    account_id = fields.BigIntField(null=True, db_index=True)
    level = fields.SmallIntField()
    channel = fields.CharField(max_length=16)
    comment = fields.CharField(max_length=500, default="")
    tags = fields.JSONField(default=list)
    source = fields.CharField(max_length=16, default="citizen")  # citizen | staff_recorded | default
    status = fields.CharEnumField(EvaluationStatus, max_length=16, default=EvaluationStatus.VALID)
    created_at = fields.DatetimeField()

    class Meta:
        table = "eval_evaluation"


class RectificationStatus(str, Enum):
    OPEN = "open"  # 待整改
    RESOLVED = "resolved"  # fixed or explained, awaiting the follow-up visit
    CLOSED = "closed"  # follow-up visit done
    WITHDRAWN = "withdrawn"  # the rating was invalidated on appeal


class Rectification(Model):
    """The handling of a bad rating (差评整改) by the department, on a working-day deadline."""

    id = fields.BigIntField(primary_key=True)
    evaluation = fields.OneToOneField("evaluations.Evaluation", related_name="rectification", on_delete=fields.RESTRICT)
    department_id = fields.IntField(null=True)
    region_code = fields.CharField(max_length=12)
    status = fields.CharEnumField(RectificationStatus, max_length=16, default=RectificationStatus.OPEN)
    deadline = fields.DateField()
    opened_at = fields.DatetimeField()
    outcome = fields.CharField(max_length=16, default="")  # rectified | explained
    measures = fields.TextField(default="")
    resolved_at = fields.DatetimeField(null=True)
    resolved_by = fields.BigIntField(null=True)
    closed_at = fields.DatetimeField(null=True)

    class Meta:
        table = "eval_rectification"


class FollowUpVisit(Model):
    """A follow-up visit (回访) with the citizen after a bad rating was handled."""

    id = fields.BigIntField(primary_key=True)
    rectification = fields.ForeignKeyField("evaluations.Rectification", related_name="visits", on_delete=fields.RESTRICT)
    method = fields.CharField(max_length=16)  # phone | onsite | online
    satisfied = fields.BooleanField()
    notes = fields.CharField(max_length=500, default="")
    visited_by = fields.BigIntField()
    at = fields.DatetimeField()

    class Meta:
        table = "eval_follow_up_visit"


class AppealStatus(str, Enum):
    PENDING = "pending"
    UPHELD = "upheld"
    REJECTED = "rejected"


class Appeal(Model):
    """A department's appeal (申诉) that a rating is wrong or malicious, reviewed by an operator."""

    id = fields.BigIntField(primary_key=True)
    evaluation = fields.OneToOneField("evaluations.Evaluation", related_name="appeal", on_delete=fields.RESTRICT)
    department_id = fields.IntField(null=True)
    region_code = fields.CharField(max_length=12)
    reason = fields.CharField(max_length=500)
    filed_by = fields.BigIntField()
    filed_at = fields.DatetimeField()
    status = fields.CharEnumField(AppealStatus, max_length=16, default=AppealStatus.PENDING)
    reviewed_by = fields.BigIntField(null=True)
    reviewed_at = fields.DatetimeField(null=True)
    review_comment = fields.CharField(max_length=500, default="")

    class Meta:
        table = "eval_appeal"
