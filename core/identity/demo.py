"""``zhushida seed demo`` for identity: the Zhuzhou region tree, departments, demo staff, a demo
citizen, and the population / business register rows the sandbox authority answers from.

Idempotent. Demo staff passwords are for the embedded demo only; production refuses demo data.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime

from stdnum.cn import ric, uscc

from core.identity import accounts
from core.identity.authority import add_population_record
from core.identity.enterprises import add_business_record
from core.identity.models import Account, Department, StaffKind, StaffUser
from core.identity.seed import seed_departments, seed_zhuzhou_regions
from core.identity.staff import hash_password
from core.settings import ConfigurationError, get_settings

DEMO_PASSWORD_ENV = "ZHUSHIDA_DEMO_PASSWORD"
DEFAULT_DEMO_PASSWORD = "zhushida-demo-2026"


def resident_id(prefix6: str, birth: str, serial: str) -> str:
    body = prefix6 + birth + serial
    return body + ric.calc_check_digit(body + "0")


def credit_code(body17: str) -> str:
    return body17 + uscc.calc_check_digit(body17 + "0")


DEMO_CITIZEN = {
    "name": "张三",
    "phone": "13800001234",
    "id_number": resident_id("430281", "19900101", "123"),
    "region": "430281001000",
}
# (name, id number, household region, alive) — the population register sample.
POPULATION = [
    (DEMO_CITIZEN["name"], DEMO_CITIZEN["id_number"], DEMO_CITIZEN["region"], True),
    ("李四", resident_id("430223", "19851212", "231"), "430223001000", True),
    ("王芳", resident_id("430221", "19620305", "462"), "430202001000", True),
    ("刘洋", resident_id("430211", "20010718", "115"), "430211003000", True),
    ("陈静", resident_id("430281", "19920920", "048"), "430281002000", True),
    ("杨磊", resident_id("430221", "19400101", "011"), "430204001000", False),
]
DEMO_ENTERPRISE = {
    "uscc": credit_code("91430281MA4PDE7K1"),
    "name": "醴陵市诸事达陶瓷有限公司",
    "legal_rep": DEMO_CITIZEN["id_number"],
    "region": "430281000000",
}

# (username, name, kind, department code, roles, region)
DEMO_STAFF = [
    ("rsj.clerk", "人社窗口受理员", "staff", "RSJ", ["clerk"], "430200000000"),
    ("rsj.reviewer", "人社审核员", "staff", "RSJ", ["reviewer"], "430200000000"),
    ("rsj.head", "人社科长", "staff", "RSJ", ["head"], "430200000000"),
    ("rsj.admin", "人社部门管理员", "staff", "RSJ", ["dept_admin"], "430200000000"),
    ("gjj.clerk", "公积金受理员", "staff", "GJJ", ["clerk", "reviewer"], "430200000000"),
    ("bdc.clerk", "不动产受理员", "staff", "BDC", ["clerk", "reviewer", "head"], "430200000000"),
    ("ll.rsj.clerk", "醴陵人社受理员", "staff", "LL-RSJ", ["clerk"], "430281000000"),
    ("city.operator", "市级运营", "operator", None, [], "430200000000"),
    ("liling.operator", "醴陵运营", "operator", None, [], "430281000000"),
    ("youxian.operator", "攸县运营", "operator", None, [], "430223000000"),
    ("admin", "平台管理员", "admin", None, [], None),
]


async def seed_demo() -> None:
    settings = get_settings()
    if settings.is_production:
        raise ConfigurationError("demo data is not seeded in production")
    await seed_zhuzhou_regions()
    await seed_departments()
    for name, number, region, alive in POPULATION:
        await add_population_record(name, number, region_code=region, alive=alive)
    await add_business_record(
        DEMO_ENTERPRISE["uscc"],
        DEMO_ENTERPRISE["name"],
        DEMO_ENTERPRISE["legal_rep"],
        region_code=DEMO_ENTERPRISE["region"],
    )
    password = os.environ.get(DEMO_PASSWORD_ENV, DEFAULT_DEMO_PASSWORD)
    departments = {d.code: d for d in await Department.all()}
    for username, name, kind, dept, roles, region in DEMO_STAFF:
        if await StaffUser.exists(username=username):
            continue
        await StaffUser.create(
            username=username,
            name=name,
            kind=StaffKind(kind),
            department=departments.get(dept) if dept else None,
            roles=roles,
            region_code=region,
            password_hash=hash_password(password),
        )
    if await accounts.find_by_phone(DEMO_CITIZEN["phone"]) is None:
        now = datetime.now(UTC)
        citizen = Account(
            level=2,
            home_region_code=DEMO_CITIZEN["region"],
            phone_verified_at=now,
            id_verified_at=now,
        )
        accounts.set_phone(citizen, DEMO_CITIZEN["phone"])
        accounts.set_name(citizen, DEMO_CITIZEN["name"])
        accounts.set_id_number(citizen, DEMO_CITIZEN["id_number"])
        await citizen.save()
