"""Repayment plans (还款计划) to the fen: plugins.provident_fund.loans.repayment_plan against
figures computed here independently, with Decimal arithmetic at 60 significant digits (the
implementation uses exact fractions), month by month for both methods and two loans."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal, localcontext

import pytest

from plugins.provident_fund.loans import repayment_plan, totals

FIRST_DUE = dt.date(2026, 12, 20)
LOANS = [
    pytest.param(60_000_000, 310, 360, id="600k-30y-3.10%"),  # 600,000 yuan, 30 years at 3.1 %
    pytest.param(20_000_000, 285, 60, id="200k-5y-2.85%"),  # 200,000 yuan, 5 years at 2.85 %
]


def to_fen(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def monthly_interest(remaining_fen: int, annual_bp: int) -> int:
    # One division of integers: a tie (x.5 fen) is represented exactly and rounds up.
    with localcontext() as ctx:
        ctx.prec = 60
        return to_fen(Decimal(remaining_fen * annual_bp) / Decimal(10_000 * 12))


def annuity_payment(principal_fen: int, annual_bp: int, months: int) -> int:
    """P·r(1+r)^n / ((1+r)^n − 1), r the monthly rate, rounded half up to the fen."""
    with localcontext() as ctx:
        ctx.prec = 60
        r = Decimal(annual_bp) / Decimal(120_000)
        growth = (1 + r) ** months
        exact = principal_fen * r * growth / (growth - 1)
        assert abs(exact - exact.to_integral_value() - Decimal("0.5")) > Decimal("1e-20")  # no tie to decide
        return to_fen(exact)


def reference_equal_instalment(principal_fen: int, annual_bp: int, months: int) -> list[tuple[int, int, int, int]]:
    """(principal, interest, payment, remaining) per month: a constant payment; the last month
    repays what remains with its interest."""
    payment = annuity_payment(principal_fen, annual_bp, months)
    rows, remaining = [], principal_fen
    for seq in range(1, months + 1):
        interest = monthly_interest(remaining, annual_bp)
        part = remaining if seq == months else payment - interest
        remaining -= part
        rows.append((part, interest, part + interest, remaining))
    return rows


def reference_equal_principal(principal_fen: int, annual_bp: int, months: int) -> list[tuple[int, int, int, int]]:
    """The principal split into equal parts to the fen, the first P mod n months one fen more."""
    with localcontext() as ctx:
        ctx.prec = 60
        share = Decimal(principal_fen) / Decimal(months)
    base = int(share.to_integral_value(rounding=ROUND_FLOOR))
    extra = principal_fen - base * months
    rows, remaining = [], principal_fen
    for seq in range(1, months + 1):
        interest = monthly_interest(remaining, annual_bp)
        part = base + (1 if seq <= extra else 0)
        remaining -= part
        rows.append((part, interest, part + interest, remaining))
    return rows


def as_rows(plan) -> list[tuple[int, int, int, int]]:
    return [(i.principal_fen, i.interest_fen, i.payment_fen, i.remaining_fen) for i in plan]


@pytest.mark.parametrize(("principal", "bp", "months"), LOANS)
def test_equal_instalments_match_the_annuity_formula_month_by_month(principal, bp, months):
    plan = repayment_plan(principal, bp, months, "equal_instalment", FIRST_DUE)
    expected = reference_equal_instalment(principal, bp, months)
    assert as_rows(plan) == expected
    payment = annuity_payment(principal, bp, months)
    assert all(i.payment_fen == payment for i in plan[:-1])
    last = plan[-1]
    assert last.remaining_fen == 0 and last.principal_fen == plan[-2].remaining_fen
    assert abs(last.payment_fen - payment) < months  # the adjustment is the accumulated rounding, a few fen
    assert [i.seq for i in plan] == list(range(1, months + 1))
    assert totals(plan) == {"principal_fen": principal, "interest_fen": sum(r[1] for r in expected),
                            "payment_fen": principal + sum(r[1] for r in expected)}


@pytest.mark.parametrize(("principal", "bp", "months"), LOANS)
def test_equal_principal_matches_the_reference_month_by_month(principal, bp, months):
    plan = repayment_plan(principal, bp, months, "equal_principal", FIRST_DUE)
    expected = reference_equal_principal(principal, bp, months)
    assert as_rows(plan) == expected
    assert max(i.principal_fen for i in plan) - min(i.principal_fen for i in plan) <= 1
    payments = [i.payment_fen for i in plan]
    assert payments == sorted(payments, reverse=True)  # falls every month
    assert plan[-1].remaining_fen == 0
    interest = sum(r[1] for r in expected)
    assert totals(plan) == {"principal_fen": principal, "interest_fen": interest, "payment_fen": principal + interest}


def test_published_figures():
    """Cross-checks with figures any bank calculator shows (monthly rate = annual / 12)."""
    big = repayment_plan(60_000_000, 310, 360, "equal_instalment", FIRST_DUE)
    assert big[0].payment_fen == 256_210 and big[0].interest_fen == 155_000  # 2,562.10 yuan; 1,550.00 interest
    even = repayment_plan(60_000_000, 310, 360, "equal_principal", FIRST_DUE)
    assert even[0].payment_fen == 166_667 + 155_000  # 1,666.67 principal + 1,550.00 interest
    # Equal principal: total interest is P·r·(n+1)/2 up to the monthly roundings.
    assert abs(totals(even)["interest_fen"] - 60_000_000 * 310 * 361 // (120_000 * 2)) <= 360
    small = repayment_plan(20_000_000, 285, 60, "equal_principal", FIRST_DUE)
    assert small[0].interest_fen == 47_500 and small[0].principal_fen == 333_334  # 200,000 x 2.85 % / 12


def test_due_dates_run_monthly_on_the_same_day():
    plan = repayment_plan(20_000_000, 285, 60, "equal_instalment", dt.date(2027, 1, 31))
    assert [i.due_on for i in plan[:3]] == [dt.date(2027, 1, 31), dt.date(2027, 2, 28), dt.date(2027, 3, 31)]
    assert plan[13].due_on == dt.date(2028, 2, 29) and plan[-1].due_on == dt.date(2031, 12, 31)


def test_zero_rate_and_bad_arguments():
    plan = repayment_plan(1_000_001, 0, 12, "equal_instalment", FIRST_DUE)
    assert sum(i.principal_fen for i in plan) == 1_000_001 and all(i.interest_fen == 0 for i in plan)
    assert plan[-1].remaining_fen == 0
    for args in ((0, 285, 12, "equal_instalment"), (100, 285, 0, "equal_principal"), (100, -1, 12, "equal_principal"),
                 (100, 285, 12, "balloon")):
        with pytest.raises(ValueError):
            repayment_plan(*args, FIRST_DUE)
