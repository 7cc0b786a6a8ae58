import functools
from json import dumps, loads

from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.migrations import operations as ops

from core.certificates.models import CertificateStatus


class Migration(migrations.Migration):
    initial = True

    operations = [
        ops.CreateModel(
            name='Certificate',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('identifier', fields.CharField(unique=True, max_length=160)),
                ('type_code', fields.CharField(db_index=True, max_length=40)),
                ('issuer_credit_code', fields.CharField(max_length=18)),
                ('serial', fields.CharField(max_length=40)),
                ('version', fields.SmallIntField()),
                ('holder_account_id', fields.BigIntField(db_index=True)),
                ('status', fields.CharEnumField(default=CertificateStatus.VALID, description='VALID: valid\nSUPERSEDED: superseded\nREVOKED: revoked', enum_type=CertificateStatus, max_length=16)),
                ('data_enc', fields.TextField(unique=False)),
                ('valid_from', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('valid_until', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('case_id', fields.BigIntField(null=True, db_index=True)),
                ('department_id', fields.IntField(null=True)),
                ('region_code', fields.CharField(null=True, max_length=12)),
                ('issued_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('revoked_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('revoked_reason', fields.CharField(null=True, max_length=200)),
                ('superseded_by_id', fields.BigIntField(null=True)),
            ],
            options={'table': 'cert_certificate', 'app': 'certificates', 'unique_together': (('type_code', 'issuer_credit_code', 'serial', 'version'),), 'pk_attr': 'id', 'table_description': 'One version of one e-certificate held by one citizen.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='CertificateDisclosure',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('certificate', fields.ForeignKeyField('certificates.Certificate', source_field='certificate_id', db_constraint=True, to_field='id', related_name='disclosures', on_delete=OnDelete.CASCADE)),
                ('token_id', fields.CharField(db_index=True, max_length=32)),
                ('fields_shown', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('verifier', fields.CharField(default='anonymous', max_length=64)),
                ('verifier_ip', fields.CharField(default='', max_length=64)),
                ('at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'cert_disclosure', 'app': 'certificates', 'pk_attr': 'id', 'table_description': 'A verification of a shown certificate (亮证核验): which fields a verifier saw, and when.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='CertificateUse',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('certificate', fields.ForeignKeyField('certificates.Certificate', source_field='certificate_id', db_constraint=True, to_field='id', related_name='uses', on_delete=OnDelete.RESTRICT)),
                ('holder_account_id', fields.BigIntField(db_index=True)),
                ('case_ref', fields.CharField(db_index=True, max_length=64)),
                ('material_code', fields.CharField(max_length=64)),
                ('used_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'cert_certificate_use', 'app': 'certificates', 'unique_together': (('case_ref', 'material_code'),), 'pk_attr': 'id', 'table_description': 'A certificate presented in an application instead of uploading a material (免提交).'},
            bases=['Model'],
        ),
    ]
