import functools
from json import dumps, loads

from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.migrations import operations as ops

from delivery.models import FeePayer, ShipmentKind, ShipmentState


class Migration(migrations.Migration):
    initial = True

    operations = [
        ops.CreateModel(
            name='Address',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('account_id', fields.BigIntField(db_index=True)),
                ('label', fields.CharField(default='', max_length=16)),
                ('name_enc', fields.TextField(unique=False)),
                ('phone_enc', fields.TextField(unique=False)),
                ('region_code', fields.CharField(max_length=12)),
                ('detail_enc', fields.TextField(unique=False)),
                ('is_default', fields.BooleanField(default=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'delivery_address', 'app': 'delivery', 'pk_attr': 'id', 'table_description': "One entry of a citizen's address book (收货/取件地址)."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Shipment',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('no', fields.CharField(unique=True, max_length=32)),
                ('kind', fields.CharEnumField(description='RESULT: result\nPICKUP: pickup', enum_type=ShipmentKind, max_length=16)),
                ('case_id', fields.BigIntField(db_index=True)),
                ('case_no', fields.CharField(default='', max_length=40)),
                ('item_code', fields.CharField(default='', max_length=64)),
                ('item_name', fields.CharField(default='', max_length=128)),
                ('department_code', fields.CharField(default='', db_index=True, max_length=32)),
                ('region_code', fields.CharField(db_index=True, max_length=12)),
                ('account_id', fields.BigIntField(db_index=True)),
                ('courier', fields.CharField(max_length=16)),
                ('goods', fields.CharField(max_length=64)),
                ('citizen_name_enc', fields.TextField(unique=False)),
                ('citizen_phone_enc', fields.TextField(unique=False)),
                ('citizen_region_code', fields.CharField(max_length=12)),
                ('citizen_detail_enc', fields.TextField(unique=False)),
                ('office_name', fields.CharField(max_length=64)),
                ('office_phone', fields.CharField(max_length=32)),
                ('office_region_code', fields.CharField(max_length=12)),
                ('office_detail', fields.CharField(max_length=200)),
                ('fee_fen', fields.IntField(default=0)),
                ('fee_payer', fields.CharEnumField(description='CITIZEN: citizen\nDEPARTMENT: department', enum_type=FeePayer, max_length=16)),
                ('payment_order_no', fields.CharField(null=True, max_length=64)),
                ('state', fields.CharEnumField(db_index=True, description='AWAITING_PAYMENT: awaiting_payment\nWAITING_RESULT: waiting_result\nORDERING: ordering\nORDER_FAILED: order_failed\nORDERED: ordered\nACCEPTED: accepted\nPICKED_UP: picked_up\nIN_TRANSIT: in_transit\nDELIVERED: delivered\nFAILED: failed\nCANCELLED: cancelled', enum_type=ShipmentState, max_length=20)),
                ('active_key', fields.CharField(null=True, unique=True, max_length=40)),
                ('waybill_no', fields.CharField(null=True, db_index=True, max_length=32)),
                ('attempts', fields.IntField(default=0)),
                ('next_attempt_at', fields.DatetimeField(null=True, db_index=True, auto_now=False, auto_now_add=False)),
                ('last_error', fields.TextField(default='', unique=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
                ('ordered_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('finished_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'delivery_shipment', 'app': 'delivery', 'pk_attr': 'id', 'table_description': "One parcel: a result going to a citizen, or materials picked up at a citizen's door."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='TrackingEvent',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('courier', fields.CharField(max_length=16)),
                ('event_key', fields.CharField(max_length=64)),
                ('shipment', fields.ForeignKeyField('delivery.Shipment', source_field='shipment_id', null=True, db_constraint=True, to_field='id', related_name='events', on_delete=OnDelete.RESTRICT)),
                ('waybill_no', fields.CharField(db_index=True, max_length=32)),
                ('status', fields.CharField(max_length=16)),
                ('occurred_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('description', fields.CharField(default='', max_length=200)),
                ('location', fields.CharField(default='', max_length=64)),
                ('payload', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('received_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'delivery_tracking_event', 'app': 'delivery', 'unique_together': (('courier', 'event_key'),), 'pk_attr': 'id', 'table_description': 'A verified tracking event pushed by a courier. ``(courier, event_key)`` is unique, so a'},
            bases=['Model'],
        ),
    ]
