"""The registration centre's feeds (docs/plugins/real_estate.md): properties, owners and
encumbrances, with synthetic generators of the same shape."""

from __future__ import annotations

import random
import re
from collections.abc import Iterator

from core.feeds import FeedField, FeedSpec, pii
from core.feeds import parsers as p
from core.feeds import synthetic as syn
from plugins.real_estate.models import ENCUMBRANCE_KINDS, ENCUMBRANCE_STATUSES, USAGES

ZHUZHOU = "4302"
# 不动产单元号 (GB/T 37346): 6 county + 6 cadastral zone + 7 parcel (ownership + use letter,
# 5 digits) + 9 fixture (F = building, 8 digits).
_UNIT = re.compile(r"^\d{12}[GJZ][ABSXCDWY]\d{5}[FLQW]\d{8}$")


def unit_no(value) -> str:
    raw = str(value).strip().upper()
    if not _UNIT.match(raw):
        raise p.RowRejected("not a 28-character real-estate unit number (不动产单元号)")
    return raw


def share_bp(value) -> int:
    return p.integer(minimum=1, maximum=10_000)(value)


def _owner_row(unit_no, id_number, name, share_bp) -> tuple:
    return (unit_no, pii.person_key(id_number), pii.mask_id(id_number), pii.encrypt(name, "re.name"),
            pii.mask_name(name), share_bp)


def properties(seed: int) -> Iterator[dict]:
    """Properties with one or two owners and, for some, a mortgage or a seizure."""
    rng = random.Random(seed)
    n = 0
    while True:
        n += 1
        county = syn.county(rng)
        unit = f"{county}{rng.randint(1, 20):03d}{rng.randint(1, 30):03d}GB{rng.randint(1, 99999):05d}F{n % 10**8:08d}"
        year = rng.randint(2005, 2025)
        owners = [{"id_number": syn.resident_id(rng, born_from=1960, born_to=1998), "name": syn.name(rng)}
                  for _ in range(rng.choice((1, 1, 2)))]
        share = 10_000 // len(owners)
        for owner in owners:
            owner["share_bp"] = str(share)
        owners[0]["share_bp"] = str(10_000 - share * (len(owners) - 1))
        encumbrances = []
        if rng.random() < 0.3:
            encumbrances.append({"ref_no": f"湘({year})株洲市不动产证明第{n:07d}号", "kind": "mortgage",
                                 "holder": rng.choice(syn.BANKS), "amount_fen": str(rng.randrange(20, 150) * 1_000_000),
                                 "starts_on": f"{year}-{rng.randint(1, 12):02d}-15", "ends_on": f"{year + 20}-12-31",
                                 "status": "active"})
        if rng.random() < 0.03:
            encumbrances.append({"ref_no": f"({year})湘0{rng.randint(202, 281)}执{n}号", "kind": "seizure",
                                 "holder": rng.choice(syn.COURTS), "amount_fen": "", "starts_on": f"{year}-06-01",
                                 "ends_on": f"{year + 3}-05-31", "status": "active"})
        yield {
            "unit_no": unit, "cert_no": f"湘({year})株洲市不动产权第{n:07d}号", "region_code": syn.region12(rng, county),
            "address": syn.address(rng, county), "usage": rng.choices(USAGES, (85, 8, 5, 2))[0],
            "area_m2_x100": str(rng.randrange(4_000, 20_000)), "land_use_end": f"{year + 70}-12-31",
            "registered_on": f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
            "_owners": owners, "_encumbrances": encumbrances,
        }


def generate_properties(count: int, seed: int) -> Iterator[dict]:
    stream = properties(seed)
    for _ in range(count):
        row = next(stream)
        yield {k: v for k, v in row.items() if not k.startswith("_")}


def generate_owners(count: int, seed: int) -> Iterator[dict]:
    produced = 0
    for prop in properties(seed):
        for owner in prop["_owners"]:
            yield {"unit_no": prop["unit_no"], **owner}
            produced += 1
            if produced >= count:
                return


def generate_encumbrances(count: int, seed: int) -> Iterator[dict]:
    produced = 0
    for prop in properties(seed):
        for enc in prop["_encumbrances"]:
            yield {"unit_no": prop["unit_no"], **enc}
            produced += 1
            if produced >= count:
                return


PROPERTIES = FeedSpec(
    name="properties", model="real_estate.Property", title="不动产登记簿", title_en="Property register",
    description="One row per real-estate unit with its current certificate.",
    fields=(
        FeedField("unit_no", unit_no, doc="不动产单元号 (28 characters)", example="430202001002GB00012F00000001"),
        FeedField("cert_no", p.text(64), doc="不动产权证书号", example="湘(2020)株洲市不动产权第0012345号"),
        FeedField("region_code", p.region(ZHUZHOU), doc="12-digit region code in Zhuzhou", example="430202003000"),
        FeedField("address", p.text(255), doc="坐落", example="湖南省株洲市荷塘区新华路12号3栋2单元1201室"),
        FeedField("usage", p.choice(*USAGES), doc="用途 " + "/".join(USAGES), example="residential"),
        FeedField("area_m2_x100", p.integer(minimum=1, maximum=10**9), doc="建筑面积, hundredths of m²", example="11250"),
        FeedField("land_use_end", p.date, required=False, doc="土地使用期限至", example="2090-12-31"),
        FeedField("registered_on", p.date, doc="登记日期", example="2020-05-18"),
    ),
    key=("unit_no",), generate=generate_properties,
)

OWNERS = FeedSpec(
    name="owners", model="real_estate.Owner", title="权利人", title_en="Owners",
    description="One row per owner of a unit; shares in basis points of 10000.",
    fields=(
        FeedField("unit_no", unit_no, doc="不动产单元号", example="430202001002GB00012F00000001"),
        FeedField("id_number", p.resident_id, doc="权利人公民身份号码", example="430202199807150013"),
        FeedField("name", p.text(30), doc="权利人姓名", example="王芳"),
        FeedField("share_bp", share_bp, doc="共有份额, basis points (10000 = sole owner)", example="10000"),
    ),
    columns=("unit_no", "person_key", "id_masked", "name_enc", "name_masked", "share_bp"),
    key=("unit_no", "person_key"), build=_owner_row, generate=generate_owners,
)

ENCUMBRANCES = FeedSpec(
    name="encumbrances", model="real_estate.Encumbrance", title="抵押查封", title_en="Mortgages and seizures",
    description="One row per mortgage (抵押) or seizure (查封); status released when lifted.",
    fields=(
        FeedField("ref_no", p.text(64), doc="登记证明号 / 查封文书号", example="湘(2021)株洲市不动产证明第0004567号"),
        FeedField("unit_no", unit_no, doc="不动产单元号", example="430202001002GB00012F00000001"),
        FeedField("kind", p.choice(*ENCUMBRANCE_KINDS), doc="mortgage / seizure", example="mortgage"),
        FeedField("holder", p.text(128), doc="抵押权人 / 查封机关", example="中国建设银行株洲分行"),
        FeedField("amount_fen", p.fen(maximum=10**12), required=False, doc="被担保债权数额 (fen)", example="80000000"),
        FeedField("starts_on", p.date, doc="起始日期", example="2021-03-15"),
        FeedField("ends_on", p.date, required=False, doc="终止日期", example="2041-03-14"),
        FeedField("status", p.choice(*ENCUMBRANCE_STATUSES), doc="active / released", example="active"),
    ),
    key=("ref_no",), generate=generate_encumbrances,
)

FEEDS = [PROPERTIES, OWNERS, ENCUMBRANCES]
