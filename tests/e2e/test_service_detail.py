"""Service detail (办事指南 + 表单) over HTTP: the materials my e-certificates cover (免提交) are
marked as covered for a citizen who holds the certificate, and not for one who does not."""

from __future__ import annotations

import pytest

from tests.e2e.housing_loan_plugin import APPROVAL_TYPE, BUNDLE, MORTGAGE
from tests.e2e.test_citizen_journeys import enable_for_county, new_person, ok, sign_in


def material(detail: dict, key: str) -> dict:
    return next(m for m in detail["materials"] if m["key"] == key)


@pytest.mark.parametrize("channel", ["miniapp", "app"])
async def test_materials_covered_by_my_certificates(http, phone, channel):
    from core.certificates import api as certificates

    holder_name, holder_id, holder_phone = new_person("19930303")
    holder = await sign_in(http, phone, channel, holder_name, holder_id, holder_phone)
    other = await sign_in(http, phone, channel, *new_person("19940404"))
    await enable_for_county(http)
    account_id = ok(await http.get(f"/bff/{channel}/me", headers=holder))["account"]["id"]
    # The fund centre issued the holder its loan approval (as its plugin does on approval).
    cert = await certificates.issue(APPROVAL_TYPE, account_id, {
        "applicant_name": holder_name, "applicant_id_number": holder_id, "loan_amount": 300000})

    mine = material(ok(await http.get(f"/bff/{channel}/services/{MORTGAGE}", headers=holder)), "loan_approval")
    assert mine["covered_by_certificate"] is True
    assert [c["certificate_id"] for c in mine["certificates"]] == [str(cert.id)]
    assert mine["certificates"][0]["type_code"] == APPROVAL_TYPE
    theirs = material(ok(await http.get(f"/bff/{channel}/services/{MORTGAGE}", headers=other)), "loan_approval")
    assert theirs["covered_by_certificate"] is False and theirs["certificates"] == []

    # The bundle's detail marks it per item the same way; in English too.
    bundle = ok(await http.get(f"/bff/{channel}/services/{BUNDLE}", headers={**holder, "Accept-Language": "en"}))
    entry = next(i for i in bundle["items"] if i["code"] == MORTGAGE)
    covered = material(entry, "loan_approval")
    assert covered["covered_by_certificate"] is True and covered["name"] == "Provident fund loan approval"
    other_bundle = ok(await http.get(f"/bff/{channel}/services/{BUNDLE}", headers=other))
    assert material(next(i for i in other_bundle["items"] if i["code"] == MORTGAGE), "loan_approval")[
        "covered_by_certificate"] is False

    # The covered material is then given by reference to the certificate, not uploaded.
    applied = ok(await http.post(f"/bff/{channel}/apply", headers=holder, json={
        "item_code": MORTGAGE, "form": {"phone": holder_phone, "property_address": "醴陵市一路1号"},
        "materials": {"loan_approval": {"certificate_id": mine["certificates"][0]["certificate_id"]}}}), 201)
    case = ok(await http.get(f"/bff/{channel}/cases/{applied['case']['id']}", headers=holder))
    assert case["materials"]["loan_approval"]["kind"] == "certificate"
