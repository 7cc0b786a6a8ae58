"""Housing provident fund (住房公积金) records: accounts and their journal imported from the fund
centre's feeds, and what citizens apply for here: withdrawals and loans with repayment plans.

Money is integer fen. People are keyed by ``person_key`` (keyed hash of the resident ID).
"""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

ACCOUNT_STATUSES = ("normal", "sealed", "closed")  # 正常 / 封存 / 销户
JOURNAL_KINDS = ("deposit", "supplement", "interest", "withdrawal", "loan_repay", "transfer_in", "transfer_out")
PURPOSES = ("rent", "purchase", "retirement")  # 租房 / 购房 / 离退休
LOAN_METHODS = ("equal_instalment", "equal_principal")  # 等额本息 / 等额本金


class FundAccount(Model):
    """A personal provident-fund account (个人公积金账户) as the fund centre last exported it."""

    id = fields.BigIntField(primary_key=True)
    account_no = fields.CharField(max_length=20, unique=True)
    person_key = fields.CharField(max_length=64, db_index=True)
    id_masked = fields.CharField(max_length=24)
    name_enc = fields.CharField(max_length=255)
    name_masked = fields.CharField(max_length=32)
    employer_name = fields.CharField(max_length=128)
    employer_uscc = fields.CharField(max_length=18)
    status = fields.CharField(max_length=16)
    balance_fen = fields.BigIntField()
    deposit_base_fen = fields.BigIntField()  # 缴存基数
    personal_rate_bp = fields.IntField()  # 个人缴存比例, basis points (5%-12%)
    employer_rate_bp = fields.IntField()
    monthly_deposit_fen = fields.BigIntField()  # 月缴存额, personal + employer
    opened_on = fields.DateField()
    last_period = fields.CharField(max_length=6, null=True)  # 缴至年月
    region_code = fields.CharField(max_length=12)
    imported_at = fields.DatetimeField(null=True)

    class Meta:
        table = "pf_account"


class JournalEntry(Model):
    """One movement of an account (缴存/提取/结息 明细), signed: money out is negative."""

    id = fields.BigIntField(primary_key=True)
    txn_no = fields.CharField(max_length=32, unique=True)
    account_no = fields.CharField(max_length=20, db_index=True)
    kind = fields.CharField(max_length=16)
    period = fields.CharField(max_length=6, null=True)
    amount_fen = fields.BigIntField()
    balance_after_fen = fields.BigIntField()
    booked_on = fields.DateField()
    imported_at = fields.DatetimeField(null=True)

    class Meta:
        table = "pf_journal"


class Withdrawal(Model):
    """A withdrawal application (提取申请) and its payout."""

    id = fields.BigIntField(primary_key=True)
    account_id = fields.BigIntField(db_index=True)  # the citizen
    account_no = fields.CharField(max_length=20, db_index=True)
    purpose = fields.CharField(max_length=16)
    amount_fen = fields.BigIntField()
    status = fields.CharField(max_length=16, default="pending")  # pending, paid, refused
    case_no = fields.CharField(max_length=64, null=True)
    case_id = fields.BigIntField(null=True)  # the case (core.cases.api.get_case), kept to need no join
    region_code = fields.CharField(max_length=12, null=True)  # the case's region: staff see their region's
    bank_account_masked = fields.CharField(max_length=32, default="")
    payout_txn_no = fields.CharField(max_length=32, null=True)
    refusal_code = fields.CharField(max_length=64, default="")
    details = fields.JSONField(default=dict)
    created_at = fields.DatetimeField(auto_now_add=True)
    decided_at = fields.DatetimeField(null=True)

    class Meta:
        table = "pf_withdrawal"


class Loan(Model):
    """A provident-fund loan application (公积金贷款) with its repayment plan."""

    id = fields.BigIntField(primary_key=True)
    account_id = fields.BigIntField(db_index=True)
    account_no = fields.CharField(max_length=20)
    principal_fen = fields.BigIntField()
    annual_rate_bp = fields.IntField()  # e.g. 285 = 2.85 %
    months = fields.IntField()
    method = fields.CharField(max_length=20)
    status = fields.CharField(max_length=16, default="applied")  # applied, approved, refused
    case_no = fields.CharField(max_length=64, null=True)
    case_id = fields.BigIntField(null=True)
    region_code = fields.CharField(max_length=12, null=True)
    property_unit_no = fields.CharField(max_length=28, default="")
    total_interest_fen = fields.BigIntField(default=0)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "pf_loan"


class LoanInstalment(Model):
    """One month of a repayment plan (还款计划): principal + interest = payment, to the fen."""

    id = fields.BigIntField(primary_key=True)
    loan = fields.ForeignKeyField("provident_fund.Loan", related_name="instalments", on_delete=fields.CASCADE)
    seq = fields.IntField()
    due_on = fields.DateField()
    principal_fen = fields.BigIntField()
    interest_fen = fields.BigIntField()
    payment_fen = fields.BigIntField()
    remaining_fen = fields.BigIntField()

    class Meta:
        table = "pf_loan_instalment"
        unique_together = (("loan", "seq"),)
