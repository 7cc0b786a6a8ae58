from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [('certificates', '0001_initial')]

    initial = False

    operations = [
        ops.AddField(
            model_name='CertificateDisclosure',
            name='purpose',
            field=fields.CharField(default='', db_default='', max_length=100),
        ),
    ]
