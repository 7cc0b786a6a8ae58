"""Repayment plans (还款计划) computed to the fen with exact rational arithmetic.

* Equal instalments (等额本息): the monthly payment is P·r(1+r)^n / ((1+r)^n − 1), rounded half
  up to the fen; each month's interest is the remaining principal × r, rounded half up; the
  principal part is the payment minus the interest; the last month repays whatever remains, so
  the principal parts sum to the loan exactly.
* Equal principal (等额本金): P is split into n parts that differ by at most one fen (the first
  P mod n months carry the extra fen); interest as above.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from fractions import Fraction

METHODS = ("equal_instalment", "equal_principal")


@dataclass(frozen=True, slots=True)
class Instalment:
    seq: int
    due_on: dt.date
    principal_fen: int
    interest_fen: int
    payment_fen: int
    remaining_fen: int


def _round_half_up(value: Fraction) -> int:
    return int((value * 2 + 1) // 2) if value >= 0 else -_round_half_up(-value)


def _add_months(day: dt.date, months: int) -> dt.date:
    year, month = divmod(day.month - 1 + months, 12)
    year += day.year
    month += 1
    last = [31, 29 if year % 4 == 0 and (year % 100 or year % 400 == 0) else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
    return dt.date(year, month, min(day.day, last[month - 1]))


def repayment_plan(principal_fen: int, annual_rate_bp: int, months: int, method: str,
                   first_due: dt.date) -> list[Instalment]:
    if principal_fen <= 0 or months <= 0 or annual_rate_bp < 0 or method not in METHODS:
        raise ValueError("principal and months must be positive, the rate not negative, the method known")
    rate = Fraction(annual_rate_bp, 10_000 * 12)
    plan: list[Instalment] = []
    remaining = principal_fen
    if method == "equal_instalment":
        if rate:
            growth = (1 + rate) ** months
            payment = _round_half_up(principal_fen * rate * growth / (growth - 1))
        else:
            payment = -(-principal_fen // months)
    base, extra = divmod(principal_fen, months)
    for seq in range(1, months + 1):
        interest = _round_half_up(remaining * rate)
        if method == "equal_instalment":
            part = remaining if seq == months else min(payment - interest, remaining)
        else:
            part = base + (1 if seq <= extra else 0)
        remaining -= part
        plan.append(Instalment(seq, _add_months(first_due, seq - 1), part, interest, part + interest, remaining))
    return plan


def totals(plan: list[Instalment]) -> dict[str, int]:
    return {"principal_fen": sum(i.principal_fen for i in plan), "interest_fen": sum(i.interest_fen for i in plan),
            "payment_fen": sum(i.payment_fen for i in plan)}
