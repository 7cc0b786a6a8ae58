from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("identity", "0001_initial")]

    initial = False

    operations = [
        ops.AddField(
            model_name="BusinessRecord",
            name="legal_rep_id_enc",
            field=fields.TextField(null=True, unique=False),
        ),
    ]
