"""The social security bureau's feeds (docs/plugins/social_security.md): insured persons and
their monthly contributions, with synthetic generators of the same shape."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator

from core.feeds import FeedField, FeedSpec, pii
from core.feeds import parsers as p
from core.feeds import synthetic as syn
from plugins.social_security.models import INSURANCE_KINDS, PERSON_STATUSES

ZHUZHOU = "4302"
# Contribution rates (basis points of the base) used by the generator: personal, employer.
RATES = {"pension": (800, 1600), "medical": (200, 800), "unemployment": (30, 70), "injury": (0, 50)}


def _person_row(id_number, name, region_code, insured_since, status, employer_name, employer_uscc, phone) -> tuple:
    birth = dt.date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))
    return (
        pii.person_key(id_number), pii.mask_id(id_number), pii.encrypt(name, "ss.name"), pii.mask_name(name),
        "M" if int(id_number[16]) % 2 else "F", birth, region_code, insured_since, status, employer_name,
        employer_uscc, pii.encrypt(phone, "ss.phone") if phone else None, pii.mask_phone(phone) if phone else None,
    )


def _contribution_row(id_number, period, insurance, base_fen, personal_fen, employer_fen, employer_uscc, paid_on) -> tuple:
    return (pii.person_key(id_number), period, insurance, base_fen, personal_fen, employer_fen, employer_uscc, paid_on)


def _contribution_columns(id_numbers, *values) -> tuple:
    """_contribution_row for a whole batch: one keyed hash per distinct ID (millions of rows)."""
    return (pii.person_key_column(id_numbers), *values)


def people(seed: int) -> Iterator[dict[str, str]]:
    """An endless, reproducible stream of Zhuzhou insured persons."""
    rng = random.Random(seed)
    seen: set[str] = set()  # one person, one ID: a repeated random ID is drawn again
    while True:
        county = syn.county(rng)
        retired = rng.random() < 0.15
        rid = syn.resident_id(rng, born_from=1950 if retired else 1965,
                              born_to=1962 if retired else 2004)
        if rid in seen:
            continue
        seen.add(rid)
        yield {
            "id_number": rid, "name": syn.name(rng), "region_code": syn.region12(rng, county),
            "insured_since": f"{max(int(rid[6:10]) + 20, 1995)}-{rng.randint(1, 12):02d}-01",
            "status": "retired" if retired else rng.choices(("active", "suspended"), (9, 1))[0],
            "employer_name": "" if retired else syn.company(rng),
            "employer_uscc": "" if retired else syn.credit_code(rng),
            "phone": syn.mobile(rng),
        }


def generate_persons(count: int, seed: int) -> Iterator[dict[str, str]]:
    stream = people(seed)
    for _ in range(count):
        yield next(stream)


def generate_contributions(count: int, seed: int, *, last_period: str = "202610", months: int = 24) -> Iterator[dict[str, str]]:
    """Contribution rows of the people of the same seed, ``months`` months each, four insurances."""
    rng = random.Random(seed + 1)
    produced = 0
    for person in people(seed):
        base = rng.randrange(380_000, 2_000_000, 100)  # 3,800-20,000 yuan a month
        for month in syn.months_back(last_period, months):
            paid = f"{month[:4]}-{month[4:]}-15"
            for kind in INSURANCE_KINDS:
                personal, employer = RATES[kind]
                yield {
                    "id_number": person["id_number"], "period": month, "insurance": kind, "base_fen": str(base),
                    "personal_fen": str(base * personal // 10_000), "employer_fen": str(base * employer // 10_000),
                    "employer_uscc": person["employer_uscc"], "paid_on": paid,
                }
                produced += 1
                if produced >= count:
                    return


PERSONS = FeedSpec(
    name="persons",
    model="social_security.InsuredPerson",
    title="参保人员", title_en="Insured persons",
    description="One row per insured person; re-sending a person updates them.",
    fields=(
        FeedField("id_number", p.resident_id, doc="公民身份号码 (GB 11643, check digit verified)", example="430202199807150013"),
        FeedField("name", p.text(30), doc="姓名", example="王芳"),
        FeedField("region_code", p.region(ZHUZHOU), doc="参保地 12-digit region code in Zhuzhou", example="430202003000"),
        FeedField("insured_since", p.date, doc="首次参保日期 YYYY-MM-DD", example="2010-07-01"),
        FeedField("status", p.choice(*PERSON_STATUSES), doc="参保状态: active/suspended/retired/terminated", example="active"),
        FeedField("employer_name", p.text(128), required=False, doc="单位名称", example="株洲湘江机械有限公司"),
        FeedField("employer_uscc", p.credit_code, required=False, doc="单位统一社会信用代码", example="91430202MA4L00001L"),
        FeedField("phone", p.mobile, required=False, doc="联系电话 (mainland mobile)", example="13807330001"),
    ),
    columns=("person_key", "id_masked", "name_enc", "name_masked", "gender", "birth_date", "region_code",
             "insured_since", "status", "employer_name", "employer_uscc", "phone_enc", "phone_masked"),
    key=("person_key",),
    build=_person_row,
    generate=generate_persons,
)

CONTRIBUTIONS = FeedSpec(
    name="contributions",
    model="social_security.Contribution",
    title="缴费记录", title_en="Contribution history",
    description="One row per person, month and insurance; amounts in fen.",
    fields=(
        FeedField("id_number", p.resident_id, doc="公民身份号码", example="430202199807150013"),
        FeedField("period", p.period, doc="费款所属期 YYYYMM", example="202609"),
        FeedField("insurance", p.choice(*INSURANCE_KINDS), doc="险种: pension/medical/unemployment/injury", example="pension"),
        FeedField("base_fen", p.fen(maximum=10**9), doc="缴费基数 (fen)", example="650000"),
        FeedField("personal_fen", p.fen(maximum=10**9), doc="个人缴费 (fen)", example="52000"),
        FeedField("employer_fen", p.fen(maximum=10**9), doc="单位缴费 (fen)", example="104000"),
        FeedField("employer_uscc", p.credit_code, required=False, doc="缴费单位统一社会信用代码", example="91430202MA4L00001L"),
        FeedField("paid_on", p.date, required=False, doc="到账日期 YYYY-MM-DD", example="2026-09-15"),
    ),
    columns=("person_key", "period", "insurance", "base_fen", "personal_fen", "employer_fen", "employer_uscc", "paid_on"),
    key=("person_key", "period", "insurance"),
    build=_contribution_row,
    build_columns=_contribution_columns,
    generate=generate_contributions,
)

FEEDS = [PERSONS, CONTRIBUTIONS]
