from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [('real_estate', '0001_initial')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Transfer',
            name='bundle_case_id',
            field=fields.BigIntField(null=True),
        ),
    ]
