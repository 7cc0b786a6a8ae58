"""Corrections inside a bundle: a field the merged form asked once (the phone both departments
use) corrected on one child case reaches its open siblings, each with a ``form_updated`` event for
its department; a sibling already decided refuses the correction of that field, changing nothing."""

from __future__ import annotations

import pytest

from core.cases import api as cases
from core.cases import bundles
from core.cases.models import Case, CaseEventLog
from core.cases.sealing import unseal
from core.errors import AppError
from core.hooks import CertificateRef
from tests.cases.conftest import COUNTY
from tests.cases.demo_plugin import BDC_CODE, GJJ_CODE, IDCARD_TYPE
from tests.cases.helpers import citizen_with_data, enable, upload
from tests.support.auth import make_staff

pytestmark = pytest.mark.usefixtures("database", "demo")

BUNDLE = "demo.buy_house"
OLD_PHONE, NEW_PHONE = "13800138000", "13900139000"


async def _paid_bundle(demo):
    await enable(BUNDLE, BDC_CODE, GJJ_CODE)
    alice = await citizen_with_data(demo)
    demo.CERTIFICATES[alice.account_id] = [CertificateRef("c1", IDCARD_TYPE, "1.2.156.x", "身份证")]
    bc = await bundles.submit_bundle(
        alice.principal, BUNDLE, region_code=COUNTY,
        form={"phone": OLD_PHONE, "amount": 100_000, "reason": "buy", "property_address": "醴陵市某路1号"},
        materials={GJJ_CODE: {"contract": {"upload_id": await upload(alice.account_id, "contract")},
                              "marriage": {"paper": True}}},
    )
    await bundles.mark_bundle_paid(bc.id, amount_fen=8000, payment_ref="B-CORR")
    fund = await make_staff(department_code="demo_gjj", roles=("clerk", "reviewer", "head"))
    registry = await make_staff(department_code="demo_bdc", roles=("clerk", "reviewer", "head"))
    children = {c.item_code: c for c in await Case.filter(bundle_id=bc.id)}
    return alice, fund, registry, children[GJJ_CODE], children[BDC_CODE]


async def _ask_correction(case: Case, staff, key: str) -> None:
    await cases.transition(case.id, "request_correction", staff.principal,
                           data={"items": [{"target": "field", "key": key, "reason": "请核对"}]})


async def test_corrected_shared_field_reaches_the_open_sibling(demo):
    alice, fund, _registry, withdrawal, registration = await _paid_bundle(demo)
    await _ask_correction(withdrawal, fund, "phone")
    before = await Case.get(id=registration.id)
    demo.EVENTS.clear()

    await cases.transition(withdrawal.id, "resubmit", alice.principal,
                           data={"form": {"phone": NEW_PHONE, "amount": 200_000}})

    assert unseal((await Case.get(id=withdrawal.id)).form_data)["phone"] == NEW_PHONE
    sibling = await Case.get(id=registration.id)
    form = unseal(sibling.form_data)
    assert form["phone"] == NEW_PHONE and "amount" not in form  # only what it uses
    assert form["property_address"] == "醴陵市某路1号" and form["applicant_name"] == unseal(before.form_data)["applicant_name"]
    assert sibling.version == before.version + 1 and sibling.state == before.state
    [row] = await CaseEventLog.filter(case_id=registration.id, kind="form_updated")
    assert row.data == {"fields": ["phone"], "from_case_no": withdrawal.case_no, "reason": "bundle_correction"}
    assert (row.actor_kind, row.actor_id) == ("citizen", alice.account_id)
    # Its department hears of it (after commit), like any case event.
    heard = [(e.case_no, e.kind, e.department_code) for e in demo.EVENTS]
    assert (registration.case_no, "form_updated", "demo_bdc") in heard
    assert (withdrawal.case_no, "resubmit", "demo_gjj") in heard
    # The sibling's view shows the new value, masked like any phone.
    view = await bundles.bundle_view(withdrawal.bundle_id, alice.principal)
    assert {c["form"]["phone"] for c in view["cases"]} == {"139****9000"}


async def test_a_decided_sibling_refuses_the_shared_field_and_nothing_changes(demo):
    alice, fund, registry, withdrawal, registration = await _paid_bundle(demo)
    for action in ("accept", "start_review", "approve"):
        await cases.transition(registration.id, action, registry.principal)
    await _ask_correction(withdrawal, fund, "phone")
    corrected, decided = await Case.get(id=withdrawal.id), await Case.get(id=registration.id)

    with pytest.raises(AppError) as refused:
        await cases.transition(withdrawal.id, "resubmit", alice.principal,
                               data={"form": {"phone": NEW_PHONE, "amount": 200_000}})
    assert refused.value.code == "cases.shared_field_decided" and refused.value.status == 409
    assert refused.value.message and refused.value.message_en
    assert refused.value.details == {"fields": ["phone"], "case_no": registration.case_no, "item_code": BDC_CODE,
                                     "state": "approved"}
    for before in (corrected, decided):
        after = await Case.get(id=before.id)
        assert (after.state, after.version, unseal(after.form_data)) == (before.state, before.version,
                                                                        unseal(before.form_data))
    assert not await CaseEventLog.filter(case_id=registration.id, kind="form_updated").exists()
    assert not await CaseEventLog.filter(case_id=withdrawal.id, kind="resubmit").exists()

    # A correction of fields only its own item uses still goes through.
    case = await cases.transition(withdrawal.id, "resubmit", alice.principal, data={"form": {"amount": 200_000}})
    assert case.state == "pre_review" and unseal(case.form_data)["amount"] == 200_000
    assert unseal(case.form_data)["phone"] == OLD_PHONE


async def test_a_withdrawn_sibling_keeps_what_it_applied_with(demo):
    alice, fund, _registry, withdrawal, registration = await _paid_bundle(demo)
    await cases.transition(registration.id, "withdraw", alice.principal)
    await _ask_correction(withdrawal, fund, "phone")
    before = await Case.get(id=registration.id)
    await cases.transition(withdrawal.id, "resubmit", alice.principal, data={"form": {"phone": NEW_PHONE}})
    after = await Case.get(id=registration.id)
    assert unseal(after.form_data)["phone"] == OLD_PHONE and after.version == before.version
    assert unseal((await Case.get(id=withdrawal.id)).form_data)["phone"] == NEW_PHONE

