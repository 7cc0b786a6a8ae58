"""Engine rules: 容缺受理, 告知承诺, suspension stopping the clock, withdraw, roles, holds, instant items."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from core.cases import api as cases
from core.cases import clock
from core.cases.models import Case, CaseEventLog
from core.errors import AppError
from core.hooks import CertificateRef
from tests.cases.conftest import COUNTY
from tests.cases.demo_plugin import BDC_CODE, GJJ_CODE, IDCARD_TYPE, INSTANT
from tests.cases.helpers import citizen_with_data, enable, gjj_form, upload
from tests.support.auth import make_citizen, make_staff

pytestmark = pytest.mark.usefixtures("database", "demo")


async def _submitted(demo, **materials):
    await enable(GJJ_CODE)
    alice = await citizen_with_data(demo)
    sent = {"contract": {"upload_id": await upload(alice.account_id, "contract")},
            "id_card": {"upload_id": await upload(alice.account_id, "id_card")}, **materials}
    case = await cases.submit(alice.principal, GJJ_CODE, region_code=COUNTY, form=gjj_form(), materials=sent)
    return alice, case


async def test_bad_application_lists_everything_and_writes_nothing(demo):
    await enable(GJJ_CODE)
    alice = await make_citizen(region_code=COUNTY)
    with pytest.raises(AppError) as exc:
        await cases.submit(alice.principal, GJJ_CODE, region_code=COUNTY,
                           form={"amount": "lots", "reason": "other"},
                           materials={"contract": {"upload_id": "nope"}, "passport": {"upload_id": "x"}},
                           delivery={"result": "drone"})
    assert exc.value.code == "cases.application_invalid" and exc.value.status == 422
    fields = {e["field"] for e in exc.value.details["errors"]}
    assert fields == {"form.phone", "form.amount", "form.other_reason", "materials.contract", "materials.passport",
                      "materials.id_card", "delivery.result"}
    # Name and ID number are not asked: the platform holds them (identity prefill, 免填写).
    assert "form.applicant_name" not in fields and "form.applicant_id_number" not in fields
    assert await Case.all().count() == 0 and await CaseEventLog.all().count() == 0


async def test_identity_prefills_verified_data(demo):
    from core.cases.application import prefill_values
    from core.identity.access_log import list_for
    from tests.cases.demo_plugin import GJJ

    bob = await make_citizen(region_code=COUNTY, name="李四")  # the demo plugin holds nothing for him
    values = await prefill_values(bob.account_id, GJJ)
    assert values == {"applicant_name": "李四", "applicant_id_number": bob.id_number}
    assert any(e["reader_kind"] == "plugin" for e in await list_for(bob.account_id))


async def test_level_too_low_and_stale_certificate(demo):
    await enable(GJJ_CODE)
    low = await make_citizen(region_code=COUNTY, level=1)
    with pytest.raises(AppError) as exc:
        await cases.submit(low.principal, GJJ_CODE, region_code=COUNTY, form=gjj_form())
    assert exc.value.code == "identity.level_too_low"
    alice = await citizen_with_data(demo)
    demo.CERTIFICATES[alice.account_id] = [CertificateRef("old", IDCARD_TYPE, "1.2.156", "身份证", valid=False)]
    with pytest.raises(AppError) as exc:
        await cases.submit(alice.principal, GJJ_CODE, region_code=COUNTY, form=gjj_form(),
                           materials={"id_card": {"certificate_id": "old"},
                                      "contract": {"upload_id": await upload(alice.account_id, "contract")}})
    assert [e["code"] for e in exc.value.details["errors"]] == ["certificate_invalid"]


async def test_tolerant_acceptance_then_supply(demo):
    alice, case = await _submitted(demo)
    assert case.missing == ["marriage"]
    clerk = await make_staff(department_code="demo_gjj", roles=("clerk",))
    with pytest.raises(AppError) as exc:
        await cases.transition(case.id, "accept", clerk.principal)
    assert exc.value.code == "cases.materials_missing"
    with pytest.raises(AppError) as exc:
        await cases.transition(case.id, "accept_tolerant", clerk.principal, data={"missing": ["contract"]})
    assert exc.value.code == "cases.tolerance_invalid"
    case = await cases.transition(case.id, "accept_tolerant", clerk.principal, data={"deadline_days": 5})
    assert case.state == "accepted" and case.missing_deadline is not None
    head = await make_staff(department_code="demo_gjj", roles=("reviewer", "head"))
    await cases.transition(case.id, "start_review", head.principal)
    with pytest.raises(AppError) as exc:
        await cases.transition(case.id, "approve", head.principal)
    assert exc.value.code == "cases.materials_missing"
    case = await cases.transition(case.id, "supply", alice.principal,
                                  data={"materials": {"marriage": {"upload_id": await upload(alice.account_id, "marriage")}}})
    assert case.missing == [] and case.missing_deadline is None
    assert (await cases.transition(case.id, "approve", head.principal)).state == "approved"


async def test_commitment_replaces_material(demo):
    alice, case = await _submitted(demo, income={"commitment": True},
                                   marriage={"paper": True})
    assert case.commitment and case.materials["income"] == {"kind": "commitment"}
    with pytest.raises(AppError) as exc:
        await cases.submit(alice.principal, GJJ_CODE, region_code=COUNTY, form=gjj_form(),
                           materials={"contract": {"commitment": True}})
    codes = {e["field"]: e["code"] for e in exc.value.details["errors"]}
    assert codes["materials.contract"] == "commitment_not_allowed"


async def test_suspension_stops_the_clock(demo):
    _alice, case = await _submitted(demo, marriage={"paper": True})
    head = await make_staff(department_code="demo_gjj", roles=("clerk", "reviewer", "head"))
    with clock.frozen(datetime(2026, 11, 2, 2, 0, tzinfo=UTC)):  # Monday 10:00 in Shanghai
        case = await cases.transition(case.id, "accept", head.principal)
    assert case.due_date == date(2026, 11, 9)  # 5 working days
    with clock.frozen(datetime(2026, 11, 3, 2, 0, tzinfo=UTC)):
        with pytest.raises(AppError) as exc:
            await cases.transition(case.id, "suspend", head.principal)
        assert exc.value.code == "cases.comment_required"
        case = await cases.transition(case.id, "suspend", head.principal, comment="现场核查", data={"procedure": "inspection"})
    with clock.frozen(datetime(2026, 11, 6, 2, 0, tzinfo=UTC)):  # Friday: Wed, Thu, Fri stopped
        case = await cases.transition(case.id, "resume", head.principal)
    assert case.state == "accepted" and case.suspended_days == 3 and case.due_date == date(2026, 11, 12)


async def test_roles_and_scope(demo):
    _alice, case = await _submitted(demo, marriage={"paper": True})
    clerk = await make_staff(department_code="demo_gjj", roles=("clerk",))
    other_dept = await make_staff(department_code="demo_bdc", roles=("clerk", "head"))
    stranger = await make_citizen(region_code=COUNTY)
    for data in ({"items": []}, {"items": [{"target": "field", "key": "nope", "reason": "x"}]},
                 {"items": [{"target": "material", "key": "contract", "reason": " "}]}, {"items": "all"}):
        with pytest.raises(AppError) as exc:
            await cases.transition(case.id, "request_correction", clerk.principal, data=data)
        assert exc.value.code == "cases.corrections_required"
    await cases.transition(case.id, "accept", clerk.principal)
    for principal, action, code in (
        (clerk.principal, "start_review", "cases.actor_not_allowed"),
        (other_dept.principal, "start_review", "not_found"),
        (stranger.principal, "withdraw", "not_found"),
        (clerk.principal, "fly", "cases.action_unknown"),
    ):
        with pytest.raises(AppError) as exc:
            await cases.transition(case.id, action, principal)
        assert exc.value.code == code, action
    with pytest.raises(AppError) as exc:
        await cases.transition(case.id, "accept", clerk.principal)
    assert exc.value.code == "cases.action_not_allowed" and "start_review" in exc.value.details["allowed"]


async def test_withdraw_by_applicant(demo):
    alice, case = await _submitted(demo, marriage={"paper": True})
    case = await cases.transition(case.id, "withdraw", alice.principal, comment="不办了")
    assert case.state == "withdrawn" and case.closed_at is not None
    with pytest.raises(AppError):
        await cases.transition(case.id, "withdraw", alice.principal)


async def test_an_ending_keeps_its_refusal_code_on_the_event(demo):
    _alice, case = await _submitted(demo, marriage={"paper": True})
    clerk = await make_staff(department_code="demo_gjj", roles=("clerk",))
    data = {"code": "gjj.not_eligible", "details": {"months_paid": 3, "required": 6}, "ignored": [object()]}
    case = await cases.transition(case.id, "reject", clerk.principal, comment="缴存不足六个月", data=data)
    event = await CaseEventLog.filter(case_id=case.id).order_by("-id").first()
    assert case.state == "not_accepted" and event.comment == "缴存不足六个月"
    assert event.data == {"code": "gjj.not_eligible", "details": {"months_paid": 3, "required": 6}}


async def test_fee_holds_acceptance_until_paid(demo):
    await enable(BDC_CODE)
    bob = await citizen_with_data(demo)
    demo.CERTIFICATES[bob.account_id] = [CertificateRef("c1", IDCARD_TYPE, "1.2.156.x", "身份证")]
    case = await cases.submit(bob.principal, BDC_CODE, region_code=COUNTY,
                              form={"phone": "13800138000", "property_address": "醴陵市某路1号"})
    assert case.payment_state == "unpaid" and case.holds[0]["kind"] == "payment"
    clerk = await make_staff(department_code="demo_bdc", roles=("clerk",))
    with pytest.raises(AppError) as exc:
        await cases.transition(case.id, "accept", clerk.principal)
    assert exc.value.code == "cases.held"
    with pytest.raises(AppError) as exc:
        await cases.mark_paid(case.id, amount_fen=1, payment_ref="P1")
    assert exc.value.code == "cases.payment_mismatch"
    case = await cases.mark_paid(case.id, amount_fen=8000, payment_ref="P1")
    case = await cases.mark_paid(case.id, amount_fen=8000, payment_ref="P1")  # a repeat is harmless
    assert case.payment_state == "paid" and case.holds == []
    assert (await cases.transition(case.id, "accept", clerk.principal)).state == "accepted"
    assert [e["kind"] for e in await cases.events(case.id)] == ["submitted", "hold_released", "accept"]


async def test_pickup_hold_for_delivery(demo):
    await enable(GJJ_CODE)
    alice = await citizen_with_data(demo)
    case = await cases.submit(alice.principal, GJJ_CODE, region_code=COUNTY, form=gjj_form(),
                              materials={"contract": {"upload_id": await upload(alice.account_id, "contract")},
                                         "id_card": {"paper": True}, "marriage": {"paper": True}},
                              delivery={"result": "courier", "pickup": True})
    assert [h["kind"] for h in case.holds] == ["pickup"] and case.delivery == {"result": "courier", "pickup": True}
    submitted = demo.EVENTS[0]
    assert submitted.kind == "submitted" and submitted.data["delivery"]["pickup"] is True
    case = await cases.release_hold(case.id, "pickup", data={"waybill": "SF123"})
    assert case.holds == []


async def test_instant_item_decided_on_submission(demo):
    await enable(INSTANT.code)
    alice = await citizen_with_data(demo, level=2)
    case = await cases.submit(alice.principal, INSTANT.code, region_code=COUNTY, form={})
    assert case.state == "approved" and case.due_date == clock.local_date()
    assert [e.kind for e in demo.EVENTS] == ["submitted", "accept", "start_review", "approve"]
    assert all(e.actor_kind == "system" for e in demo.EVENTS[1:])


async def test_proxy_applies_for_grantor(demo):
    from tests.cases.demo_plugin import BDC, GJJ
    from tests.support.auth import grant_proxy

    await enable(GJJ_CODE)
    mother = await citizen_with_data(demo)
    son = await make_citizen(region_code=COUNTY)
    acting = await grant_proxy(mother, son, scope=[GJJ.basic_code])
    case = await cases.submit(acting.principal, GJJ_CODE, region_code=COUNTY, form=gjj_form(), materials={
        "contract": {"upload_id": await upload(mother.account_id, "contract")},
        "id_card": {"paper": True}, "marriage": {"paper": True}})
    assert case.applicant_id == mother.account_id and case.submitted_by == son.account_id
    event = (await cases.events(case.id))[0]
    assert event["actor_id"] == son.account_id and event["on_behalf_of"] == mother.account_id
    assert (await cases.get(case.id, mother.principal))["form"]["applicant_name"] == "张*"  # mother's data, masked
    narrow = await grant_proxy(mother, await make_citizen(region_code=COUNTY), scope=[BDC.basic_code])
    with pytest.raises(AppError) as exc:
        await cases.submit(narrow.principal, GJJ_CODE, region_code=COUNTY, form=gjj_form())
    assert exc.value.code == "auth.forbidden"


async def test_result_attached_after_decision(demo):
    await enable(INSTANT.code)
    alice = await citizen_with_data(demo)
    case = await cases.submit(alice.principal, INSTANT.code, region_code=COUNTY, form={})
    case = await cases.attach_result(case.id, {"document_url": "/docs/1.ofd"})
    assert case.result["document_url"] == "/docs/1.ofd" and demo.EVENTS[-1].kind == "result_attached"
    await enable(GJJ_CODE)
    _alice, open_case = await _submitted(demo, marriage={"paper": True})
    with pytest.raises(AppError) as exc:
        await cases.attach_result(open_case.id, {"x": 1})
    assert exc.value.code == "cases.action_not_allowed"
