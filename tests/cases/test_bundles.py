"""一件事一次办: one merged form asked once, one payment, child cases in parallel, one status."""

from __future__ import annotations

import pytest

from core.cases import api as cases
from core.cases import bundles
from core.cases.models import BundleCase, Case
from core.catalogue.registry import get_registry
from core.catalogue.service import bundle_form_for
from core.errors import AppError
from core.hooks import CertificateRef
from tests.cases.conftest import COUNTY
from tests.cases.demo_plugin import BDC_CODE, GJJ_CODE, IDCARD_TYPE
from tests.cases.helpers import citizen_with_data, enable, upload
from tests.support.auth import make_staff

pytestmark = pytest.mark.usefixtures("database", "demo")

BUNDLE = "demo.buy_house"


async def test_bundle_completes(demo):
    await enable(BUNDLE, BDC_CODE, GJJ_CODE)
    alice = await citizen_with_data(demo)
    demo.CERTIFICATES[alice.account_id] = [CertificateRef("c1", IDCARD_TYPE, "1.2.156.x", "身份证")]
    form = await bundle_form_for(alice.account_id, get_registry().bundle(BUNDLE))
    keys = [f["key"] for f in form["fields"]]
    assert len(keys) == len(set(keys)) and keys.count("phone") == 1  # asked once for both items
    assert {"property_address", "amount", "applicant_name"} <= set(keys)
    assert form["values"]["applicant_name"] == "张*"  # prefilled, masked

    with pytest.raises(AppError) as exc:
        await bundles.submit_bundle(alice.principal, BUNDLE, region_code=COUNTY, form={"phone": "1"},
                                    materials={"nope": {}})
    fields = {e["field"] for e in exc.value.details["errors"]}
    assert {"form.phone", "form.amount", "form.property_address", "materials.nope",
            f"materials.{GJJ_CODE}.contract"} <= fields
    assert await BundleCase.all().count() == 0 and await Case.all().count() == 0

    bc = await bundles.submit_bundle(
        alice.principal, BUNDLE, region_code=COUNTY,
        form={"phone": "13800138000", "amount": 100_000, "reason": "buy", "property_address": "醴陵市某路1号"},
        materials={GJJ_CODE: {"contract": {"upload_id": await upload(alice.account_id, "contract")},
                              "marriage": {"paper": True}}},
    )
    view = await bundles.bundle_view(bc.id, alice.principal)
    assert view["status"] == "awaiting_payment" and view["fee_fen"] == 8000 and len(view["cases"]) == 2
    assert {c["form"]["phone"] for c in view["cases"]} == {"138****8000"}
    bc = await bundles.mark_bundle_paid(bc.id, amount_fen=8000, payment_ref="B-1")
    assert (await bundles.bundle_view(bc.id))["status"] == "in_progress"

    for dept in ("demo_gjj", "demo_bdc"):  # two departments, in parallel
        staff = await make_staff(department_code=dept, roles=("clerk", "reviewer", "head"))
        case = await Case.get(bundle_id=bc.id, department_code=dept)
        for action in ("accept", "start_review", "approve"):
            await cases.transition(case.id, action, staff.principal)
    view = await bundles.bundle_view(bc.id, alice.principal)
    assert view["status"] == "completed" and {r["state"] for r in view["results"]} == {"approved"}
    assert all(c["bundle_case_id"] == bc.id for c in view["cases"])


async def test_bundle_needs_every_item_enabled(demo):
    await enable(BUNDLE, GJJ_CODE)
    alice = await citizen_with_data(demo)
    with pytest.raises(AppError) as exc:
        await bundles.submit_bundle(alice.principal, BUNDLE, region_code=COUNTY, form={})
    assert exc.value.code == "cases.item_not_enabled" and exc.value.details["not_enabled"] == [BDC_CODE]
