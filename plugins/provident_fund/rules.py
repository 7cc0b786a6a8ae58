"""The fund centre's rules for withdrawals and loans (株洲市住房公积金 policies, simplified and
configurable in one place). Every refusal is an error with a stable code and the rule in details.
"""

from __future__ import annotations

import datetime as dt

from core import errors

# Withdrawal per purpose.
RENT_YEARLY_CAP_FEN = 1_800_000  # 租房提取: at most 18,000 yuan per calendar year
RENT_MIN_DEPOSIT_MONTHS = 3  # deposits up to date within the last 3 months
RETIREMENT_AGE = {"M": 60, "F": 55}
# Loans.
LOAN_CAP_FEN = 60_000_000  # 60万 per household
LOAN_BALANCE_MULTIPLE = 15  # at most 15 x the account balance
LOAN_MIN_MONTHS, LOAN_MAX_MONTHS = 12, 360
LOAN_RATE_BP = {True: 235, False: 285}  # first-home rate: <= 5 years 2.35 %, longer 2.85 %

NO_ACCOUNT = errors.define("provident_fund.no_account", 404, "未查询到您的住房公积金账户",
                           "No provident fund account found for you")
ACCOUNT_NOT_NORMAL = errors.define("provident_fund.account_not_normal", 409, "公积金账户状态不是正常缴存，无法办理",
                                   "The provident fund account is not in normal deposit status")
OVER_BALANCE = errors.define("provident_fund.over_balance", 409, "提取金额超过账户可用余额",
                             "The amount exceeds the account's available balance")
RULE_VIOLATED = errors.define("provident_fund.rule_violated", 409, "不符合公积金{purpose}的条件：{rule}",
                              "Not eligible for this provident fund {purpose_en}: {rule_en}")
LOAN_INVALID = errors.define("provident_fund.loan_invalid", 409, "不符合公积金贷款条件：{rule}",
                             "Not eligible for a provident fund loan: {rule_en}")


def months_between(period: str | None, today: dt.date) -> int:
    if not period:
        return 10**6
    return (today.year - int(period[:4])) * 12 + today.month - int(period[4:])


def check_withdrawal(account, purpose: str, amount_fen: int, *, id_number: str, rent_paid_this_year_fen: int,
                     price_fen: int | None, today: dt.date) -> None:
    """Raise the refusal for a withdrawal of ``amount_fen`` for ``purpose`` from ``account``."""
    labels = {"rent": ("租房提取", "rent withdrawal"), "purchase": ("购房提取", "purchase withdrawal"),
              "retirement": ("离退休提取", "retirement withdrawal")}
    zh, en = labels[purpose]

    def refuse(rule: str, rule_en: str, **details) -> errors.AppError:
        return RULE_VIOLATED(details={"purpose": purpose, "rule": rule_en, **details}, purpose=zh, purpose_en=en,
                             rule=rule, rule_en=rule_en)

    if amount_fen <= 0:
        raise refuse("提取金额必须大于零", "the amount must be positive")
    if purpose != "retirement" and account.status != "normal":
        raise ACCOUNT_NOT_NORMAL(details={"status": account.status})
    if account.status == "closed":
        raise ACCOUNT_NOT_NORMAL(details={"status": account.status})
    if amount_fen > account.balance_fen:
        raise OVER_BALANCE(details={"balance_fen": account.balance_fen, "amount_fen": amount_fen})
    if purpose == "rent":
        if months_between(account.last_period, today) > RENT_MIN_DEPOSIT_MONTHS:
            raise refuse("近三个月须正常缴存", "deposits must be up to date within the last 3 months",
                         last_period=account.last_period)
        if rent_paid_this_year_fen + amount_fen > RENT_YEARLY_CAP_FEN:
            raise refuse("租房提取每年不超过18000元", "rent withdrawals are capped at 18,000 yuan a year",
                         cap_fen=RENT_YEARLY_CAP_FEN, already_fen=rent_paid_this_year_fen)
    elif purpose == "purchase":
        if not price_fen or amount_fen > price_fen:
            raise refuse("提取金额不得超过购房总价", "the amount may not exceed the purchase price", price_fen=price_fen)
    elif purpose == "retirement":
        gender = "M" if int(id_number[16]) % 2 else "F"
        birth = dt.date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))
        age = today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))
        if age < RETIREMENT_AGE[gender]:
            raise refuse("未达到法定退休年龄", "the applicant has not reached the statutory retirement age", age=age)
        if amount_fen != account.balance_fen:
            raise refuse("离退休提取须一次性提取全部余额并销户", "retirement withdraws the whole balance and closes the account",
                         balance_fen=account.balance_fen)


def loan_rate_bp(months: int) -> int:
    return LOAN_RATE_BP[months <= 60]


def check_loan(account, principal_fen: int, months: int, today: dt.date) -> None:
    def refuse(rule: str, rule_en: str, **details) -> errors.AppError:
        return LOAN_INVALID(details={"rule": rule_en, **details}, rule=rule, rule_en=rule_en)

    if account.status != "normal":
        raise ACCOUNT_NOT_NORMAL(details={"status": account.status})
    if not LOAN_MIN_MONTHS <= months <= LOAN_MAX_MONTHS:
        raise refuse("贷款期限为12至360个月", "the term must be 12-360 months", months=months)
    if months_between(account.last_period, today) > 6:
        raise refuse("申请前须连续正常缴存", "deposits must be up to date", last_period=account.last_period)
    limit = min(LOAN_CAP_FEN, account.balance_fen * LOAN_BALANCE_MULTIPLE)
    if not 0 < principal_fen <= limit:
        raise refuse("贷款额度不超过账户余额的15倍且不超过60万元",
                     "at most 15 x the balance and at most 600,000 yuan", limit_fen=limit)
