"""Steps the delivery journeys share: an enabled item, a citizen with an address, a submitted
case, staff who decide it, the courier's back office, and waiting for background work."""

from __future__ import annotations

from typing import Any

import httpx

from core import tasks
from core.cases import api as cases
from core.catalogue.enablement import set_enablement
from delivery.models import Shipment
from tests.delivery.conftest import COUNTY, TOWNSHIP
from tests.delivery.items_plugin import DEPARTMENT
from tests.support.auth import Actor, make_citizen, make_operator, make_staff

ADDRESS = {"name": "张三", "phone": "13912345678", "region_code": TOWNSHIP, "detail": "建设路88号3栋201室"}


async def enable(code: str, region: str = COUNTY) -> None:
    operator = await make_operator()
    await set_enablement(operator.principal, code, region, "*", True)


async def citizen_with_address(client: httpx.AsyncClient, **address: Any) -> tuple[Actor, int]:
    alice = await make_citizen(region_code=COUNTY)
    response = await client.post("/delivery/addresses", json={**ADDRESS, **address}, headers=alice.headers)
    assert response.status_code == 201, response.text
    return alice, response.json()["id"]


async def submit(citizen: Actor, code: str, **delivery: Any) -> int:
    case = await cases.submit(citizen.principal, code, region_code=COUNTY, form={"phone": "13912345678"},
                              delivery=delivery or None)
    return case.id


async def department_staff() -> Actor:
    return await make_staff(department_code=DEPARTMENT, roles=("clerk", "reviewer", "head"))


async def approve(case_id: int, staff: Actor) -> None:
    for action in ("accept", "start_review", "approve"):
        await cases.transition(case_id, action, staff.principal)


async def settle() -> None:
    """Let the background tasks (in process, or on the Celery worker) finish."""
    await tasks.drain()


async def advance(sandbox: httpx.AsyncClient, courier: str, waybill: str, **kw: Any) -> dict[str, Any]:
    """The courier's back office moves the parcel on; its push reaches the platform over HTTP."""
    answer = (await sandbox.post(f"/{courier}/_dev/advance", json={"waybill_no": waybill, **kw})).json()
    assert "error" not in answer, answer
    await settle()
    return answer


async def shipment_of(case_id: int, kind: str) -> Shipment:
    return await Shipment.get(case_id=case_id, kind=kind)
