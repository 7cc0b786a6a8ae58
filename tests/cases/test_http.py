"""The catalogue, case, workbench and supervision API over HTTP, with real Bearer tokens."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from core.cases import clock
from core.hooks import CertificateRef
from tests.cases.conftest import COUNTY, OTHER_COUNTY
from tests.cases.demo_plugin import GJJ_CODE, IDCARD_TYPE
from tests.cases.helpers import PDF
from tests.support.auth import make_citizen, make_operator, make_staff

pytestmark = pytest.mark.usefixtures("demo")


def code_of(response, status):
    assert response.status_code == status, response.text
    return response.json().get("code")


async def test_http_journey(client, demo):
    operator = await make_operator(region_code=COUNTY)
    r = await client.put("/catalogue/enablement", headers=operator.headers,
                         json={"code": GJJ_CODE, "region_code": COUNTY, "enabled": True})
    assert r.status_code == 200
    assert code_of(await client.put("/catalogue/enablement", headers=operator.headers,
                                    json={"code": GJJ_CODE, "region_code": OTHER_COUNTY, "enabled": True}), 403) == "auth.forbidden"

    r = await client.get("/catalogue/enablement/effective", headers=operator.headers,
                         params={"region_code": "430281001000", "channel": "miniapp"})
    entry = next(e for e in r.json()["entries"] if e["code"] == GJJ_CODE)
    assert entry == {"code": GJJ_CODE, "kind": "item", "name": "住房公积金提取（演示）", "enabled": True,
                     "decided_by": {"region_code": COUNTY, "channel": "*"}}
    assert code_of(await client.get("/catalogue/enablement/effective", headers=operator.headers,
                                    params={"region_code": OTHER_COUNTY}), 404) == "not_found"
    alice = await make_citizen(region_code=COUNTY)
    demo.PEOPLE[alice.account_id] = {"person.name": alice.name, "person.id_number": alice.id_number}
    demo.CERTIFICATES[alice.account_id] = [CertificateRef("cert-9", IDCARD_TYPE, "1.2.156.3005.2.demo", "身份证")]
    found = (await client.get("/catalogue", params={"q": "gjj"}, headers=alice.headers)).json()
    assert [i["code"] for i in found["items"]] == [GJJ_CODE]
    assert code_of(await client.get("/catalogue"), 400) == "request.invalid"
    assert (await client.get("/catalogue", params={"region_code": OTHER_COUNTY})).json()["items"] == []
    detail = (await client.get(f"/catalogue/items/{GJJ_CODE}")).json()
    assert detail["basic_code"] == "000712345000" and detail["level_code"] == "3" and len(detail["materials"]) == 4
    form = (await client.get(f"/catalogue/items/{GJJ_CODE}/form", headers=alice.headers)).json()
    assert form["values"]["applicant_name"] == alice.name[0] + "*" and "*" in form["values"]["applicant_id_number"]
    id_card = next(m for m in form["materials"] if m["key"] == "id_card")
    assert id_card["certificates"][0]["certificate_id"] == "cert-9"

    r = await client.post("/cases/uploads", headers=alice.headers,
                          data={"item_code": GJJ_CODE, "material_key": "contract"},
                          files={"file": ("contract.png", b"\x89PNG\r\n\x1a\nxx", "image/png")})
    assert code_of(r, 422) == "cases.upload_invalid"  # contracts are PDF only
    r = await client.post("/cases/uploads", headers=alice.headers,
                          data={"item_code": GJJ_CODE, "material_key": "contract"},
                          files={"file": ("contract.pdf", PDF, "application/pdf")})
    assert r.status_code == 201 and len(r.json()["sha256"]) == 64
    upload_id = r.json()["upload_id"]

    bad = await client.post("/cases", headers=alice.headers, json={"item_code": GJJ_CODE, "form": {"amount": -1}})
    assert code_of(bad, 422) == "cases.application_invalid" and len(bad.json()["details"]["errors"]) >= 4
    # The client echoes the masked ID it was shown: the server uses the value it holds.
    r = await client.post("/cases", headers=alice.headers, json={
        "item_code": GJJ_CODE, "form": {**form["values"], "phone": "13800138000", "amount": 300000, "reason": "buy"},
        "materials": {"contract": {"upload_id": upload_id}, "marriage": {"paper": True}},
    })
    assert r.status_code == 201, r.text
    case = r.json()
    assert case["state"] == "pre_review" and case["materials"]["id_card"]["certificate_id"] == "cert-9"
    assert case["form"]["applicant_id_number"] != alice.id_number

    clerk = await make_staff(department_code="demo_gjj", roles=("clerk",), region_code=COUNTY)
    head = await make_staff(department_code="demo_gjj", roles=("reviewer", "head"), region_code=COUNTY)
    queue = (await client.get("/workbench/cases", params={"states": "pre_review"}, headers=clerk.headers)).json()
    assert [c["case_no"] for c in queue["cases"]] == [case["case_no"]]
    stranger = await make_staff(department_code="demo_bdc", roles=("clerk",), region_code=COUNTY)
    assert (await client.get("/workbench/cases", headers=stranger.headers)).json()["total"] == 0
    assert code_of(await client.get(f"/cases/{case['id']}", headers=stranger.headers), 404) == "not_found"

    act = f"/cases/{case['id']}/actions"
    r = await client.post(f"{act}/request_correction", headers=clerk.headers, json={"data": {"items": [
        {"target": "field", "key": "phone", "reason": "号码有误"}, {"target": "material", "key": "marriage", "reason": "请上传电子版"}]}})
    assert r.json()["state"] == "correction_requested" and len(r.json()["corrections"]) == 2
    assert code_of(await client.post(f"{act}/accept", headers=clerk.headers, json={}), 409) == "cases.action_not_allowed"
    r = await client.post(f"{act}/resubmit", headers=alice.headers, json={"data": {"form": {"phone": "13900139000"}}})
    assert r.json()["state"] == "pre_review" and r.json()["form"]["phone"] == "139****9000"
    assert (await client.post(f"{act}/accept", headers=clerk.headers, json={})).json()["state"] == "accepted"
    assert code_of(await client.post(f"{act}/start_review", headers=clerk.headers, json={}), 403) == "cases.actor_not_allowed"
    assert code_of(await client.post(f"{act}/approve", headers=alice.headers, json={}), 403) == "cases.actor_not_allowed"
    await client.post(f"{act}/start_review", headers=head.headers, json={})
    r = await client.post(f"{act}/approve", headers=head.headers, json={"data": {"result": {"document_no": "GJJ-1"}}})
    assert r.json()["state"] == "approved" and r.json()["status_code"] == "11"
    events = (await client.get(f"/cases/{case['id']}/events", headers=alice.headers)).json()["events"]
    assert [e["kind"] for e in events] == ["submitted", "request_correction", "resubmit", "accept", "start_review", "approve"]
    assert code_of(await client.get(f"/cases/{case['id']}"), 401) == "auth.required"
    assert "form" not in queue["cases"][0]
    r = await client.get(f"/cases/{case['id']}/materials/{upload_id}", headers=clerk.headers)
    assert r.status_code == 200 and r.content == PDF and r.headers["content-type"].startswith("application/pdf")
    assert code_of(await client.get(f"/cases/{case['id']}/materials/{upload_id}", headers=stranger.headers), 404)
    assert code_of(await client.get(f"/cases/{case['id']}/materials/not-attached", headers=alice.headers), 404)
    assert (await client.get(f"/cases/{case['id']}", headers=clerk.headers)).json()["form"]["phone"] == "139****9000"
    from core.identity.access_log import list_for

    log = await list_for(alice.account_id)
    assert any(e["reader_kind"] == "staff" and "case" in e["purpose"] for e in log), log
    mine = (await client.get("/cases", headers=alice.headers)).json()["cases"]
    assert [c["id"] for c in mine] == [case["id"]]


async def test_http_supervision_and_calendar(client, demo):
    operator = await make_operator(region_code="430200000000")
    r = await client.put("/calendar/overrides/2099-01-01", headers=operator.headers, json={"workday": False, "note": "元旦"})
    assert r.status_code == 200
    listed = (await client.get("/calendar/overrides", params={"year": 2099}, headers=operator.headers)).json()
    assert listed["overrides"] == [{"day": "2099-01-01", "workday": False, "note": "元旦"}]
    county_operator = await make_operator(region_code=COUNTY)
    assert code_of(await client.put("/calendar/overrides/2099-01-02", headers=county_operator.headers,
                                    json={"workday": True}), 403) == "auth.forbidden"
    citizen = await make_citizen(region_code=COUNTY)
    assert code_of(await client.get("/supervision/warnings", headers=citizen.headers), 403) == "auth.forbidden"
    with clock.frozen(datetime.combine(date(2026, 11, 10), datetime.min.time(), UTC)):
        assert (await client.get("/supervision/warnings", headers=operator.headers)).json() == {"warnings": []}


async def test_bad_input_is_4xx_with_stable_codes(client, demo):
    operator = await make_operator(region_code=COUNTY)
    await client.put("/catalogue/enablement", headers=operator.headers,
                     json={"code": GJJ_CODE, "region_code": COUNTY, "enabled": True})
    alice = await make_citizen(region_code=COUNTY)
    clerk = await make_staff(department_code="demo_gjj", roles=("clerk",), region_code=COUNTY)
    cases_ = [
        ("POST", "/cases", alice, {"item_code": GJJ_CODE, "form": ["not", "an", "object"]}, 400),
        ("POST", "/cases", alice, {"item_code": "NOPE", "form": {}}, 404),
        ("POST", "/cases", alice, {"item_code": GJJ_CODE, "form": {}, "region_code": "12"}, 422),
        ("POST", "/cases", alice, {"item_code": GJJ_CODE, "form": {}, "materials": ["x"]}, 400),
        ("POST", "/cases", alice, {"item_code": GJJ_CODE, "form": {}, "delivery": {"pickup": "yes"}}, 422),
        ("POST", "/cases", alice, {"item_code": GJJ_CODE, "form": {}, "unexpected": 1}, 400),
        ("POST", "/cases", clerk, {"item_code": GJJ_CODE, "form": {}}, 403),
        ("POST", "/cases/999999/actions/accept", clerk, {}, 404),
        ("GET", "/catalogue?channel=fax", alice, None, 400),
        ("PUT", "/catalogue/enablement", operator, {"code": "NOPE", "region_code": COUNTY, "enabled": True}, 404),
        ("PUT", "/catalogue/enablement", operator, {"code": GJJ_CODE, "region_code": COUNTY, "enabled": True,
                                                    "channel": "fax"}, 400),
        ("PUT", "/catalogue/enablement", alice, {"code": GJJ_CODE, "region_code": COUNTY, "enabled": True}, 403),
        ("GET", "/workbench/cases", alice, None, 403),
        ("GET", "/catalogue/items/NOPE", None, None, 404),
    ]
    for method, path, who, body, status in cases_:
        r = await client.request(method, path, headers=who.headers if who else {}, json=body)
        assert r.status_code == status, (path, body, r.text)
        assert r.json()["code"] and r.json()["message_en"], r.text
    r = await client.post("/cases/uploads", headers=alice.headers, data={"item_code": GJJ_CODE, "material_key": "contract"})
    assert r.status_code == 400, r.text
    r = await client.post("/cases/uploads", headers=alice.headers, data={"item_code": GJJ_CODE, "material_key": "nope"},
                          files={"file": ("a.pdf", PDF, "application/pdf")})
    assert r.status_code == 422 and r.json()["code"] == "cases.upload_invalid"


async def test_upload_rate_limit(client, demo, monkeypatch):
    from core.cases import routes

    monkeypatch.setattr(routes, "UPLOADS_PER_HOUR", 2)
    alice = await make_citizen(region_code=COUNTY)
    statuses = []
    for _ in range(3):
        r = await client.post("/cases/uploads", headers=alice.headers, data={"item_code": GJJ_CODE, "material_key": "contract"},
                              files={"file": ("c.pdf", PDF, "application/pdf")})
        statuses.append(r.status_code)
    assert statuses == [201, 201, 429]


async def test_retried_submission_makes_one_case(client, demo):
    from core.cases.models import Case

    operator = await make_operator(region_code=COUNTY)
    await client.put("/catalogue/enablement", headers=operator.headers,
                     json={"code": GJJ_CODE, "region_code": COUNTY, "enabled": True})
    alice = await make_citizen(region_code=COUNTY)
    r = await client.post("/cases/uploads", headers=alice.headers, data={"item_code": GJJ_CODE, "material_key": "contract"},
                          files={"file": ("c.pdf", PDF, "application/pdf")})
    body = {"item_code": GJJ_CODE, "client_key": "retry-key-0001",
            "form": {"phone": "13800138000", "amount": 1000, "reason": "buy"},
            "materials": {"contract": {"upload_id": r.json()["upload_id"]}, "id_card": {"paper": True},
                          "marriage": {"paper": True}}}
    first = await client.post("/cases", headers=alice.headers, json=body)
    again = await client.post("/cases", headers=alice.headers, json=body)
    assert first.status_code == again.status_code == 201 and first.json()["id"] == again.json()["id"]
    assert await Case.filter(applicant_id=alice.account_id).count() == 1
    assert code_of(await client.post("/cases", headers=alice.headers, json={**body, "client_key": "x"}), 400)


async def test_bundle_over_http(client, demo):
    from tests.cases.demo_plugin import BDC_CODE

    operator = await make_operator(region_code=COUNTY)
    for code in ("demo.buy_house", GJJ_CODE, BDC_CODE):
        await client.put("/catalogue/enablement", headers=operator.headers,
                         json={"code": code, "region_code": COUNTY, "enabled": True})
    alice = await make_citizen(region_code=COUNTY)
    demo.CERTIFICATES[alice.account_id] = [CertificateRef("c7", IDCARD_TYPE, "1.2.156.x", "身份证")]
    form = (await client.get("/catalogue/bundles/demo.buy_house/form", headers=alice.headers)).json()
    assert [f["key"] for f in form["fields"]].count("phone") == 1
    r = await client.post("/cases/uploads", headers=alice.headers, data={"item_code": GJJ_CODE, "material_key": "contract"},
                          files={"file": ("c.pdf", PDF, "application/pdf")})
    body = {"bundle_code": "demo.buy_house", "client_key": "bundle-key-01",
            "form": {"phone": "13800138000", "amount": 1000, "reason": "buy", "property_address": "醴陵市某路1号"},
            "materials": {GJJ_CODE: {"contract": {"upload_id": r.json()["upload_id"]}, "marriage": {"paper": True}}}}
    demo.PEOPLE[alice.account_id] = {"person.name": alice.name, "person.id_number": alice.id_number}
    bob = await make_citizen(region_code=COUNTY)
    other = {**body, "form": {**body["form"], "applicant_id_number": bob.id_number}}
    refused = await client.post("/bundles", headers=alice.headers, json=other)  # one form, asked once, her own name only
    assert refused.status_code == 422, refused.text
    assert ("form.applicant_id_number", "verified_identity") in {(e["field"], e["code"]) for e in refused.json()["details"]["errors"]}
    first = await client.post("/bundles", headers=alice.headers, json=body)
    assert first.status_code == 201, first.text
    again = await client.post("/bundles", headers=alice.headers, json=body)
    assert again.json()["id"] == first.json()["id"] and first.json()["status"] == "awaiting_payment"
    staff = await make_staff(department_code="demo_bdc", roles=("clerk",), region_code=COUNTY)
    seen = (await client.get(f"/bundles/{first.json()['id']}", headers=staff.headers)).json()
    assert [c["department_code"] for c in seen["cases"]] == ["demo_bdc"]  # only their own child case
    r = await client.post(f"/bundles/{first.json()['id']}/withdraw", headers=alice.headers)
    assert r.json()["status"] == "withdrawn"


async def test_an_application_is_made_in_the_applicants_verified_name_only(client, demo):
    operator = await make_operator(region_code=COUNTY)
    await client.put("/catalogue/enablement", headers=operator.headers,
                     json={"code": GJJ_CODE, "region_code": COUNTY, "enabled": True})
    alice, bob = await make_citizen(region_code=COUNTY), await make_citizen(region_code=COUNTY)
    demo.PEOPLE[alice.account_id] = {"person.name": alice.name, "person.id_number": alice.id_number}
    values = (await client.get(f"/catalogue/items/{GJJ_CODE}/form", headers=alice.headers)).json()["values"]
    form = {**values, "phone": "13800138000", "amount": 300000, "reason": "buy"}
    upload = await client.post("/cases/uploads", headers=alice.headers, data={"item_code": GJJ_CODE, "material_key": "contract"},
                               files={"file": ("c.pdf", PDF, "application/pdf")})
    materials = {"contract": {"upload_id": upload.json()["upload_id"]}, "id_card": {"paper": True}, "marriage": {"paper": True}}
    for field, other in (("applicant_id_number", bob.id_number), ("applicant_name", "李四")):
        r = await client.post("/cases", headers=alice.headers,
                              json={"item_code": GJJ_CODE, "form": {**form, field: other}, "materials": materials})
        assert r.status_code == 422, r.text
        assert [(e["field"], e["code"]) for e in r.json()["details"]["errors"]] == [(f"form.{field}", "verified_identity")]
        assert r.json()["details"]["errors"][0]["message"] == "须与实名认证信息一致，不能修改"
    assert (await client.get("/cases", headers=alice.headers)).json()["cases"] == []  # nothing was created
    # Her own ID typed in full (or the masked one echoed back, or left out) is accepted.
    r = await client.post("/cases", headers=alice.headers,
                          json={"item_code": GJJ_CODE, "form": {**form, "applicant_id_number": alice.id_number.lower()},
                                "materials": materials})
    assert r.status_code == 201, r.text
