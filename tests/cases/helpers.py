"""Small builders shared by the case-engine tests."""

from __future__ import annotations

from core.cases.uploads import store_upload
from core.catalogue.enablement import set_enablement
from tests.cases.conftest import COUNTY
from tests.cases.demo_plugin import GJJ_CODE
from tests.support.auth import make_citizen, make_operator

PDF = b"%PDF-1.4\n demo material\n"


async def enable(*codes: str, region: str = COUNTY, channel: str = "*") -> None:
    operator = await make_operator()
    for code in codes:
        await set_enablement(operator.principal, code, region, channel, True)


async def upload(owner_id: int, material: str, item_code: str = GJJ_CODE, data: bytes = PDF) -> str:
    row = await store_upload(owner_id, item_code, material, f"{material}.pdf", "application/pdf", data)
    return row.id


async def citizen_with_data(demo, **kwargs):
    person = await make_citizen(region_code=COUNTY, **kwargs)
    demo.PEOPLE[person.account_id] = {"person.name": person.name or "张三", "person.id_number": person.id_number}
    return person


def gjj_form(**overrides):
    return {"phone": "13800138000", "amount": 500_000, "reason": "buy", **overrides}
