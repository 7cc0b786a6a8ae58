import functools
from json import dumps, loads

from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    initial = True

    operations = [
        ops.CreateModel(
            name='ImportRun',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('plugin', fields.CharField(max_length=64)),
                ('feed', fields.CharField(max_length=64)),
                ('path', fields.CharField(max_length=1024)),
                ('format', fields.CharField(max_length=8)),
                ('status', fields.CharField(default='running', max_length=16)),
                ('started_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=True)),
                ('finished_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('read', fields.BigIntField(default=0)),
                ('accepted', fields.BigIntField(default=0)),
                ('inserted', fields.BigIntField(default=0)),
                ('updated', fields.BigIntField(default=0)),
                ('rejected', fields.BigIntField(default=0)),
                ('rejections', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('error', fields.TextField(default='', unique=False)),
            ],
            options={'table': 'feeds_import_run', 'app': 'feeds', 'pk_attr': 'id', 'table_description': 'One import of one feed file, from the CLI or the feeds.import task.'},
            bases=['Model'],
        ),
    ]
