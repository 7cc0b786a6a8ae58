from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [('citizen_card', '0001_initial')]

    initial = False

    operations = [
        ops.AddField(
            model_name='LedgerAccount',
            name='spendable',
            field=fields.BooleanField(default=True, db_default=True),
        ),
    ]
