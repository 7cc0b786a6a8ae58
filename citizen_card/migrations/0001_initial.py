import functools
from json import dumps, loads

from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.indexes import Index
from tortoise.migrations import operations as ops

from citizen_card.db_rules import database_rules, drop_database_rules


class Migration(migrations.Migration):
    initial = True

    operations = [
        ops.CreateModel(
            name='Card',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('number', fields.CharField(unique=True, max_length=19)),
                ('holder_id', fields.BigIntField(db_index=True)),
                ('state', fields.CharField(default='active', max_length=16)),
                ('qr_counter', fields.BigIntField(default=0)),
                ('physical_masked', fields.CharField(null=True, max_length=24)),
                ('physical_hash', fields.CharField(null=True, unique=True, max_length=64)),
                ('limit_per_payment', fields.BigIntField(null=True)),
                ('limit_per_day', fields.BigIntField(null=True)),
                ('replaces_id', fields.BigIntField(null=True)),
                ('replaced_by_id', fields.BigIntField(null=True)),
                ('frozen_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('cancelled_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'card_card', 'app': 'citizen_card', 'pk_attr': 'id', 'table_description': 'A virtual citizen card. At most one live (not cancelled) card per holder, by a partial unique index.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='CardEvent',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('card', fields.ForeignKeyField('citizen_card.Card', source_field='card_id', db_constraint=True, to_field='id', related_name='events', on_delete=OnDelete.RESTRICT)),
                ('action', fields.CharField(max_length=32)),
                ('actor_kind', fields.CharField(max_length=16)),
                ('actor_id', fields.BigIntField(null=True)),
                ('on_behalf_of', fields.BigIntField(null=True)),
                ('details', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'card_event', 'app': 'citizen_card', 'pk_attr': 'id', 'table_description': 'Append-only log of what happened to a card and who did it (both people when acting for someone).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Journal',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('kind', fields.CharField(max_length=16)),
                ('reference', fields.CharField(max_length=80)),
                ('memo', fields.CharField(default='', max_length=128)),
                ('created_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'card_journal', 'app': 'citizen_card', 'unique_together': (('kind', 'reference'),), 'pk_attr': 'id', 'table_description': 'One movement of money: its entries sum to zero. (kind, reference) is unique, so a movement'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Merchant',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('name', fields.CharField(max_length=100)),
                ('credit_code', fields.CharField(max_length=18)),
                ('state', fields.CharField(default='active', max_length=16)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'card_merchant', 'app': 'citizen_card', 'pk_attr': 'id', 'table_description': 'A shop, transit operator or service point that accepts the card.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='LedgerAccount',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('code', fields.CharField(unique=True, max_length=64)),
                ('kind', fields.CharField(max_length=16)),
                ('card', fields.OneToOneField('citizen_card.Card', source_field='card_id', null=True, db_constraint=True, to_field='id', related_name='wallet', on_delete=OnDelete.RESTRICT)),
                ('merchant', fields.OneToOneField('citizen_card.Merchant', source_field='merchant_id', null=True, db_constraint=True, to_field='id', related_name='account', on_delete=OnDelete.RESTRICT)),
                ('balance', fields.BigIntField(default=0)),
                ('spent_day', fields.DateField(null=True)),
                ('spent_today', fields.BigIntField(default=0)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'card_account', 'app': 'citizen_card', 'pk_attr': 'id', 'table_description': 'One account of the ledger.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Entry',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('journal', fields.ForeignKeyField('citizen_card.Journal', source_field='journal_id', db_constraint=True, to_field='id', related_name='entries', on_delete=OnDelete.RESTRICT)),
                ('account', fields.ForeignKeyField('citizen_card.LedgerAccount', source_field='account_id', db_constraint=True, to_field='id', related_name='entries', on_delete=OnDelete.RESTRICT)),
                ('amount', fields.BigIntField()),
                ('balance_after', fields.BigIntField(null=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'card_entry', 'app': 'citizen_card', 'indexes': [Index(fields=['account_id', 'id'])], 'pk_attr': 'id', 'table_description': 'One leg of a journal on one account, signed in fen (positive: the account grows).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Terminal',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('merchant', fields.ForeignKeyField('citizen_card.Merchant', source_field='merchant_id', db_constraint=True, to_field='id', related_name='terminals', on_delete=OnDelete.RESTRICT)),
                ('key_id', fields.CharField(unique=True, max_length=32)),
                ('name', fields.CharField(max_length=100)),
                ('secret_version', fields.IntField(default=1)),
                ('state', fields.CharField(default='active', max_length=16)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'card_terminal', 'app': 'citizen_card', 'pk_attr': 'id', 'table_description': 'A POS or gate of a merchant. Its HMAC secret is derived from the platform secret, key_id and'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Debit',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('terminal', fields.ForeignKeyField('citizen_card.Terminal', source_field='terminal_id', db_constraint=True, to_field='id', related_name='debits', on_delete=OnDelete.RESTRICT)),
                ('merchant_id', fields.BigIntField(db_index=True)),
                ('txn_id', fields.CharField(max_length=64)),
                ('card', fields.ForeignKeyField('citizen_card.Card', source_field='card_id', db_constraint=True, to_field='id', related_name='debits', on_delete=OnDelete.RESTRICT)),
                ('amount', fields.BigIntField()),
                ('qr_counter', fields.BigIntField()),
                ('qr_kid', fields.CharField(max_length=16)),
                ('refunded', fields.BigIntField(default=0)),
                ('journal', fields.ForeignKeyField('citizen_card.Journal', source_field='journal_id', db_constraint=True, to_field='id', related_name='debits', on_delete=OnDelete.RESTRICT)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'card_debit', 'app': 'citizen_card', 'unique_together': (('terminal_id', 'txn_id'), ('card_id', 'qr_counter')), 'pk_attr': 'id', 'table_description': "A payment taken by a terminal. Unique by the terminal's transaction id (idempotency) and by"},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Refund',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('terminal', fields.ForeignKeyField('citizen_card.Terminal', source_field='terminal_id', db_constraint=True, to_field='id', related_name='refunds', on_delete=OnDelete.RESTRICT)),
                ('txn_id', fields.CharField(max_length=64)),
                ('debit', fields.ForeignKeyField('citizen_card.Debit', source_field='debit_id', db_constraint=True, to_field='id', related_name='refunds', on_delete=OnDelete.RESTRICT)),
                ('amount', fields.BigIntField()),
                ('journal', fields.ForeignKeyField('citizen_card.Journal', source_field='journal_id', db_constraint=True, to_field='id', related_name='refunds', on_delete=OnDelete.RESTRICT)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'card_refund', 'app': 'citizen_card', 'unique_together': (('terminal_id', 'txn_id'),), 'pk_attr': 'id', 'table_description': 'A refund of (part of) a debit, asked by a terminal of the same merchant, idempotent by its txn id.'},
            bases=['Model'],
        ),
        ops.RunPython(database_rules, drop_database_rules),
    ]
