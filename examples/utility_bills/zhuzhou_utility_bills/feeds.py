"""The companies' exports: households and monthly bills (CSV or JSON lines)."""

from __future__ import annotations

import random
from collections.abc import Iterator

from core.feeds import FeedField, FeedSpec, RowRejected, pii
from core.feeds import parsers as p
from core.feeds import synthetic as syn
from zhuzhou_utility_bills.models import UTILITIES


def household_no(value) -> str:
    raw = str(value).strip()
    if not (raw.isdigit() and 8 <= len(raw) <= 20):
        raise RowRejected("household number must be 8-20 digits")
    return raw


def _household_row(household_no, utility, id_number, address) -> tuple:
    return (household_no, utility, pii.person_key(id_number), address)


def _households(seed: int) -> Iterator[dict[str, str]]:
    rng = random.Random(seed)
    n = 0
    while True:
        n += 1
        county = syn.county(rng)
        yield {"household_no": f"{UTILITIES.index(UTILITIES[n % 3]) + 1}{seed % 1000:03d}{n:08d}",
               "utility": UTILITIES[n % 3], "id_number": syn.resident_id(rng), "address": syn.address(rng, county)}


def generate_households(count: int, seed: int) -> Iterator[dict[str, str]]:
    stream = _households(seed)
    for _ in range(count):
        yield next(stream)


def generate_bills(count: int, seed: int) -> Iterator[dict[str, str]]:
    rng = random.Random(seed + 1)
    produced = 0
    for household in _households(seed):
        for month in syn.months_back("202610", 6):
            yield {"household_no": household["household_no"], "period": month,
                   "amount_fen": str(rng.randrange(1_500, 40_000)), "due_on": f"{month[:4]}-{month[4:]}-25"}
            produced += 1
            if produced >= count:
                return


HOUSEHOLDS = FeedSpec(
    name="households", model="utility_bills.Household", title="户号", title_en="Households",
    fields=(FeedField("household_no", household_no, doc="户号"), FeedField("utility", p.choice(*UTILITIES), doc="water/power/gas"),
            FeedField("id_number", p.resident_id, doc="户主公民身份号码"), FeedField("address", p.text(255), doc="用电/用水/用气地址")),
    columns=("household_no", "utility", "person_key", "address"), key=("household_no",), build=_household_row,
    generate=generate_households,
)
BILLS = FeedSpec(
    name="bills", model="utility_bills.Bill", title="账单", title_en="Bills",
    fields=(FeedField("household_no", household_no, doc="户号"), FeedField("period", p.period, doc="账期 YYYYMM"),
            FeedField("amount_fen", p.fen(minimum=1, maximum=10**9), doc="应缴金额 (fen)"),
            FeedField("due_on", p.date, doc="缴费截止日")),
    key=("household_no", "period"), generate=generate_bills,
)
