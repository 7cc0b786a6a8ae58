import functools
from json import dumps, loads

from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.indexes import Index
from tortoise.migrations import operations as ops

from core.messages.models import Channel, DeliveryStatus


class Migration(migrations.Migration):
    initial = True

    operations = [
        ops.CreateModel(
            name='ChannelSetting',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('account_id', fields.BigIntField()),
                ('kind', fields.CharField(max_length=64)),
                ('wechat', fields.BooleanField(default=True)),
                ('sms', fields.BooleanField(default=False)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'msg_channel_setting', 'app': 'messages', 'unique_together': (('account_id', 'kind'),), 'pk_attr': 'id', 'table_description': "A citizen's choice for one message kind (or ``*`` for every kind): WeChat and/or SMS."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Message',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('account_id', fields.BigIntField()),
                ('kind', fields.CharField(max_length=64)),
                ('title', fields.CharField(max_length=200)),
                ('title_en', fields.CharField(default='', max_length=200)),
                ('body', fields.TextField(unique=False)),
                ('body_en', fields.TextField(default='', unique=False)),
                ('link', fields.CharField(default='', max_length=200)),
                ('data', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('dedupe_key', fields.CharField(null=True, unique=True, max_length=160)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('read_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'msg_message', 'app': 'messages', 'indexes': [Index(fields=['account_id', 'read_at']), Index(fields=['account_id', 'created_at'])], 'pk_attr': 'id', 'table_description': "One message in a citizen's message centre (站内消息)."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Delivery',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('message', fields.ForeignKeyField('messages.Message', source_field='message_id', db_constraint=True, to_field='id', related_name='deliveries', on_delete=OnDelete.CASCADE)),
                ('channel', fields.CharEnumField(description='WECHAT: wechat\nSMS: sms', enum_type=Channel, max_length=16)),
                ('status', fields.CharEnumField(default=DeliveryStatus.PENDING, description='PENDING: pending\nSENT: sent\nSKIPPED: skipped\nFAILED: failed', enum_type=DeliveryStatus, max_length=16)),
                ('attempts', fields.SmallIntField(default=0)),
                ('reason', fields.CharField(default='', max_length=200)),
                ('provider_id', fields.CharField(default='', max_length=64)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('sent_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'msg_delivery', 'app': 'messages', 'unique_together': (('message', 'channel'),), 'pk_attr': 'id', 'table_description': 'A message pushed out of the app: a WeChat subscribe message or an SMS.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='WeChatGrant',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('account_id', fields.BigIntField()),
                ('template_id', fields.CharField(max_length=64)),
                ('remaining', fields.IntField(default=0)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'msg_wechat_grant', 'app': 'messages', 'unique_together': (('account_id', 'template_id'),), 'pk_attr': 'id', 'table_description': 'How many more subscribe messages of one template the user allowed (wx.requestSubscribeMessage).'},
            bases=['Model'],
        ),
    ]
