import functools
from json import dumps, loads

from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    initial = True

    operations = [
        ops.CreateModel(
            name='FundAccount',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('account_no', fields.CharField(unique=True, max_length=20)),
                ('person_key', fields.CharField(db_index=True, max_length=64)),
                ('id_masked', fields.CharField(max_length=24)),
                ('name_enc', fields.CharField(max_length=255)),
                ('name_masked', fields.CharField(max_length=32)),
                ('employer_name', fields.CharField(max_length=128)),
                ('employer_uscc', fields.CharField(max_length=18)),
                ('status', fields.CharField(max_length=16)),
                ('balance_fen', fields.BigIntField()),
                ('deposit_base_fen', fields.BigIntField()),
                ('personal_rate_bp', fields.IntField()),
                ('employer_rate_bp', fields.IntField()),
                ('monthly_deposit_fen', fields.BigIntField()),
                ('opened_on', fields.DateField()),
                ('last_period', fields.CharField(null=True, max_length=6)),
                ('region_code', fields.CharField(max_length=12)),
                ('imported_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'pf_account', 'app': 'provident_fund', 'pk_attr': 'id', 'table_description': 'A personal provident-fund account (个人公积金账户) as the fund centre last exported it.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='JournalEntry',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('txn_no', fields.CharField(unique=True, max_length=32)),
                ('account_no', fields.CharField(db_index=True, max_length=20)),
                ('kind', fields.CharField(max_length=16)),
                ('period', fields.CharField(null=True, max_length=6)),
                ('amount_fen', fields.BigIntField()),
                ('balance_after_fen', fields.BigIntField()),
                ('booked_on', fields.DateField()),
                ('imported_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'pf_journal', 'app': 'provident_fund', 'pk_attr': 'id', 'table_description': 'One movement of an account (缴存/提取/结息 明细), signed: money out is negative.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Loan',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('account_id', fields.BigIntField(db_index=True)),
                ('account_no', fields.CharField(max_length=20)),
                ('principal_fen', fields.BigIntField()),
                ('annual_rate_bp', fields.IntField()),
                ('months', fields.IntField()),
                ('method', fields.CharField(max_length=20)),
                ('status', fields.CharField(default='applied', max_length=16)),
                ('case_no', fields.CharField(null=True, max_length=64)),
                ('property_unit_no', fields.CharField(default='', max_length=28)),
                ('total_interest_fen', fields.BigIntField(default=0)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'pf_loan', 'app': 'provident_fund', 'pk_attr': 'id', 'table_description': 'A provident-fund loan application (公积金贷款) with its repayment plan.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='LoanInstalment',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('loan', fields.ForeignKeyField('provident_fund.Loan', source_field='loan_id', db_constraint=True, to_field='id', related_name='instalments', on_delete=OnDelete.CASCADE)),
                ('seq', fields.IntField()),
                ('due_on', fields.DateField()),
                ('principal_fen', fields.BigIntField()),
                ('interest_fen', fields.BigIntField()),
                ('payment_fen', fields.BigIntField()),
                ('remaining_fen', fields.BigIntField()),
            ],
            options={'table': 'pf_loan_instalment', 'app': 'provident_fund', 'unique_together': (('loan', 'seq'),), 'pk_attr': 'id', 'table_description': 'One month of a repayment plan (还款计划): principal + interest = payment, to the fen.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Withdrawal',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('account_id', fields.BigIntField(db_index=True)),
                ('account_no', fields.CharField(db_index=True, max_length=20)),
                ('purpose', fields.CharField(max_length=16)),
                ('amount_fen', fields.BigIntField()),
                ('status', fields.CharField(default='pending', max_length=16)),
                ('case_no', fields.CharField(null=True, max_length=64)),
                ('bank_account_masked', fields.CharField(default='', max_length=32)),
                ('payout_txn_no', fields.CharField(null=True, max_length=32)),
                ('refusal_code', fields.CharField(default='', max_length=64)),
                ('details', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('decided_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'pf_withdrawal', 'app': 'provident_fund', 'pk_attr': 'id', 'table_description': 'A withdrawal application (提取申请) and its payout.'},
            bases=['Model'],
        ),
    ]
