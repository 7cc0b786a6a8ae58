from tortoise import fields, migrations
from tortoise.migrations import operations as ops

from citizen_card.db_rules import (
    append_only_ledger,
    debit_batch_function,
    drop_debit_batch_function,
    undo_append_only_ledger,
)


class Migration(migrations.Migration):
    dependencies = [('citizen_card', '0002_wallet_spendable')]

    initial = False

    operations = [
        ops.CreateModel(
            name='DebitNonce',
            fields=[
                ('key', fields.CharField(primary_key=True, max_length=100)),
                ('seen_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'card_debit_nonce', 'app': 'citizen_card', 'pk_attr': 'key', 'table_description': 'A nonce a terminal signed a debit request with, recorded by the debit statement itself on'},
            bases=['Model'],
        ),
        ops.RunPython(append_only_ledger, undo_append_only_ledger),
        ops.RunPython(debit_batch_function, drop_debit_batch_function),
    ]
