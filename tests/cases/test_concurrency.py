"""Concurrent transitions on one case: exactly one wins (row lock + version check); case numbers
stay unique under concurrent submissions. Meaningful on PostgreSQL; SQLite serialises writes."""

from __future__ import annotations

import asyncio

import pytest

from core.cases import api as cases
from core.cases.models import Case, CaseEventLog
from core.errors import AppError
from tests.cases.conftest import COUNTY
from tests.cases.demo_plugin import GJJ_CODE
from tests.cases.helpers import citizen_with_data, enable, gjj_form, upload
from tests.support.auth import make_staff

pytestmark = pytest.mark.usefixtures("database", "demo")


async def _submit(demo):
    alice = await citizen_with_data(demo)
    return await cases.submit(alice.principal, GJJ_CODE, region_code=COUNTY, form=gjj_form(),
                              materials={"contract": {"upload_id": await upload(alice.account_id, "contract")},
                                         "id_card": {"paper": True}, "marriage": {"paper": True}})


async def test_only_one_concurrent_transition_wins(demo):
    await enable(GJJ_CODE)
    case = await _submit(demo)
    clerk = await make_staff(department_code="demo_gjj", roles=("clerk", "head"))
    attempts = [
        cases.transition(case.id, "accept", clerk.principal),
        cases.transition(case.id, "reject", clerk.principal, comment="材料不符"),
        cases.transition(case.id, "accept", clerk.principal),
        cases.transition(case.id, "request_correction", clerk.principal,
                         data={"items": [{"target": "field", "key": "phone", "reason": "空号"}]}),
    ]
    results = await asyncio.gather(*attempts, return_exceptions=True)
    wins = [r for r in results if isinstance(r, Case)]
    losses = [r for r in results if isinstance(r, AppError)]
    assert len(wins) == 1 and len(losses) == 3, results
    assert {e.code for e in losses} <= {"cases.action_not_allowed", "conflict"}
    transitions = await CaseEventLog.filter(case_id=case.id).exclude(kind="submitted").count()
    assert transitions == 1
    assert (await Case.get(id=case.id)).version == 1


async def test_case_numbers_unique_under_concurrency(demo):
    await enable(GJJ_CODE)
    created = await asyncio.gather(*[_submit(demo) for _ in range(6)])
    numbers = sorted(c.case_no for c in created)
    assert len(set(numbers)) == 6
    assert [n.rsplit("-", 1)[1] for n in numbers] == [f"{i:05d}" for i in range(1, 7)]
