from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    initial = True

    operations = [
        ops.CreateModel(
            name='Encumbrance',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('ref_no', fields.CharField(unique=True, max_length=64)),
                ('unit_no', fields.CharField(db_index=True, max_length=28)),
                ('kind', fields.CharField(max_length=16)),
                ('holder', fields.CharField(max_length=128)),
                ('amount_fen', fields.BigIntField(null=True)),
                ('starts_on', fields.DateField()),
                ('ends_on', fields.DateField(null=True)),
                ('status', fields.CharField(max_length=16)),
                ('case_no', fields.CharField(null=True, max_length=64)),
                ('imported_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 're_encumbrance', 'app': 'real_estate', 'pk_attr': 'id', 'table_description': 'A mortgage (抵押) or seizure (查封) on a property, by its registration reference.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Owner',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('unit_no', fields.CharField(db_index=True, max_length=28)),
                ('person_key', fields.CharField(db_index=True, max_length=64)),
                ('id_masked', fields.CharField(max_length=24)),
                ('name_enc', fields.CharField(max_length=255)),
                ('name_masked', fields.CharField(max_length=32)),
                ('share_bp', fields.IntField()),
                ('imported_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 're_owner', 'app': 'real_estate', 'unique_together': (('unit_no', 'person_key'),), 'pk_attr': 'id', 'table_description': 'One owner of a property and their share (basis points of 10000).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Property',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('unit_no', fields.CharField(unique=True, max_length=28)),
                ('cert_no', fields.CharField(max_length=64)),
                ('region_code', fields.CharField(db_index=True, max_length=12)),
                ('address', fields.CharField(max_length=255)),
                ('usage', fields.CharField(max_length=16)),
                ('area_m2_x100', fields.BigIntField()),
                ('land_use_end', fields.DateField(null=True)),
                ('registered_on', fields.DateField()),
                ('imported_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 're_property', 'app': 'real_estate', 'pk_attr': 'id', 'table_description': 'A registered property (不动产) and its current certificate.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Transfer',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('unit_no', fields.CharField(db_index=True, max_length=28)),
                ('seller_account_id', fields.BigIntField(null=True, db_index=True)),
                ('buyer_account_id', fields.BigIntField(db_index=True)),
                ('price_fen', fields.BigIntField()),
                ('deed_tax_rate_bp', fields.IntField()),
                ('deed_tax_fen', fields.BigIntField()),
                ('seller_confirmed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('buyer_confirmed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('status', fields.CharField(default='awaiting', max_length=16)),
                ('case_no', fields.CharField(null=True, max_length=64)),
                ('payment_order_no', fields.CharField(null=True, max_length=64)),
                ('new_cert_no', fields.CharField(null=True, max_length=64)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 're_transfer', 'app': 'real_estate', 'pk_attr': 'id', 'table_description': 'A second-hand transfer registration (二手房转移登记): both parties confirm, the buyer pays'},
            bases=['Model'],
        ),
    ]
