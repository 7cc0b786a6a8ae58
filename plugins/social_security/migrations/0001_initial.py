from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    initial = True

    operations = [
        ops.CreateModel(
            name='Contribution',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('person_key', fields.CharField(max_length=64)),
                ('period', fields.CharField(max_length=6)),
                ('insurance', fields.CharField(max_length=16)),
                ('base_fen', fields.BigIntField()),
                ('personal_fen', fields.BigIntField()),
                ('employer_fen', fields.BigIntField()),
                ('employer_uscc', fields.CharField(null=True, max_length=18)),
                ('paid_on', fields.DateField(null=True)),
                ('imported_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'ss_contribution', 'app': 'social_security', 'unique_together': (('person_key', 'period', 'insurance'),), 'pk_attr': 'id', 'table_description': 'One month of one insurance for one person (缴费记录), amounts in fen.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='InsuredPerson',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('person_key', fields.CharField(unique=True, max_length=64)),
                ('id_masked', fields.CharField(max_length=24)),
                ('name_enc', fields.CharField(max_length=255)),
                ('name_masked', fields.CharField(max_length=32)),
                ('gender', fields.CharField(max_length=1)),
                ('birth_date', fields.DateField()),
                ('region_code', fields.CharField(db_index=True, max_length=12)),
                ('insured_since', fields.DateField()),
                ('status', fields.CharField(max_length=16)),
                ('employer_name', fields.CharField(null=True, max_length=128)),
                ('employer_uscc', fields.CharField(null=True, max_length=18)),
                ('phone_enc', fields.CharField(null=True, max_length=255)),
                ('phone_masked', fields.CharField(null=True, max_length=16)),
                ('imported_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'ss_insured_person', 'app': 'social_security', 'pk_attr': 'id', 'table_description': 'One insured person (参保人) as the department last exported them.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PensionCertification',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('account_id', fields.BigIntField(db_index=True)),
                ('person_key', fields.CharField(max_length=64)),
                ('year', fields.IntField()),
                ('method', fields.CharField(max_length=16)),
                ('certified_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('certificate_no', fields.CharField(default='', max_length=64)),
            ],
            options={'table': 'ss_pension_certification', 'app': 'social_security', 'unique_together': (('person_key', 'year'),), 'pk_attr': 'id', 'table_description': 'A yearly pension qualification certification (养老金领取资格认证) done in the app.'},
            bases=['Model'],
        ),
    ]
