from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    initial = True

    operations = [
        ops.CreateModel(
            name='Enablement',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('item_code', fields.CharField(db_index=True, max_length=64)),
                ('region_code', fields.CharField(max_length=12)),
                ('channel', fields.CharField(default='*', max_length=16)),
                ('enabled', fields.BooleanField()),
                ('updated_by', fields.BigIntField(null=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'catalogue_enablement', 'app': 'catalogue', 'unique_together': (('item_code', 'region_code', 'channel'),), 'pk_attr': 'id', 'table_description': "An operator's switch for one item (or bundle) at one region node and channel."},
            bases=['Model'],
        ),
    ]
