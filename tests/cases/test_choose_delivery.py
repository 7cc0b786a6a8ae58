"""core.cases.api.choose_delivery: how a case's result reaches the applicant, changeable until it
has been handed over — only a method the item offers, one ``delivery_chosen`` event and one
version per change, nothing for a repeat, and two concurrent calls change the case once."""

from __future__ import annotations

import asyncio

import pytest

from core.cases import api as cases
from core.cases.models import Case, CaseEventLog
from core.errors import AppError
from tests.cases.conftest import COUNTY
from tests.cases.demo_plugin import BDC_CODE, GJJ_CODE
from tests.cases.helpers import citizen_with_data, enable, gjj_form, upload
from tests.support.auth import make_staff

pytestmark = pytest.mark.usefixtures("database", "demo")


async def _submit(demo):
    await enable(GJJ_CODE)
    alice = await citizen_with_data(demo)
    case = await cases.submit(alice.principal, GJJ_CODE, region_code=COUNTY, form=gjj_form(),
                              materials={"contract": {"upload_id": await upload(alice.account_id, "contract")},
                                         "id_card": {"paper": True}, "marriage": {"paper": True}},
                              delivery={"result": "window", "pickup": False})
    return alice, case


async def _chosen(case_id: int) -> list[dict]:
    return [r.data for r in await CaseEventLog.filter(case_id=case_id, kind="delivery_chosen").order_by("id")]


async def test_a_change_is_versioned_logged_and_announced(demo):
    alice, case = await _submit(demo)
    demo.EVENTS.clear()
    changed = await cases.choose_delivery(case.id, "courier", principal=alice.principal)
    assert changed.delivery == {"result": "courier", "pickup": False}  # the rest of the choice kept
    assert changed.version == case.version + 1 and changed.state == case.state
    assert await _chosen(case.id) == [{"result": "courier", "previous": "window"}]
    row = await CaseEventLog.get(case_id=case.id, kind="delivery_chosen")
    assert (row.actor_kind, row.actor_id, row.from_state, row.to_state) == ("citizen", alice.account_id,
                                                                            case.state, case.state)
    assert [(e.kind, e.data) for e in demo.EVENTS] == [("delivery_chosen", {"result": "courier", "previous": "window"})]

    again = await cases.choose_delivery(case.id, "courier", principal=alice.principal)  # the current one: no-op
    assert again.version == changed.version and len(await _chosen(case.id)) == 1


async def test_only_methods_the_item_offers(demo):
    alice, case = await _submit(demo)
    for method in ("electronic", "drone", ""):  # GJJ offers window and courier only
        with pytest.raises(AppError) as bad:
            await cases.choose_delivery(case.id, method, principal=alice.principal)
        assert bad.value.code == "cases.delivery_invalid" and bad.value.status == 422
        assert bad.value.details == {"method": method, "offered": ["window", "courier"]}
    after = await Case.get(id=case.id)
    assert after.version == case.version and after.delivery["result"] == "window" and not await _chosen(case.id)
    with pytest.raises(AppError) as missing:
        await cases.choose_delivery(case.id + 10_000, "courier")
    assert missing.value.code == "not_found"


async def test_changeable_until_handed_over(demo):
    alice, case = await _submit(demo)
    staff = await make_staff(department_code="demo_gjj", roles=("clerk", "reviewer", "head"))
    for action in ("accept", "start_review", "approve"):
        await cases.transition(case.id, action, staff.principal)
    decided = await cases.choose_delivery(case.id, "courier", principal=alice.principal)  # approved, not yet handed over
    assert decided.state == "approved" and decided.delivery["result"] == "courier"
    await cases.transition(case.id, "deliver", staff.principal, data={"waybill": "SF100", "carrier": "sf"})
    for method in ("window", "courier"):
        with pytest.raises(AppError) as late:
            await cases.choose_delivery(case.id, method, principal=alice.principal)
        assert late.value.code == "cases.action_not_allowed"
        assert late.value.details == {"action": "choose_delivery", "state": "delivered"}
    await cases.transition(case.id, "close", staff.principal)
    with pytest.raises(AppError) as closed:
        await cases.choose_delivery(case.id, "window", principal=alice.principal)
    assert closed.value.details["state"] == "closed"
    assert len(await _chosen(case.id)) == 1


async def test_an_ended_case_refuses(demo):
    alice, case = await _submit(demo)
    await cases.transition(case.id, "withdraw", alice.principal)
    before = await Case.get(id=case.id)
    with pytest.raises(AppError) as ended:
        await cases.choose_delivery(case.id, "courier", principal=alice.principal)
    assert ended.value.code == "cases.action_not_allowed" and ended.value.details["state"] == "withdrawn"
    after = await Case.get(id=case.id)
    assert (after.version, after.delivery) == (before.version, before.delivery)


async def test_concurrent_calls_change_the_case_once(demo):
    alice, case = await _submit(demo)
    results = await asyncio.gather(*(cases.choose_delivery(case.id, "courier", principal=alice.principal)
                                     for _ in range(4)), return_exceptions=True)
    assert all(isinstance(r, Case) or (isinstance(r, AppError) and r.code == "conflict") for r in results), results
    after = await Case.get(id=case.id)
    assert after.delivery["result"] == "courier" and after.version == case.version + 1
    assert await _chosen(case.id) == [{"result": "courier", "previous": "window"}]

    # Opposite choices racing: each applied change is one event and one version, and the case
    # ends with the method of the last event.
    results = await asyncio.gather(cases.choose_delivery(case.id, "window", principal=alice.principal),
                                   cases.choose_delivery(case.id, "courier", principal=alice.principal),
                                   return_exceptions=True)
    assert all(isinstance(r, Case) or (isinstance(r, AppError) and r.code == "conflict") for r in results), results
    trail = await _chosen(case.id)
    final = await Case.get(id=case.id)
    assert final.version == case.version + len(trail) and final.delivery["result"] == trail[-1]["result"]
    assert all(a["result"] == b["previous"] for a, b in zip(trail, trail[1:], strict=False))


async def test_an_electronic_item_may_switch_to_the_window(demo):
    await enable(BDC_CODE)
    alice = await citizen_with_data(demo)
    from core.hooks import CertificateRef
    from tests.cases.demo_plugin import IDCARD_TYPE

    demo.CERTIFICATES[alice.account_id] = [CertificateRef("c1", IDCARD_TYPE, "1.2.156.x", "身份证")]
    case = await cases.submit(alice.principal, BDC_CODE, region_code=COUNTY,
                              form={"phone": "13800138000", "property_address": "醴陵市某路1号"},
                              delivery={"result": "electronic"})
    changed = await cases.choose_delivery(case.id, "window", principal=alice.principal)  # held for payment: still allowed
    assert changed.delivery["result"] == "window" and changed.holds == case.holds
    with pytest.raises(AppError) as bad:
        await cases.choose_delivery(case.id, "courier", principal=alice.principal)
    assert bad.value.details["offered"] == ["window", "electronic"]
