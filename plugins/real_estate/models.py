"""Real-estate registration (不动产登记) records: properties, owners and encumbrances (mortgage,
seizure) imported from the registration centre's feeds, and the transfers registered here.

Properties are keyed by the 28-character real-estate unit number (不动产单元号). Owners are keyed
by ``person_key`` (keyed hash of the resident ID), their names encrypted.
"""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

USAGES = ("residential", "commercial", "office", "industrial")  # 住宅 / 商业 / 办公 / 工业
ENCUMBRANCE_KINDS = ("mortgage", "seizure")  # 抵押 / 查封
ENCUMBRANCE_STATUSES = ("active", "released")


class Property(Model):
    """A registered property (不动产) and its current certificate."""

    id = fields.BigIntField(primary_key=True)
    unit_no = fields.CharField(max_length=28, unique=True)
    cert_no = fields.CharField(max_length=64)  # 不动产权证书号
    region_code = fields.CharField(max_length=12, db_index=True)
    address = fields.CharField(max_length=255)
    usage = fields.CharField(max_length=16)
    area_m2_x100 = fields.BigIntField()  # building area in hundredths of a square metre
    land_use_end = fields.DateField(null=True)
    registered_on = fields.DateField()
    imported_at = fields.DatetimeField(null=True)

    class Meta:
        table = "re_property"


class Owner(Model):
    """One owner of a property and their share (basis points of 10000)."""

    id = fields.BigIntField(primary_key=True)
    unit_no = fields.CharField(max_length=28, db_index=True)
    person_key = fields.CharField(max_length=64, db_index=True)
    id_masked = fields.CharField(max_length=24)
    name_enc = fields.CharField(max_length=255)
    name_masked = fields.CharField(max_length=32)
    share_bp = fields.IntField()
    imported_at = fields.DatetimeField(null=True)

    class Meta:
        table = "re_owner"
        unique_together = (("unit_no", "person_key"),)


class Encumbrance(Model):
    """A mortgage (抵押) or seizure (查封) on a property, by its registration reference."""

    id = fields.BigIntField(primary_key=True)
    ref_no = fields.CharField(max_length=64, unique=True)  # 不动产登记证明号 / 查封文书号
    unit_no = fields.CharField(max_length=28, db_index=True)
    kind = fields.CharField(max_length=16)
    holder = fields.CharField(max_length=128)  # mortgagee bank or court
    amount_fen = fields.BigIntField(null=True)
    starts_on = fields.DateField()
    ends_on = fields.DateField(null=True)
    status = fields.CharField(max_length=16)
    case_no = fields.CharField(max_length=64, null=True)  # set when registered through this platform
    imported_at = fields.DatetimeField(null=True)

    class Meta:
        table = "re_encumbrance"


class Transfer(Model):
    """A second-hand transfer registration (二手房转移登记): both parties confirm, the buyer pays
    the deed tax (契税) through the payment platform, then the property changes hands."""

    id = fields.BigIntField(primary_key=True)
    unit_no = fields.CharField(max_length=28, db_index=True)
    seller_account_id = fields.BigIntField(null=True, db_index=True)  # set when the seller confirms
    buyer_account_id = fields.BigIntField(db_index=True)
    price_fen = fields.BigIntField()
    deed_tax_rate_bp = fields.IntField()
    deed_tax_fen = fields.BigIntField()
    seller_confirmed_at = fields.DatetimeField(null=True)
    buyer_confirmed_at = fields.DatetimeField(null=True)
    status = fields.CharField(max_length=16, default="awaiting")  # awaiting, confirmed, tax_paid, registered, refused
    case_no = fields.CharField(max_length=64, null=True)
    # Set when the case is a child of 我要买卖二手房: the deed tax is then paid with the bundle.
    bundle_case_id = fields.BigIntField(null=True)
    payment_order_no = fields.CharField(max_length=64, null=True)
    new_cert_no = fields.CharField(max_length=64, null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "re_transfer"
