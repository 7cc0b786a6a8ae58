"""E-certificate tables: issued certificates (one row per version), their uses in applications
in place of an upload, and every verification of a shown certificate (the holder can see who saw
what).

The certificate's content (照面信息) is personal data: stored AES-GCM encrypted (``data_enc``).
(No semicolons in model docstrings: Tortoise 1.1.9 splits SQLite DDL on them.)
"""

from __future__ import annotations

from enum import Enum

from tortoise import fields
from tortoise.models import Model


class CertificateStatus(str, Enum):
    VALID = "valid"
    SUPERSEDED = "superseded"  # a newer version was issued: this one is stale
    REVOKED = "revoked"


class Certificate(Model):
    """One version of one e-certificate held by one citizen."""

    id = fields.BigIntField(primary_key=True)
    identifier = fields.CharField(max_length=160, unique=True)
    type_code = fields.CharField(max_length=40, db_index=True)
    issuer_credit_code = fields.CharField(max_length=18)
    serial = fields.CharField(max_length=40)
    version = fields.SmallIntField()
    holder_account_id = fields.BigIntField(db_index=True)
    status = fields.CharEnumField(CertificateStatus, max_length=16, default=CertificateStatus.VALID)
    data_enc = fields.TextField()
    valid_from = fields.DatetimeField()
    valid_until = fields.DatetimeField(null=True)
    case_id = fields.BigIntField(null=True, db_index=True)
    department_id = fields.IntField(null=True)
    region_code = fields.CharField(max_length=12, null=True)
    issued_at = fields.DatetimeField(auto_now_add=True)
    revoked_at = fields.DatetimeField(null=True)
    revoked_reason = fields.CharField(max_length=200, null=True)
    superseded_by_id = fields.BigIntField(null=True)

    class Meta:
        table = "cert_certificate"
        unique_together = (("type_code", "issuer_credit_code", "serial", "version"),)


class CertificateUse(Model):
    """A certificate presented in an application instead of uploading a material (免提交)."""

    id = fields.BigIntField(primary_key=True)
    certificate = fields.ForeignKeyField("certificates.Certificate", related_name="uses", on_delete=fields.RESTRICT)
    holder_account_id = fields.BigIntField(db_index=True)
    case_ref = fields.CharField(max_length=64, db_index=True)
    material_code = fields.CharField(max_length=64)
    used_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "cert_certificate_use"
        unique_together = (("case_ref", "material_code"),)


class CertificateDisclosure(Model):
    """A verification of a shown certificate (亮证核验): which fields a verifier saw, and when."""

    id = fields.BigIntField(primary_key=True)
    certificate = fields.ForeignKeyField("certificates.Certificate", related_name="disclosures", on_delete=fields.CASCADE)
    token_id = fields.CharField(max_length=32, db_index=True)
    fields_shown = fields.JSONField(default=list)
    purpose = fields.CharField(max_length=100, default="", db_default="")
    verifier = fields.CharField(max_length=64, default="anonymous")
    verifier_ip = fields.CharField(max_length=64, default="")
    at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "cert_disclosure"
