"""Realistic synthetic department data for tests, demos and benchmarks (any size, reproducible).

Resident IDs carry valid GB 11643 check characters and Zhuzhou birthplace codes, credit codes
valid GB 32100 check characters, regions are Zhuzhou's 12-digit statistical codes, names are
common Chinese names, and amounts are integer fen. Same seed, same rows.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import random
import string
from collections.abc import Iterable, Iterator
from functools import lru_cache
from typing import Any

from stdnum.cn import ric, uscc

# Zhuzhou (株洲市, 430200) districts and counties, GB/T 2260.
ZHUZHOU_COUNTIES: dict[str, str] = {
    "430202": "荷塘区", "430203": "芦淞区", "430204": "石峰区", "430211": "天元区", "430212": "渌口区",
    "430223": "攸县", "430224": "茶陵县", "430225": "炎陵县", "430281": "醴陵市",
}
STREETS = ("建设路", "新华路", "红旗路", "长江北路", "珠江南路", "庐山路", "神农大道", "车站路", "人民路", "湘江路")
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国志红玉梅文辉鹏飞宇浩然子涵欣怡梓轩雨桐思远佳琪俊杰婷"
BANKS = ("中国工商银行株洲分行", "中国建设银行株洲分行", "中国农业银行株洲分行", "中国银行株洲分行", "株洲农村商业银行")
COURTS = ("株洲市中级人民法院", "株洲市天元区人民法院", "株洲市荷塘区人民法院", "醴陵市人民法院")
_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def county(rng: random.Random) -> str:
    return rng.choice(list(ZHUZHOU_COUNTIES))


def region12(rng: random.Random, county_code: str | None = None) -> str:
    """A township/street code (9 significant digits) in a Zhuzhou county."""
    return (county_code or county(rng)) + f"{rng.randint(1, 12):03d}000"


# Birthplace codes on resident IDs are those in force at birth (株洲县 430221 until 2018, the
# districts renamed in 1997, ...); python-stdnum checks this, so the generator does too.
_ID_BIRTHPLACES = ("430202", "430203", "430204", "430211", "430212", "430220", "430221", "430223",
                   "430224", "430225", "430281")


@lru_cache(maxsize=256)
def birthplaces(year: int) -> tuple[str, ...]:
    """Zhuzhou county codes a person born in ``year`` can carry on their resident ID."""
    valid = []
    for code in _ID_BIRTHPLACES:
        body = f"{code}{year}0101001"
        if ric.is_valid(body + ric.calc_check_digit(body + "0")):
            valid.append(code)
    return tuple(valid)


def resident_id(rng: random.Random, *, born_from: int = 1950, born_to: int = 2004, male: bool | None = None) -> str:
    birth = dt.date(born_from, 1, 1) + dt.timedelta(days=rng.randrange((born_to - born_from + 1) * 365))
    seq = rng.randrange(1, 999)
    if male is not None and seq % 2 != int(male):
        seq += 1
    body = f"{rng.choice(birthplaces(birth.year))}{birth:%Y%m%d}{seq:03d}"
    return body + ric.calc_check_digit(body + "0")  # stdnum expects a placeholder check digit


def credit_code(rng: random.Random) -> str:
    body = "91" + county(rng) + "".join(rng.choice(_USCC_ALPHABET) for _ in range(9))
    return body + uscc.calc_check_digit(body)


def name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))


def mobile(rng: random.Random) -> str:
    return rng.choice(("13", "15", "17", "18", "19")) + "".join(rng.choices(string.digits, k=9))


def company(rng: random.Random) -> str:
    return "株洲" + rng.choice(("湘江", "神农", "炎帝", "动力", "时代", "南方", "千金", "旗滨")) + \
        rng.choice(("机械", "电子", "物流", "商贸", "建设", "陶瓷", "医药", "科技")) + "有限公司"


def address(rng: random.Random, county_code: str) -> str:
    return (f"湖南省株洲市{ZHUZHOU_COUNTIES[county_code]}{rng.choice(STREETS)}{rng.randint(1, 399)}号"
            f"{rng.randint(1, 30)}栋{rng.randint(1, 4)}单元{rng.randint(1, 33)}{rng.randint(1, 4):02d}室")


def months_back(end: str, count: int) -> list[str]:
    """``count`` months YYYYMM ending with ``end`` (oldest first)."""
    year, month = int(end[:4]), int(end[4:])
    out = []
    for _ in range(count):
        out.append(f"{year:04d}{month:02d}")
        month -= 1
        if month == 0:
            year, month = year - 1, 12
    return out[::-1]


def write_feed(path: str | os.PathLike[str], fields: Iterable[str], rows: Iterator[dict[str, Any]],
               fmt: str = "csv") -> int:
    """Write rows as CSV (with header) or JSON lines, streaming; returns the number of rows."""
    fields = list(fields)
    count = 0
    with open(path, "w", newline="", encoding="utf-8") as out:
        if fmt == "csv":
            writer = csv.writer(out)
            writer.writerow(fields)
            for row in rows:
                writer.writerow([row.get(f, "") for f in fields])
                count += 1
        else:
            for row in rows:
                out.write(json.dumps(row, ensure_ascii=False) + "\n")
                count += 1
    return count
