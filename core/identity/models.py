"""Identity tables: regions, departments, citizens (accounts), staff, relatives' grants, access log,
legal persons and the population data the sandbox identity authority answers from.

Personal data is never stored in clear: ``*_enc`` columns hold AES-GCM ciphertext
(:mod:`core.identity.crypto`), ``*_hash`` columns a keyed hash used for exact lookups.
(No semicolons in model docstrings: Tortoise 1.1.9 splits SQLite DDL on them.)
"""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model


class RegionLevel(StrEnum):
    PROVINCE = "province"
    CITY = "city"
    COUNTY = "county"
    TOWNSHIP = "township"
    VILLAGE = "village"


class Region(Model):
    """An administrative division by its 12-digit statistical code (GB/T 2260 + township/village)."""

    code = fields.CharField(max_length=12, primary_key=True)
    name = fields.CharField(max_length=64)
    level = fields.CharEnumField(RegionLevel, max_length=16)
    parent_code = fields.CharField(max_length=12, null=True, db_index=True)

    class Meta:
        table = "identity_region"


class Department(Model):
    """A government department (部门) that owns service items and employs staff."""

    id = fields.IntField(primary_key=True)
    code = fields.CharField(max_length=32, unique=True)
    name = fields.CharField(max_length=64)
    region_code = fields.CharField(max_length=12)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "identity_department"


class AccountStatus(StrEnum):
    ACTIVE = "active"
    MERGED = "merged"  # folded into another account when a phone was linked (merged_into)
    DISABLED = "disabled"


class Account(Model):
    """One natural person (市民): the single account behind every channel and service."""

    id = fields.BigIntField(primary_key=True)
    status = fields.CharEnumField(AccountStatus, max_length=16, default=AccountStatus.ACTIVE)
    merged_into_id = fields.BigIntField(null=True)
    name_enc = fields.TextField(null=True)
    phone_enc = fields.TextField(null=True)
    phone_hash = fields.CharField(max_length=64, null=True, unique=True)
    id_number_enc = fields.TextField(null=True)
    id_number_hash = fields.CharField(max_length=64, null=True, unique=True)
    level = fields.SmallIntField(default=0)
    home_region_code = fields.CharField(max_length=12, null=True)
    wechat_openid = fields.CharField(max_length=64, null=True, unique=True)
    wechat_unionid = fields.CharField(max_length=64, null=True, unique=True)
    phone_verified_at = fields.DatetimeField(null=True)
    id_verified_at = fields.DatetimeField(null=True)
    face_verified_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "identity_account"


class StaffKind(StrEnum):
    STAFF = "staff"
    OPERATOR = "operator"
    ADMIN = "admin"


class StaffUser(Model):
    """A department staff member, a platform operator or a platform admin."""

    id = fields.IntField(primary_key=True)
    username = fields.CharField(max_length=64, unique=True)
    name = fields.CharField(max_length=64)
    kind = fields.CharEnumField(StaffKind, max_length=16)
    department: fields.ForeignKeyNullableRelation[Department] = fields.ForeignKeyField(
        "identity.Department", related_name="staff", null=True, on_delete=fields.RESTRICT
    )
    roles = fields.JSONField(default=list)
    region_code = fields.CharField(max_length=12, null=True)
    password_hash = fields.CharField(max_length=255, default="")
    active = fields.BooleanField(default=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "identity_staff_user"


class GrantStatus(StrEnum):
    PENDING = "pending"  # waiting for the grantee to accept
    ACTIVE = "active"
    DECLINED = "declined"
    REVOKED = "revoked"


class ProxyGrant(Model):
    """A relatives' authorisation (亲友代办): the grantor lets the grantee act for them."""

    id = fields.BigIntField(primary_key=True)
    grantor: fields.ForeignKeyRelation[Account] = fields.ForeignKeyField(
        "identity.Account", related_name="grants_given", on_delete=fields.CASCADE
    )
    grantee: fields.ForeignKeyRelation[Account] = fields.ForeignKeyField(
        "identity.Account", related_name="grants_received", on_delete=fields.CASCADE
    )
    relation = fields.CharField(max_length=16, default="other")
    scope = fields.JSONField(null=True)  # list of service codes, or null for every service
    status = fields.CharEnumField(GrantStatus, max_length=16, default=GrantStatus.PENDING)
    expires_at = fields.DatetimeField()
    created_at = fields.DatetimeField(auto_now_add=True)
    accepted_at = fields.DatetimeField(null=True)
    ended_at = fields.DatetimeField(null=True)
    ended_by_id = fields.BigIntField(null=True)

    class Meta:
        table = "identity_proxy_grant"


class AccessLogEntry(Model):
    """A read of a citizen's personal data by someone else (staff, a proxy, a plugin), for the citizen to see."""

    id = fields.BigIntField(primary_key=True)
    subject_id = fields.BigIntField(db_index=True)
    at = fields.DatetimeField(auto_now_add=True)
    reader_kind = fields.CharField(max_length=16)  # staff | operator | admin | citizen | plugin
    reader_id = fields.CharField(max_length=64)
    reader_name = fields.CharField(max_length=64, default="")
    department_id = fields.IntField(null=True)
    data_fields = fields.JSONField(default=list)
    purpose = fields.CharField(max_length=128)
    request_id = fields.CharField(max_length=64, default="")

    class Meta:
        table = "identity_access_log"


class Enterprise(Model):
    """A legal person (法人) known by its unified social credit code (GB 32100)."""

    id = fields.BigIntField(primary_key=True)
    uscc = fields.CharField(max_length=18, unique=True)
    name = fields.CharField(max_length=128)
    region_code = fields.CharField(max_length=12, null=True)
    legal_rep: fields.ForeignKeyRelation[Account] = fields.ForeignKeyField(
        "identity.Account", related_name="enterprises_represented", on_delete=fields.RESTRICT
    )
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "identity_enterprise"


class EnterpriseAgent(Model):
    """A citizen authorised by an enterprise to handle its affairs (经办人)."""

    id = fields.BigIntField(primary_key=True)
    enterprise: fields.ForeignKeyRelation[Enterprise] = fields.ForeignKeyField(
        "identity.Enterprise", related_name="agents", on_delete=fields.CASCADE
    )
    account: fields.ForeignKeyRelation[Account] = fields.ForeignKeyField(
        "identity.Account", related_name="agent_of", on_delete=fields.CASCADE
    )
    active = fields.BooleanField(default=True)
    authorised_by_id = fields.BigIntField()
    expires_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    ended_at = fields.DatetimeField(null=True)

    class Meta:
        table = "identity_enterprise_agent"


class PopulationRecord(Model):
    """Population register data the platform holds (人口库), answered by the sandbox identity authority."""

    id = fields.BigIntField(primary_key=True)
    id_number_hash = fields.CharField(max_length=64, unique=True)
    id_number_enc = fields.TextField()
    name_enc = fields.TextField()
    household_region_code = fields.CharField(max_length=12, null=True)
    alive = fields.BooleanField(default=True)

    class Meta:
        table = "identity_population_record"


class BusinessRecord(Model):
    """Market-regulation register data (企业登记) the platform holds: who represents which enterprise."""

    id = fields.BigIntField(primary_key=True)
    uscc = fields.CharField(max_length=18, unique=True)
    name = fields.CharField(max_length=128)
    legal_rep_id_hash = fields.CharField(max_length=64)
    # Kept encrypted so that a key rotation can re-hash it (a hash alone cannot be re-keyed).
    legal_rep_id_enc = fields.TextField(null=True)
    region_code = fields.CharField(max_length=12, null=True)
    active = fields.BooleanField(default=True)

    class Meta:
        table = "identity_business_record"
