"""Withdrawals and loans remember their case's id and region (staff list their region's; the
reconcile task reads the case through core.cases.api)."""

from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [('provident_fund', '0001_initial')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Loan',
            name='case_id',
            field=fields.BigIntField(null=True),
        ),
        ops.AddField(
            model_name='Loan',
            name='region_code',
            field=fields.CharField(null=True, max_length=12),
        ),
        ops.AddField(
            model_name='Withdrawal',
            name='case_id',
            field=fields.BigIntField(null=True),
        ),
        ops.AddField(
            model_name='Withdrawal',
            name='region_code',
            field=fields.CharField(null=True, max_length=12),
        ),
    ]
