import functools
from json import dumps, loads

from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.migrations import operations as ops

from core.evaluations.models import AppealStatus, EvaluationStatus, RectificationStatus


class Migration(migrations.Migration):
    initial = True

    operations = [
        ops.CreateModel(
            name='Evaluation',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('case_id', fields.BigIntField(unique=True)),
                ('case_no', fields.CharField(max_length=48)),
                ('item_code', fields.CharField(db_index=True, max_length=64)),
                ('item_name', fields.CharField(max_length=128)),
                ('department_code', fields.CharField(db_index=True, max_length=32)),
                ('department_id', fields.IntField(null=True)),
                ('region_code', fields.CharField(db_index=True, max_length=12)),
                ('account_id', fields.BigIntField(null=True, db_index=True)),
                ('level', fields.SmallIntField()),
                ('channel', fields.CharField(max_length=16)),
                ('comment', fields.CharField(default='', max_length=500)),
                ('tags', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('source', fields.CharField(default='citizen', max_length=16)),
                ('status', fields.CharEnumField(default=EvaluationStatus.VALID, description='VALID: valid\nINVALIDATED: invalidated', enum_type=EvaluationStatus, max_length=16)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'eval_evaluation', 'app': 'evaluations', 'pk_attr': 'id', 'table_description': 'One rating of one case (一事一评), level 1 非常满意 … 5 非常不满意.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Appeal',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('evaluation', fields.OneToOneField('evaluations.Evaluation', source_field='evaluation_id', db_constraint=True, to_field='id', related_name='appeal', on_delete=OnDelete.RESTRICT)),
                ('department_id', fields.IntField(null=True)),
                ('region_code', fields.CharField(max_length=12)),
                ('reason', fields.CharField(max_length=500)),
                ('filed_by', fields.BigIntField()),
                ('filed_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('status', fields.CharEnumField(default=AppealStatus.PENDING, description='PENDING: pending\nUPHELD: upheld\nREJECTED: rejected', enum_type=AppealStatus, max_length=16)),
                ('reviewed_by', fields.BigIntField(null=True)),
                ('reviewed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('review_comment', fields.CharField(default='', max_length=500)),
            ],
            options={'table': 'eval_appeal', 'app': 'evaluations', 'pk_attr': 'id', 'table_description': "A department's appeal (申诉) that a rating is wrong or malicious, reviewed by an operator."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='RateableCase',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('case_id', fields.BigIntField(unique=True)),
                ('case_no', fields.CharField(max_length=48)),
                ('item_code', fields.CharField(max_length=64)),
                ('basic_code', fields.CharField(max_length=16)),
                ('item_name', fields.CharField(max_length=128)),
                ('department_code', fields.CharField(max_length=32)),
                ('department_id', fields.IntField(null=True)),
                ('region_code', fields.CharField(max_length=12)),
                ('applicant_id', fields.BigIntField(db_index=True)),
                ('rateable_since', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('finished_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('default_due_at', fields.DatetimeField(null=True, db_index=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'eval_rateable_case', 'app': 'evaluations', 'pk_attr': 'id', 'table_description': 'A case its applicant may rate, copied from the case events (so ratings never wait on the engine).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Rectification',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('evaluation', fields.OneToOneField('evaluations.Evaluation', source_field='evaluation_id', db_constraint=True, to_field='id', related_name='rectification', on_delete=OnDelete.RESTRICT)),
                ('department_id', fields.IntField(null=True)),
                ('region_code', fields.CharField(max_length=12)),
                ('status', fields.CharEnumField(default=RectificationStatus.OPEN, description='OPEN: open\nRESOLVED: resolved\nCLOSED: closed\nWITHDRAWN: withdrawn', enum_type=RectificationStatus, max_length=16)),
                ('deadline', fields.DateField()),
                ('opened_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('outcome', fields.CharField(default='', max_length=16)),
                ('measures', fields.TextField(default='', unique=False)),
                ('resolved_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('resolved_by', fields.BigIntField(null=True)),
                ('closed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'eval_rectification', 'app': 'evaluations', 'pk_attr': 'id', 'table_description': 'The handling of a bad rating (差评整改) by the department, on a working-day deadline.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='FollowUpVisit',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('rectification', fields.ForeignKeyField('evaluations.Rectification', source_field='rectification_id', db_constraint=True, to_field='id', related_name='visits', on_delete=OnDelete.RESTRICT)),
                ('method', fields.CharField(max_length=16)),
                ('satisfied', fields.BooleanField()),
                ('notes', fields.CharField(default='', max_length=500)),
                ('visited_by', fields.BigIntField()),
                ('at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'eval_follow_up_visit', 'app': 'evaluations', 'pk_attr': 'id', 'table_description': 'A follow-up visit (回访) with the citizen after a bad rating was handled.'},
            bases=['Model'],
        ),
    ]
