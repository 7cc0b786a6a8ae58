"""Delivery tables: the citizens' address book, shipments (one courier order each) and their
tracking timeline.

Personal data (contact name, phone, street address) is encrypted at rest with the identity
cipher (AES-256-GCM, column bound as associated data) and masked in every response.
(No semicolons in model docstrings: Tortoise 1.1.9 splits SQLite DDL on them.)
"""

from __future__ import annotations

from enum import Enum

from tortoise import fields
from tortoise.models import Model


class Address(Model):
    """One entry of a citizen's address book (收货/取件地址)."""

    id = fields.BigIntField(primary_key=True)
    account_id = fields.BigIntField(db_index=True)
    label = fields.CharField(max_length=16, default="")
    name_enc = fields.TextField()
    phone_enc = fields.TextField()
    region_code = fields.CharField(max_length=12)
    detail_enc = fields.TextField()
    is_default = fields.BooleanField(default=False)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "delivery_address"


class ShipmentKind(str, Enum):
    RESULT = "result"  # the department posts the result (证照/文书) to the citizen
    PICKUP = "pickup"  # a courier collects paper materials at the citizen's door (上门取件)


class FeePayer(str, Enum):
    CITIZEN = "citizen"
    DEPARTMENT = "department"


class ShipmentState(str, Enum):
    AWAITING_PAYMENT = "awaiting_payment"  # the citizen pays the fee first
    WAITING_RESULT = "waiting_result"  # paid/free, the courier is booked once the case is approved
    ORDERING = "ordering"  # to be booked with the courier (retried with back-off)
    ORDER_FAILED = "order_failed"  # the courier could not be booked after every attempt
    ORDERED = "ordered"  # booked, waybill number known, waiting for the courier
    ACCEPTED = "accepted"
    PICKED_UP = "picked_up"
    IN_TRANSIT = "in_transit"
    DELIVERED = "delivered"
    FAILED = "failed"  # the courier could not deliver
    CANCELLED = "cancelled"


OPEN_STATES = frozenset({
    ShipmentState.AWAITING_PAYMENT, ShipmentState.WAITING_RESULT, ShipmentState.ORDERING,
    ShipmentState.ORDERED, ShipmentState.ACCEPTED, ShipmentState.PICKED_UP, ShipmentState.IN_TRANSIT,
})


class Shipment(Model):
    """One parcel: a result going to a citizen, or materials picked up at a citizen's door.

    ``no`` is the platform's order number and the courier's idempotency key. ``region_code`` and
    ``department_code`` are the case's, for staff and operator scope. The citizen's side (receiver
    of a result, sender of a pickup) is a snapshot of the address-book entry, encrypted.
    """

    id = fields.BigIntField(primary_key=True)
    no = fields.CharField(max_length=32, unique=True)
    kind = fields.CharEnumField(ShipmentKind, max_length=16)
    case_id = fields.BigIntField(db_index=True)
    case_no = fields.CharField(max_length=40, default="")
    item_code = fields.CharField(max_length=64, default="")
    item_name = fields.CharField(max_length=128, default="")
    department_code = fields.CharField(max_length=32, default="", db_index=True)
    region_code = fields.CharField(max_length=12, db_index=True)
    account_id = fields.BigIntField(db_index=True)
    courier = fields.CharField(max_length=16)
    goods = fields.CharField(max_length=64)
    citizen_name_enc = fields.TextField()
    citizen_phone_enc = fields.TextField()
    citizen_region_code = fields.CharField(max_length=12)
    citizen_detail_enc = fields.TextField()
    office_name = fields.CharField(max_length=64)
    office_phone = fields.CharField(max_length=32)
    office_region_code = fields.CharField(max_length=12)
    office_detail = fields.CharField(max_length=200)
    fee_fen = fields.IntField(default=0)
    fee_payer = fields.CharEnumField(FeePayer, max_length=16)
    payment_order_no = fields.CharField(max_length=64, null=True)
    state = fields.CharEnumField(ShipmentState, max_length=20, db_index=True)
    # "{case_id}:{kind}" while the shipment counts for its case (NULL once cancelled or failed):
    # the unique index lets the database refuse a second parcel for the same case and purpose.
    active_key = fields.CharField(max_length=40, null=True, unique=True)
    waybill_no = fields.CharField(max_length=32, null=True, db_index=True)
    attempts = fields.IntField(default=0)
    next_attempt_at = fields.DatetimeField(null=True, db_index=True)
    last_error = fields.TextField(default="")
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)
    ordered_at = fields.DatetimeField(null=True)
    finished_at = fields.DatetimeField(null=True)

    class Meta:
        table = "delivery_shipment"


class TrackingEvent(Model):
    """A verified tracking event pushed by a courier. ``(courier, event_key)`` is unique, so a
    re-pushed event is stored once. Events for a waybill the platform does not know are kept
    with no shipment (nothing lost) and attached when it turns up."""

    id = fields.BigIntField(primary_key=True)
    courier = fields.CharField(max_length=16)
    event_key = fields.CharField(max_length=64)
    shipment: fields.ForeignKeyNullableRelation[Shipment] = fields.ForeignKeyField(
        "delivery.Shipment", related_name="events", null=True, on_delete=fields.RESTRICT
    )
    waybill_no = fields.CharField(max_length=32, db_index=True)
    status = fields.CharField(max_length=16)
    occurred_at = fields.DatetimeField()
    description = fields.CharField(max_length=200, default="")
    location = fields.CharField(max_length=64, default="")
    payload = fields.JSONField(default=dict)
    received_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "delivery_tracking_event"
        unique_together = (("courier", "event_key"),)
