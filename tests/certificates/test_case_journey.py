"""The journey of the issue, certificate side: a certificate replaces an upload, the case is
corrected once, accepted and approved, the result certificate is issued and verified, every
state change reached the message centre, the case is rated badly and a rectification opens; a
stale certificate is refused by the engine."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import pytest

from core.cases import api as cases
from core.catalogue.enablement import set_enablement
from core.certificates import api, registry
from core.certificates.models import CertificateUse
from core.errors import AppError
from tests.certificates import demo_plugin, journey_plugin
from tests.support.auth import make_citizen, make_operator, make_staff

COUNTY = "430281000000"


@pytest.fixture
def journey(host, cert_types):
    from core.catalogue.registry import reload_registry

    host.register_module("journey_bdc", journey_plugin)
    reload_registry()
    registry.reset()
    yield journey_plugin
    host.pm.unregister(name="journey_bdc")
    host.records.pop("journey_bdc", None)
    reload_registry()
    registry.reset()


async def test_certificate_replaces_upload_then_result_is_issued_verified_and_rated(client, journey):
    operator = await make_operator()
    await set_enablement(operator.principal, journey.ITEM_CODE, COUNTY, "*", True)
    alice = await make_citizen(region_code=COUNTY, name="张三丰")
    clerk = await make_staff(department_code=journey.DEPARTMENT, roles=("clerk",), region_code=COUNTY)
    head = await make_staff(department_code=journey.DEPARTMENT, roles=("reviewer", "head"), region_code=COUNTY)
    title = await api.issue(demo_plugin.PROPERTY, alice.account_id,
                            {"holder_name": "张三丰", "id_number": alice.id_number, "location": "醴陵市瓷城大道 1 号"})

    form = {"applicant_name": "张三丰", "location": "醴陵市瓷城大道 1 号", "creditor": "某银行醴陵支行"}
    case = await cases.submit(alice.principal, journey.ITEM_CODE, region_code=COUNTY, form=form,
                              materials={"title": {"certificate_id": str(title.id)}})
    view = await cases.get(case.id, alice.principal)
    assert view["materials"]["title"]["kind"] == "certificate"
    [use] = await CertificateUse.filter(case_ref=case.case_no)
    assert use.certificate_id == title.id and use.material_code == "title"

    # The clerk sees which certificate replaced the upload, and that it is valid; other staff do not.
    r = await client.get("/staff/certificates/uses", params={"case_id": case.id}, headers=clerk.headers)
    [seen_use] = r.json()
    assert seen_use["material_code"] == "title" and seen_use["certificate"]["identifier"] == title.identifier
    assert seen_use["certificate"]["status"] == "valid"
    outsider = await make_staff(department_code="RSJ", roles=("clerk",), region_code=COUNTY)
    assert (await client.get("/staff/certificates/uses", params={"case_id": case.id},
                             headers=outsider.headers)).status_code == 404
    assert (await client.get("/staff/certificates/uses", params={"case_id": case.id},
                             headers=alice.headers)).status_code == 403

    case = await cases.transition(case.id, "request_correction", clerk.principal, data={"items": [
        {"target": "field", "key": "creditor", "reason": "抵押权人名称应与合同一致"}]})
    case = await cases.transition(case.id, "resubmit", alice.principal,
                                  data={"form": {"creditor": "某商业银行股份有限公司醴陵支行"}})
    case = await cases.transition(case.id, "accept", clerk.principal)
    r = await client.post("/evaluations", headers=alice.headers, json={"case_id": case.id, "level": 1})
    assert r.status_code == 409 and r.json()["code"] == "evaluations.case_not_rateable"  # not decided yet
    nosy = await make_citizen(region_code=COUNTY)
    r = await client.post("/evaluations", headers=nosy.headers, json={"case_id": case.id, "level": 1})
    assert r.status_code == 404  # someone else's case: not even its state leaks
    case = await cases.transition(case.id, "start_review", head.principal)
    case = await cases.transition(case.id, "approve", head.principal)
    assert case.state == "approved"

    # The result certificate was issued into Alice's wallet, fields taken from the form.
    wallet = (await client.get("/certificates", headers=alice.headers)).json()
    proof = next(c for c in wallet if c["type_code"] == journey.PROOF)
    fields = {f["name"]: f["value"] for f in proof["fields"]}
    assert fields["creditor"] == "某商业银行股份有限公司醴陵支行" and fields["holder_name"].startswith("张")
    # Shown and verified by a stranger: only the public fields.
    shown = (await client.post(f"/certificates/{proof['id']}/show", headers=alice.headers, json={})).json()
    code = parse_qs(urlparse(shown["verify_url"]).query)["code"][0]
    seen = (await client.get("/certificates/verify", params={"code": code})).json()
    assert seen["identifier"] == proof["identifier"] and {f["name"] for f in seen["fields"]} == {"location", "creditor"}

    case = await cases.transition(case.id, "deliver", clerk.principal)
    case = await cases.transition(case.id, "close", clerk.principal)
    r = await client.post("/evaluations", headers=alice.headers,
                          json={"case_id": case.id, "level": 4, "comment": "补正要求没有一次说清"})
    assert r.status_code == 201, r.text
    assert r.json()["rectification"]["status"] == "open"

    from core import tasks

    await tasks.drain()
    kinds = [m["kind"] for m in (await client.get("/messages", params={"limit": 50}, headers=alice.headers)).json()["items"]]
    for expected in ("case.submitted", "case.correction_requested", "case.accepted", "case.approved",
                     "certificate.issued", "case.delivered", "case.closed", "evaluation.rectification_opened"):
        assert expected in kinds, (expected, kinds)

    # A new version of the title makes the old one stale: the engine refuses it.
    await api.reissue(title.id, {"location": "醴陵市瓷城大道 1 号 2 栋"})
    with pytest.raises(AppError) as stale:
        await cases.submit(alice.principal, journey.ITEM_CODE, region_code=COUNTY, form=form,
                           materials={"title": {"certificate_id": str(title.id)}})
    assert [e["code"] for e in stale.value.details["errors"]] == ["certificate_invalid"]
