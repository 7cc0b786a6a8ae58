"""A department declares its own workflow (an on-site inspection between review and decision);
the engine runs it by the actions' effects, and refuses workflows it could not run."""

from __future__ import annotations

import dataclasses
import types

import pytest

from core.cases import api as cases
from core.catalogue.registry import reload_registry
from core.catalogue.workflows import STANDARD_ACTIONS, STANDARD_STATES, validate_workflow
from core.errors import AppError
from core.hooks import Workflow, WorkflowAction, WorkflowState, hookimpl
from tests.cases.conftest import COUNTY
from tests.cases.demo_plugin import GJJ
from tests.cases.helpers import citizen_with_data, enable, gjj_form, upload
from tests.support.auth import make_staff

INSPECTED = Workflow(
    "with_inspection",
    (*STANDARD_STATES, WorkflowState("inspection", "现场核查", "on-site inspection", "8", clock="running")),
    (
        *[a for a in STANDARD_ACTIONS if a.name != "approve"],
        WorkflowAction("inspect", "现场核查", "inspect on site", ("in_review",), "inspection", ("reviewer",)),
        WorkflowAction("approve", "准予", "approve", ("inspection",), "approved", ("head",), "approve"),
    ),
)
ITEM = dataclasses.replace(GJJ, implementation_code=GJJ.implementing_body + "3000712345001",
                           basic_code="000712345001", name="住房公积金提取（现场核查演示）", workflow=INSPECTED)


@pytest.fixture
def inspected_plugin(host, demo):
    module = types.ModuleType("inspection_dept")
    module.ZHUSHIDA_CONTRACT = "1"

    @hookimpl
    def zhushida_services():
        return [ITEM]

    module.zhushida_services = zhushida_services
    host.register_module("inspection_dept", module)
    reload_registry()
    yield ITEM
    host.pm.unregister(name="inspection_dept")
    host.records.pop("inspection_dept", None)
    reload_registry()


def test_broken_workflows_are_refused():
    assert validate_workflow(INSPECTED) == []
    broken = Workflow("broken", STANDARD_STATES, (
        WorkflowAction("a", "a", "a", ("nowhere",), "limbo", ()),
        WorkflowAction("b", "b", "b", ("pre_review",), None, ("clerk",), "teleport"),
    ), initial="start", auto=("c",))
    problems = " | ".join(validate_workflow(broken))
    for expected in ("initial state", "source 'nowhere'", "target 'limbo'", "nobody may take it",
                     "unknown effect", "only resume/supply", "auto action 'c'"):
        assert expected in problems, expected


@pytest.mark.usefixtures("database")
async def test_engine_runs_a_declared_workflow(inspected_plugin, demo):
    await enable(ITEM.code)
    alice = await citizen_with_data(demo)
    case = await cases.submit(alice.principal, ITEM.code, region_code=COUNTY, form=gjj_form(), materials={
        "contract": {"upload_id": await upload(alice.account_id, "contract", item_code=ITEM.code)},
        "id_card": {"paper": True}, "marriage": {"paper": True}})
    staff = await make_staff(department_code="demo_gjj", roles=("clerk", "reviewer", "head"))
    for action in ("accept", "start_review"):
        case = await cases.transition(case.id, action, staff.principal)
    with pytest.raises(AppError) as exc:
        await cases.transition(case.id, "approve", staff.principal)
    allowed = exc.value.details["allowed"]
    assert exc.value.code == "cases.action_not_allowed" and "inspect" in allowed and "approve" not in allowed
    case = await cases.transition(case.id, "inspect", staff.principal)
    assert case.state == "inspection" and (await cases.get(case.id))["status_code"] == "8"
    case = await cases.transition(case.id, "approve", staff.principal)
    assert case.state == "approved" and case.decided_at is not None
