from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    initial = True

    operations = [
        ops.CreateModel(
            name='Bill',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('household_no', fields.CharField(max_length=20)),
                ('period', fields.CharField(max_length=6)),
                ('amount_fen', fields.BigIntField()),
                ('due_on', fields.DateField()),
                ('paid_order_no', fields.CharField(null=True, max_length=64)),
                ('paid_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('imported_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'ub_bill', 'app': 'utility_bills', 'unique_together': (('household_no', 'period'),), 'pk_attr': 'id', 'table_description': "One month's bill of a household, in fen."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Household',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('household_no', fields.CharField(unique=True, max_length=20)),
                ('utility', fields.CharField(max_length=8)),
                ('person_key', fields.CharField(db_index=True, max_length=64)),
                ('address', fields.CharField(max_length=255)),
                ('imported_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'ub_household', 'app': 'utility_bills', 'pk_attr': 'id', 'table_description': 'A utility account (户号) and the person it is registered to.'},
            bases=['Model'],
        ),
    ]
