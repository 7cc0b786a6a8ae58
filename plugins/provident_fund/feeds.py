"""The fund centre's feeds (docs/plugins/provident_fund.md): accounts and their journal, with
synthetic generators of the same shape."""

from __future__ import annotations

import random
from collections.abc import Iterator

from core.feeds import FeedField, FeedSpec, pii
from core.feeds import parsers as p
from core.feeds import synthetic as syn
from plugins.provident_fund.models import ACCOUNT_STATUSES, JOURNAL_KINDS

ZHUZHOU = "4302"


def _account_row(account_no, id_number, name, employer_name, employer_uscc, status, balance_fen, deposit_base_fen,
                 personal_rate_bp, employer_rate_bp, opened_on, last_period, region_code) -> tuple:
    monthly = deposit_base_fen * (personal_rate_bp + employer_rate_bp) // 10_000
    return (account_no, pii.person_key(id_number), pii.mask_id(id_number), pii.encrypt(name, "pf.name"),
            pii.mask_name(name), employer_name, employer_uscc, status, balance_fen, deposit_base_fen,
            personal_rate_bp, employer_rate_bp, monthly, opened_on, last_period, region_code)


def rate_bp(value) -> int:
    rate = p.integer(minimum=500, maximum=1200)(value)  # 5%-12% (《住房公积金管理条例》第十八条)
    return rate


def account_no(value) -> str:
    raw = str(value).strip()
    if not (raw.isdigit() and 8 <= len(raw) <= 20):
        raise p.RowRejected("account number must be 8-20 digits")
    return raw


def accounts(seed: int) -> Iterator[dict[str, str]]:
    rng = random.Random(seed)
    n = 0
    seen: set[str] = set()
    while True:
        id_number = syn.resident_id(rng, born_from=1965, born_to=2002)
        if id_number in seen:  # one account per person in the synthetic data
            continue
        seen.add(id_number)
        n += 1
        county = syn.county(rng)
        base = rng.randrange(200_000, 2_500_000, 100)
        rate = rng.choice((500, 800, 1000, 1200))
        yield {
            "account_no": f"4302{seed % 100:02d}{n:08d}", "id_number": id_number,
            "name": syn.name(rng), "employer_name": syn.company(rng), "employer_uscc": syn.credit_code(rng),
            "status": rng.choices(ACCOUNT_STATUSES, (90, 9, 1))[0], "balance_fen": str(rng.randrange(0, 30_000_000)),
            "deposit_base_fen": str(base), "personal_rate_bp": str(rate), "employer_rate_bp": str(rate),
            "opened_on": f"{rng.randint(2000, 2024)}-{rng.randint(1, 12):02d}-01", "last_period": "202610",
            "region_code": syn.region12(rng, county),
        }


def generate_accounts(count: int, seed: int) -> Iterator[dict[str, str]]:
    stream = accounts(seed)
    for _ in range(count):
        yield next(stream)


def generate_journal(count: int, seed: int, *, months: int = 24) -> Iterator[dict[str, str]]:
    """Monthly deposits (汇缴) and a yearly interest line (结息, 30 June) for the accounts of the seed."""
    produced = 0
    for account in accounts(seed):
        monthly = int(account["deposit_base_fen"]) * int(account["personal_rate_bp"]) * 2 // 10_000
        balance = max(0, int(account["balance_fen"]) - monthly * months)
        for i, month in enumerate(syn.months_back("202610", months)):
            balance += monthly
            yield {"txn_no": f"{account['account_no']}{month}D", "account_no": account["account_no"], "kind": "deposit",
                   "period": month, "amount_fen": str(monthly), "balance_after_fen": str(balance),
                   "booked_on": f"{month[:4]}-{month[4:]}-10"}
            produced += 1
            if produced >= count:
                return
            if month.endswith("06") and i:
                interest = balance * 150 // 10_000  # 1.5 % a year on the balance
                balance += interest
                yield {"txn_no": f"{account['account_no']}{month}I", "account_no": account["account_no"],
                       "kind": "interest", "period": month, "amount_fen": str(interest),
                       "balance_after_fen": str(balance), "booked_on": f"{month[:4]}-06-30"}
                produced += 1
                if produced >= count:
                    return


ACCOUNTS = FeedSpec(
    name="accounts", model="provident_fund.FundAccount", title="个人账户", title_en="Personal accounts",
    description="One row per personal account; balance as of the export.",
    fields=(
        FeedField("account_no", account_no, doc="个人公积金账号 (8-20 digits)", example="430201000000001"),
        FeedField("id_number", p.resident_id, doc="公民身份号码", example="430202199807150013"),
        FeedField("name", p.text(30), doc="姓名", example="王芳"),
        FeedField("employer_name", p.text(128), doc="单位名称", example="株洲湘江机械有限公司"),
        FeedField("employer_uscc", p.credit_code, doc="单位统一社会信用代码", example="91430202MA4L00001L"),
        FeedField("status", p.choice(*ACCOUNT_STATUSES), doc="账户状态 normal/sealed/closed (正常/封存/销户)", example="normal"),
        FeedField("balance_fen", p.fen(maximum=10**11), doc="账户余额 (fen)", example="5230000"),
        FeedField("deposit_base_fen", p.fen(maximum=10**9), doc="缴存基数 (fen)", example="650000"),
        FeedField("personal_rate_bp", rate_bp, doc="个人缴存比例, basis points 500-1200", example="1200"),
        FeedField("employer_rate_bp", rate_bp, doc="单位缴存比例, basis points 500-1200", example="1200"),
        FeedField("opened_on", p.date, doc="开户日期", example="2012-03-01"),
        FeedField("last_period", p.period, required=False, doc="缴至年月 YYYYMM", example="202610"),
        FeedField("region_code", p.region(ZHUZHOU), doc="12-digit region code in Zhuzhou", example="430202003000"),
    ),
    columns=("account_no", "person_key", "id_masked", "name_enc", "name_masked", "employer_name", "employer_uscc",
             "status", "balance_fen", "deposit_base_fen", "personal_rate_bp", "employer_rate_bp",
             "monthly_deposit_fen", "opened_on", "last_period", "region_code"),
    key=("account_no",), build=_account_row, generate=generate_accounts,
)

JOURNAL = FeedSpec(
    name="journal", model="provident_fund.JournalEntry", title="缴存提取明细", title_en="Account journal",
    description="One row per movement, keyed by the centre's transaction number; money out is negative.",
    fields=(
        FeedField("txn_no", p.text(32), doc="业务流水号 (unique)", example="430201000000001202610D"),
        FeedField("account_no", account_no, doc="个人公积金账号", example="430201000000001"),
        FeedField("kind", p.choice(*JOURNAL_KINDS), doc="业务类型 " + "/".join(JOURNAL_KINDS), example="deposit"),
        FeedField("period", p.period, required=False, doc="所属期 YYYYMM", example="202610"),
        FeedField("amount_fen", p.fen(minimum=-10**11, maximum=10**11), doc="发生额 (fen, signed)", example="156000"),
        FeedField("balance_after_fen", p.fen(maximum=10**11), doc="余额 (fen)", example="5230000"),
        FeedField("booked_on", p.date, doc="记账日期", example="2026-10-10"),
    ),
    key=("txn_no",), generate=generate_journal,
)

FEEDS = [ACCOUNTS, JOURNAL]
