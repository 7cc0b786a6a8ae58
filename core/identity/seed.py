"""Reference data the platform starts with: the Zhuzhou region tree and the city's departments.

County-level codes are GB/T 2260 (株洲县 became 渌口区 430212 in 2018). The townships and villages
are real place names in the 12-digit statistical format, but their 7th-12th digits are samples that
could not be checked against the national statistical file here: production loads the official
file with ``zhushida regions import``, which renames or adds codes as the file says.
"""

from __future__ import annotations

from core.identity.models import Department, Region, RegionLevel

ZHUZHOU = "430200000000"

# (code, name) — the city and its nine county-level divisions.
ZHUZHOU_COUNTIES: list[tuple[str, str]] = [
    ("430202000000", "荷塘区"),
    ("430203000000", "芦淞区"),
    ("430204000000", "石峰区"),
    ("430211000000", "天元区"),
    ("430212000000", "渌口区"),
    ("430223000000", "攸县"),
    ("430224000000", "茶陵县"),
    ("430225000000", "炎陵县"),
    ("430281000000", "醴陵市"),
]

# A sample of townships/streets and villages/communities (statistical codes).
ZHUZHOU_SAMPLE_TOWNSHIPS: list[tuple[str, str]] = [
    ("430202001000", "月塘街道"),
    ("430202005000", "茨菇塘街道"),
    ("430203004000", "建宁街道"),
    ("430204001000", "清水塘街道"),
    ("430204006000", "田心街道"),
    ("430211003000", "栗雨街道"),
    ("430211100000", "群丰镇"),
    ("430212100000", "渌口镇"),
    ("430223001000", "联星街道"),
    ("430223002000", "江桥街道"),
    ("430223102000", "网岭镇"),
    ("430224100000", "云阳街道"),
    ("430225100000", "霞阳镇"),
    ("430281001000", "来龙门街道"),
    ("430281002000", "阳三石街道"),
    ("430281003000", "仙岳山街道"),
    ("430281004000", "国瓷街道"),
    ("430281101000", "白兔潭镇"),
    ("430281102000", "浦口镇"),
    ("430281103000", "王仙镇"),
]

ZHUZHOU_SAMPLE_VILLAGES: list[tuple[str, str]] = [
    ("430202001001", "月塘社区"),
    ("430211003001", "栗雨社区"),
    ("430223001001", "城关社区"),
    ("430223102201", "网岭村"),
    ("430281001001", "来龙门社区"),
    ("430281001002", "瓷城社区"),
    ("430281101201", "白兔潭村"),
]

# (code, name, region) — the city's departments that ship or handle services.
DEPARTMENTS: list[tuple[str, str, str]] = [
    ("RSJ", "株洲市人力资源和社会保障局", ZHUZHOU),
    ("GJJ", "株洲市住房公积金管理中心", ZHUZHOU),
    ("BDC", "株洲市不动产登记中心", ZHUZHOU),
    ("SCJ", "株洲市市场监督管理局", ZHUZHOU),
    ("GAJ", "株洲市公安局", ZHUZHOU),
    ("YBJ", "株洲市医疗保障局", ZHUZHOU),
    ("ZWFW", "株洲市政务服务中心", ZHUZHOU),
    ("LL-RSJ", "醴陵市人力资源和社会保障局", "430281000000"),
    ("YX-RSJ", "攸县人力资源和社会保障局", "430223000000"),
]


async def seed_zhuzhou_regions(*, samples: bool = True) -> int:
    """Create the Zhuzhou tree (idempotent). Returns how many regions were created."""
    from core.identity.regions import level_of, parent_of

    rows: list[tuple[str, str]] = [
        ("430000000000", "湖南省"),
        (ZHUZHOU, "株洲市"),
        *ZHUZHOU_COUNTIES,
    ]
    if samples:
        rows += ZHUZHOU_SAMPLE_TOWNSHIPS + ZHUZHOU_SAMPLE_VILLAGES
    existing = set(
        await Region.filter(code__in=[c for c, _ in rows]).values_list("code", flat=True)
    )
    new = [
        Region(code=code, name=name, level=level_of(code), parent_code=parent_of(code))
        for code, name in rows
        if code not in existing
    ]
    if new:
        await Region.bulk_create(new, ignore_conflicts=True)
    return len(new)


async def seed_departments() -> int:
    created = 0
    for code, name, region in DEPARTMENTS:
        _dept, was_created = await Department.get_or_create(
            code=code, defaults={"name": name, "region_code": region}
        )
        created += int(was_created)
    return created


def department_name(code: str) -> str:
    for known, name, _region in DEPARTMENTS:
        if known == code:
            return name
    return f"部门 {code}"


def region_level(code: str) -> RegionLevel:
    from core.identity.regions import level_of

    return level_of(code)
