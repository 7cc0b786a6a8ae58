import functools
from json import dumps, loads

from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.migrations import operations as ops

from core.identity.models import AccountStatus, GrantStatus, RegionLevel, StaffKind


class Migration(migrations.Migration):
    initial = True

    operations = [
        ops.CreateModel(
            name="AccessLogEntry",
            fields=[
                (
                    "id",
                    fields.BigIntField(
                        generated=True, primary_key=True, unique=True, db_index=True
                    ),
                ),
                ("subject_id", fields.BigIntField(db_index=True)),
                ("at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ("reader_kind", fields.CharField(max_length=16)),
                ("reader_id", fields.CharField(max_length=64)),
                ("reader_name", fields.CharField(default="", max_length=64)),
                ("department_id", fields.IntField(null=True)),
                (
                    "data_fields",
                    fields.JSONField(
                        default=list,
                        encoder=functools.partial(dumps, separators=(",", ":")),
                        decoder=loads,
                    ),
                ),
                ("purpose", fields.CharField(max_length=128)),
                ("request_id", fields.CharField(default="", max_length=64)),
            ],
            options={
                "table": "identity_access_log",
                "app": "identity",
                "pk_attr": "id",
                "table_description": "A read of a citizen's personal data by someone else (staff, a proxy, a plugin), for the citizen to see.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Account",
            fields=[
                (
                    "id",
                    fields.BigIntField(
                        generated=True, primary_key=True, unique=True, db_index=True
                    ),
                ),
                (
                    "status",
                    fields.CharEnumField(
                        default=AccountStatus.ACTIVE,
                        description="ACTIVE: active\nMERGED: merged\nDISABLED: disabled",
                        enum_type=AccountStatus,
                        max_length=16,
                    ),
                ),
                ("merged_into_id", fields.BigIntField(null=True)),
                ("name_enc", fields.TextField(null=True, unique=False)),
                ("phone_enc", fields.TextField(null=True, unique=False)),
                ("phone_hash", fields.CharField(null=True, unique=True, max_length=64)),
                ("id_number_enc", fields.TextField(null=True, unique=False)),
                ("id_number_hash", fields.CharField(null=True, unique=True, max_length=64)),
                ("level", fields.SmallIntField(default=0)),
                ("home_region_code", fields.CharField(null=True, max_length=12)),
                ("wechat_openid", fields.CharField(null=True, unique=True, max_length=64)),
                ("wechat_unionid", fields.CharField(null=True, unique=True, max_length=64)),
                (
                    "phone_verified_at",
                    fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
                ),
                (
                    "id_verified_at",
                    fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
                ),
                (
                    "face_verified_at",
                    fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
                ),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ("updated_at", fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={
                "table": "identity_account",
                "app": "identity",
                "pk_attr": "id",
                "table_description": "One natural person (市民): the single account behind every channel and service.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="BusinessRecord",
            fields=[
                (
                    "id",
                    fields.BigIntField(
                        generated=True, primary_key=True, unique=True, db_index=True
                    ),
                ),
                ("uscc", fields.CharField(unique=True, max_length=18)),
                ("name", fields.CharField(max_length=128)),
                ("legal_rep_id_hash", fields.CharField(max_length=64)),
                ("region_code", fields.CharField(null=True, max_length=12)),
                ("active", fields.BooleanField(default=True)),
            ],
            options={
                "table": "identity_business_record",
                "app": "identity",
                "pk_attr": "id",
                "table_description": "Market-regulation register data (企业登记) the platform holds: who represents which enterprise.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Department",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                ("code", fields.CharField(unique=True, max_length=32)),
                ("name", fields.CharField(max_length=64)),
                ("region_code", fields.CharField(max_length=12)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={
                "table": "identity_department",
                "app": "identity",
                "pk_attr": "id",
                "table_description": "A government department (部门) that owns service items and employs staff.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Enterprise",
            fields=[
                (
                    "id",
                    fields.BigIntField(
                        generated=True, primary_key=True, unique=True, db_index=True
                    ),
                ),
                ("uscc", fields.CharField(unique=True, max_length=18)),
                ("name", fields.CharField(max_length=128)),
                ("region_code", fields.CharField(null=True, max_length=12)),
                (
                    "legal_rep",
                    fields.ForeignKeyField(
                        "identity.Account",
                        source_field="legal_rep_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="enterprises_represented",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={
                "table": "identity_enterprise",
                "app": "identity",
                "pk_attr": "id",
                "table_description": "A legal person (法人) known by its unified social credit code (GB 32100).",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="EnterpriseAgent",
            fields=[
                (
                    "id",
                    fields.BigIntField(
                        generated=True, primary_key=True, unique=True, db_index=True
                    ),
                ),
                (
                    "enterprise",
                    fields.ForeignKeyField(
                        "identity.Enterprise",
                        source_field="enterprise_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="agents",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "account",
                    fields.ForeignKeyField(
                        "identity.Account",
                        source_field="account_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="agent_of",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("active", fields.BooleanField(default=True)),
                ("authorised_by_id", fields.BigIntField()),
                ("expires_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ("ended_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "identity_enterprise_agent",
                "app": "identity",
                "pk_attr": "id",
                "table_description": "A citizen authorised by an enterprise to handle its affairs (经办人).",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="PopulationRecord",
            fields=[
                (
                    "id",
                    fields.BigIntField(
                        generated=True, primary_key=True, unique=True, db_index=True
                    ),
                ),
                ("id_number_hash", fields.CharField(unique=True, max_length=64)),
                ("id_number_enc", fields.TextField(unique=False)),
                ("name_enc", fields.TextField(unique=False)),
                ("household_region_code", fields.CharField(null=True, max_length=12)),
                ("alive", fields.BooleanField(default=True)),
            ],
            options={
                "table": "identity_population_record",
                "app": "identity",
                "pk_attr": "id",
                "table_description": "Population register data the platform holds (人口库), answered by the sandbox identity authority.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="ProxyGrant",
            fields=[
                (
                    "id",
                    fields.BigIntField(
                        generated=True, primary_key=True, unique=True, db_index=True
                    ),
                ),
                (
                    "grantor",
                    fields.ForeignKeyField(
                        "identity.Account",
                        source_field="grantor_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="grants_given",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "grantee",
                    fields.ForeignKeyField(
                        "identity.Account",
                        source_field="grantee_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="grants_received",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("relation", fields.CharField(default="other", max_length=16)),
                (
                    "scope",
                    fields.JSONField(
                        null=True,
                        encoder=functools.partial(dumps, separators=(",", ":")),
                        decoder=loads,
                    ),
                ),
                (
                    "status",
                    fields.CharEnumField(
                        default=GrantStatus.PENDING,
                        description="PENDING: pending\nACTIVE: active\nDECLINED: declined\nREVOKED: revoked",
                        enum_type=GrantStatus,
                        max_length=16,
                    ),
                ),
                ("expires_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                (
                    "accepted_at",
                    fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
                ),
                ("ended_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("ended_by_id", fields.BigIntField(null=True)),
            ],
            options={
                "table": "identity_proxy_grant",
                "app": "identity",
                "pk_attr": "id",
                "table_description": "A relatives' authorisation (亲友代办): the grantor lets the grantee act for them.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Region",
            fields=[
                (
                    "code",
                    fields.CharField(primary_key=True, unique=True, db_index=True, max_length=12),
                ),
                ("name", fields.CharField(max_length=64)),
                (
                    "level",
                    fields.CharEnumField(
                        description="PROVINCE: province\nCITY: city\nCOUNTY: county\nTOWNSHIP: township\nVILLAGE: village",
                        enum_type=RegionLevel,
                        max_length=16,
                    ),
                ),
                ("parent_code", fields.CharField(null=True, db_index=True, max_length=12)),
            ],
            options={
                "table": "identity_region",
                "app": "identity",
                "pk_attr": "code",
                "table_description": "An administrative division by its 12-digit statistical code (GB/T 2260 + township/village).",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="StaffUser",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                ("username", fields.CharField(unique=True, max_length=64)),
                ("name", fields.CharField(max_length=64)),
                (
                    "kind",
                    fields.CharEnumField(
                        description="STAFF: staff\nOPERATOR: operator\nADMIN: admin",
                        enum_type=StaffKind,
                        max_length=16,
                    ),
                ),
                (
                    "department",
                    fields.ForeignKeyField(
                        "identity.Department",
                        source_field="department_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="staff",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "roles",
                    fields.JSONField(
                        default=list,
                        encoder=functools.partial(dumps, separators=(",", ":")),
                        decoder=loads,
                    ),
                ),
                ("region_code", fields.CharField(null=True, max_length=12)),
                ("password_hash", fields.CharField(default="", max_length=255)),
                ("active", fields.BooleanField(default=True)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={
                "table": "identity_staff_user",
                "app": "identity",
                "pk_attr": "id",
                "table_description": "A department staff member, a platform operator or a platform admin.",
            },
            bases=["Model"],
        ),
    ]
