"""The case engine through its public API: submission, correction, acceptance, decision."""

from __future__ import annotations

import pytest

from core.cases import api as cases
from core.catalogue.enablement import set_enablement
from core.errors import AppError
from core.hooks import CertificateRef
from tests.cases.conftest import COUNTY, OTHER_COUNTY
from tests.cases.demo_plugin import GJJ_CODE, IDCARD_TYPE
from tests.support.auth import make_citizen, make_operator, make_staff

pytestmark = pytest.mark.usefixtures("database", "demo")


async def _enable(code: str = GJJ_CODE, region: str = COUNTY) -> None:
    operator = await make_operator()
    await set_enablement(operator.principal, code, region, "*", True)


async def _upload(owner_id: int, material: str = "contract", data: bytes = b"%PDF-1.4 demo") -> str:
    from core.cases.uploads import store_upload

    upload = await store_upload(owner_id, GJJ_CODE, material, "contract.pdf", "application/pdf", data)
    return upload.id


async def test_prefilled_certificate_journey(demo):
    await _enable()
    alice = await make_citizen(region_code=COUNTY)
    demo.PEOPLE[alice.account_id] = {"person.name": "张三", "person.id_number": alice.id_number}
    demo.CERTIFICATES[alice.account_id] = [CertificateRef("cert-1", IDCARD_TYPE, "1.2.156.3005.2.X", "身份证")]
    contract = await _upload(alice.account_id)

    case = await cases.submit(
        alice.principal, GJJ_CODE, region_code=COUNTY,
        form={"phone": "13800138000", "amount": 500_000, "reason": "buy"},
        materials={"contract": {"upload_id": contract}, "marriage": {"upload_id": await _upload(alice.account_id, "marriage")}},
    )
    assert case.state == "pre_review"
    assert case.case_no.startswith("430281-")
    view = await cases.get(case.id, alice.principal)
    assert view["form"]["applicant_name"] == "张*"  # prefilled, not asked (and masked)
    assert view["form"]["applicant_id_number"] != alice.id_number and "*" in view["form"]["applicant_id_number"]
    assert view["materials"]["id_card"]["kind"] == "certificate" and view["materials"]["id_card"]["auto"]

    clerk = await make_staff(department_code="demo_gjj", roles=("clerk",))
    case = await cases.transition(case.id, "request_correction", clerk.principal, data={"items": [
        {"target": "field", "key": "phone", "reason": "电话无法接通"},
        {"target": "material", "key": "contract", "reason": "合同缺页"},
    ]})
    assert case.state == "correction_requested" and len(case.corrections) == 2
    case = await cases.transition(case.id, "resubmit", alice.principal, data={
        "form": {"phone": "13900139000"}, "materials": {"contract": {"upload_id": await _upload(alice.account_id)}}})
    assert case.state == "pre_review" and case.corrections == []
    with pytest.raises(AppError) as exc:
        await cases.transition(case.id, "request_correction", clerk.principal, data={"items": [
            {"target": "field", "key": "phone", "reason": "again"}]})
    assert exc.value.code == "cases.correction_already_requested"

    case = await cases.transition(case.id, "accept", clerk.principal)
    assert case.state == "accepted" and case.due_date is not None
    head = await make_staff(department_code="demo_gjj", roles=("reviewer", "head"))
    case = await cases.transition(case.id, "start_review", head.principal)
    case = await cases.transition(case.id, "approve", head.principal)
    assert case.state == "approved"
    kinds = [e.kind for e in demo.EVENTS]
    assert kinds == ["submitted", "request_correction", "resubmit", "accept", "start_review", "approve"]
    log = await cases.events(case.id)
    assert [e["kind"] for e in log] == kinds
    assert log[1]["actor_kind"] == "staff" and log[1]["actor_id"] == clerk.account_id


async def test_not_enabled_elsewhere(demo):
    await _enable()
    bob = await make_citizen(region_code=OTHER_COUNTY)
    with pytest.raises(AppError) as exc:
        await cases.submit(bob.principal, GJJ_CODE, region_code=OTHER_COUNTY, form={})
    assert exc.value.code == "cases.item_not_enabled"


async def test_personal_form_data_is_sealed_at_rest(demo):
    from core.cases.models import Case

    await _enable()
    alice = await make_citizen(region_code=COUNTY, name="王小明")
    case = await cases.submit(alice.principal, GJJ_CODE, region_code=COUNTY,
                              form={"phone": "13800138000", "amount": 100, "reason": "buy"},
                              materials={"contract": {"upload_id": await _upload(alice.account_id)},
                                         "id_card": {"paper": True}, "marriage": {"paper": True}})
    raw = (await Case.get(id=case.id)).form_data
    stored = str(raw)
    assert "王小明" not in stored and alice.id_number not in stored and "13800138000" not in stored
    assert raw["amount"] == 100 and raw["reason"] == "buy"  # non-personal values stay queryable
    view = await cases.get(case.id, alice.principal)
    assert view["form"]["applicant_name"] == "王**" and view["form"]["phone"] == "138****8000"
