"""Tables of the citizen card (prefix ``card_``): cards, the double-entry ledger, merchants and
terminals, terminal debits and refunds, and the card's event log.

(No semicolons in model docstrings: Tortoise 1.1.9 turns them into table comments and splits
SQLite DDL on them.)
"""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

CARD_STATES = ("active", "frozen", "cancelled")


class Card(Model):
    """A virtual citizen card. At most one live (not cancelled) card per holder, by a partial unique index."""

    id = fields.BigIntField(primary_key=True)
    number = fields.CharField(max_length=19, unique=True)
    holder_id = fields.BigIntField(db_index=True)  # identity account id of the citizen
    state = fields.CharField(max_length=16, default="active")
    qr_counter = fields.BigIntField(default=0)
    physical_masked = fields.CharField(max_length=24, null=True)
    physical_hash = fields.CharField(max_length=64, null=True, unique=True)
    limit_per_payment = fields.BigIntField(null=True)
    limit_per_day = fields.BigIntField(null=True)
    replaces_id = fields.BigIntField(null=True)
    replaced_by_id = fields.BigIntField(null=True)
    frozen_at = fields.DatetimeField(null=True)
    cancelled_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "card_card"
        # card_one_live_card (partial unique index) and card_state_known: created by the
        # migration's database_rules (Tortoise 1.1.9 cannot express them portably).


class LedgerAccount(Model):
    """One account of the ledger.

    kind wallet: a card's stored value, with a running balance kept under a row lock and never
    negative. kind merchant and system (top-up clearing, fees): many terminals post to them at
    once, so they keep no running balance (a hot row would serialise every debit in the city) -
    their balance is the sum of their entries.
    """

    id = fields.BigIntField(primary_key=True)
    code = fields.CharField(max_length=64, unique=True)
    kind = fields.CharField(max_length=16)
    card = fields.OneToOneField("citizen_card.Card", related_name="wallet", null=True, on_delete=fields.RESTRICT)
    merchant = fields.OneToOneField("citizen_card.Merchant", related_name="account", null=True, on_delete=fields.RESTRICT)
    balance = fields.BigIntField(default=0)
    # Wallets: may money leave it? Mirrors the card state (active) on the row every debit locks,
    # so a loss report and a debit are ordered by that one row lock.
    spendable = fields.BooleanField(default=True, db_default=True)
    spent_day = fields.DateField(null=True)  # Asia/Shanghai day that spent_today counts
    spent_today = fields.BigIntField(default=0)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "card_account"
        # card_account_balance_not_negative: created by the migration's database_rules.


class Journal(Model):
    """One movement of money: its entries sum to zero. (kind, reference) is unique, so a movement
    triggered from outside (a paid top-up order, a fee) is posted at most once."""

    id = fields.BigIntField(primary_key=True)
    kind = fields.CharField(max_length=16)  # topup, topup_refund, debit, refund, fee, fee_refund, transfer
    reference = fields.CharField(max_length=80)
    memo = fields.CharField(max_length=128, default="")
    created_at = fields.DatetimeField(auto_now_add=True, db_index=True)

    class Meta:
        table = "card_journal"
        unique_together = (("kind", "reference"),)


class Entry(Model):
    """One leg of a journal on one account, signed in fen (positive: the account grows)."""

    id = fields.BigIntField(primary_key=True)
    journal = fields.ForeignKeyField("citizen_card.Journal", related_name="entries", on_delete=fields.RESTRICT)
    account = fields.ForeignKeyField("citizen_card.LedgerAccount", related_name="entries", on_delete=fields.RESTRICT)
    amount = fields.BigIntField()
    balance_after = fields.BigIntField(null=True)  # wallets only
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "card_entry"
        indexes = (("account_id", "id"),)


class Merchant(Model):
    """A shop, transit operator or service point that accepts the card."""

    id = fields.BigIntField(primary_key=True)
    name = fields.CharField(max_length=100)
    credit_code = fields.CharField(max_length=18)
    state = fields.CharField(max_length=16, default="active")
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "card_merchant"


class Terminal(Model):
    """A POS or gate of a merchant. Its HMAC secret is derived from the platform secret, key_id and
    secret_version, so no secret is stored - raising secret_version rotates it."""

    id = fields.BigIntField(primary_key=True)
    merchant = fields.ForeignKeyField("citizen_card.Merchant", related_name="terminals", on_delete=fields.RESTRICT)
    key_id = fields.CharField(max_length=32, unique=True)
    name = fields.CharField(max_length=100)
    secret_version = fields.IntField(default=1)
    state = fields.CharField(max_length=16, default="active")
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "card_terminal"


class Debit(Model):
    """A payment taken by a terminal. Unique by the terminal's transaction id (idempotency) and by
    the QR token (card, counter): the durable record that a token paid at most once."""

    id = fields.BigIntField(primary_key=True)
    terminal = fields.ForeignKeyField("citizen_card.Terminal", related_name="debits", on_delete=fields.RESTRICT)
    merchant_id = fields.BigIntField(db_index=True)
    txn_id = fields.CharField(max_length=64)
    card = fields.ForeignKeyField("citizen_card.Card", related_name="debits", on_delete=fields.RESTRICT)
    amount = fields.BigIntField()
    qr_counter = fields.BigIntField()
    qr_kid = fields.CharField(max_length=16)
    refunded = fields.BigIntField(default=0)
    journal = fields.ForeignKeyField("citizen_card.Journal", related_name="debits", on_delete=fields.RESTRICT)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "card_debit"
        unique_together = (("terminal_id", "txn_id"), ("card_id", "qr_counter"))


class DebitNonce(Model):
    """A nonce a terminal signed a debit request with, recorded by the debit statement itself on
    PostgreSQL (one round trip instead of a Redis command per payment; see db_rules.DEBIT_BATCH_FUNCTION).
    Other terminal routes, and debits on SQLite, use the nonce store. Purged after the signature's
    validity window (``card.purge_debit_nonces``)."""

    key = fields.CharField(max_length=100, primary_key=True)  # "<terminal id>:<nonce>"
    seen_at = fields.DatetimeField()

    class Meta:
        table = "card_debit_nonce"


class Refund(Model):
    """A refund of (part of) a debit, asked by a terminal of the same merchant, idempotent by its txn id."""

    id = fields.BigIntField(primary_key=True)
    terminal = fields.ForeignKeyField("citizen_card.Terminal", related_name="refunds", on_delete=fields.RESTRICT)
    txn_id = fields.CharField(max_length=64)
    debit = fields.ForeignKeyField("citizen_card.Debit", related_name="refunds", on_delete=fields.RESTRICT)
    amount = fields.BigIntField()
    journal = fields.ForeignKeyField("citizen_card.Journal", related_name="refunds", on_delete=fields.RESTRICT)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "card_refund"
        unique_together = (("terminal_id", "txn_id"),)


class CardEvent(Model):
    """Append-only log of what happened to a card and who did it (both people when acting for someone)."""

    id = fields.BigIntField(primary_key=True)
    card = fields.ForeignKeyField("citizen_card.Card", related_name="events", on_delete=fields.RESTRICT)
    action = fields.CharField(max_length=32)
    actor_kind = fields.CharField(max_length=16)
    actor_id = fields.BigIntField(null=True)
    on_behalf_of = fields.BigIntField(null=True)
    details = fields.JSONField(default=dict)
    at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "card_event"
