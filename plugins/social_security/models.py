"""Social security (人社/社保) records: insured persons and contribution history imported from the
department's feeds, plus what citizens do here (pension qualification certifications).

People are keyed by ``person_key`` (keyed hash of the resident ID, see core.feeds.pii): the ID
number itself is never stored, names and phones are encrypted.
"""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

INSURANCE_KINDS = ("pension", "medical", "unemployment", "injury")
PERSON_STATUSES = ("active", "suspended", "retired", "terminated")


class InsuredPerson(Model):
    """One insured person (参保人) as the department last exported them."""

    id = fields.BigIntField(primary_key=True)
    person_key = fields.CharField(max_length=64, unique=True)
    id_masked = fields.CharField(max_length=24)
    name_enc = fields.CharField(max_length=255)
    name_masked = fields.CharField(max_length=32)
    gender = fields.CharField(max_length=1)  # M / F, from the resident ID
    birth_date = fields.DateField()
    region_code = fields.CharField(max_length=12, db_index=True)
    insured_since = fields.DateField()
    status = fields.CharField(max_length=16)  # active 参保缴费, suspended 暂停, retired 离退休, terminated 终止
    employer_name = fields.CharField(max_length=128, null=True)
    employer_uscc = fields.CharField(max_length=18, null=True)
    phone_enc = fields.CharField(max_length=255, null=True)
    phone_masked = fields.CharField(max_length=16, null=True)
    imported_at = fields.DatetimeField(null=True)

    class Meta:
        table = "ss_insured_person"


class Contribution(Model):
    """One month of one insurance for one person (缴费记录), amounts in fen."""

    id = fields.BigIntField(primary_key=True)
    person_key = fields.CharField(max_length=64)  # leads the unique index: no index of its own
    period = fields.CharField(max_length=6)  # YYYYMM 费款所属期
    insurance = fields.CharField(max_length=16)
    base_fen = fields.BigIntField()  # 缴费基数
    personal_fen = fields.BigIntField()
    employer_fen = fields.BigIntField()
    employer_uscc = fields.CharField(max_length=18, null=True)
    paid_on = fields.DateField(null=True)
    imported_at = fields.DatetimeField(null=True)

    class Meta:
        table = "ss_contribution"
        unique_together = (("person_key", "period", "insurance"),)


class PensionCertification(Model):
    """A yearly pension qualification certification (养老金领取资格认证) done in the app."""

    id = fields.BigIntField(primary_key=True)
    account_id = fields.BigIntField(db_index=True)
    person_key = fields.CharField(max_length=64)
    year = fields.IntField()
    method = fields.CharField(max_length=16)  # face: real-name level 3 verification
    certified_at = fields.DatetimeField(auto_now_add=True)
    certificate_no = fields.CharField(max_length=64, default="")

    class Meta:
        table = "ss_pension_certification"
        unique_together = (("person_key", "year"),)
