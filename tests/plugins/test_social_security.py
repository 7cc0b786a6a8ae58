"""Social security through the HTTP API on imported data: the insured record and contributions
(own only), the proof of insurance issued instantly as an e-certificate, pension qualification
certification at level 3 (retirees only), a contact change as a case applied by the clerk's staff
step (scoped to the bureau and region), prefill from the record, the reminder task."""

from __future__ import annotations

import pytest

from plugins.social_security.items import CONTACT_CODE, PROOF_CODE
from plugins.social_security.models import InsuredPerson, PensionCertification
from tests.plugins.support import HOME, enable, feed_rows, id_for
from tests.support.auth import make_citizen, make_staff


def person_row(id_number: str, name: str, status: str = "active") -> dict:
    return {"id_number": id_number, "name": name, "region_code": "430281001000", "insured_since": "2012-07-01",
            "status": status, "employer_name": "株洲旗滨陶瓷有限公司" if status == "active" else "",
            "employer_uscc": "", "phone": "13807331234"}


def contributions(id_number: str, months: list[str]) -> list[dict]:
    return [{"id_number": id_number, "period": m, "insurance": kind, "base_fen": "650000",
             "personal_fen": str(650000 * pr // 10000), "employer_fen": str(650000 * er // 10000),
             "employer_uscc": "", "paid_on": f"{m[:4]}-{m[4:]}-15"}
            for m in months for kind, pr, er in (("pension", 800, 1600), ("medical", 200, 800))]


@pytest.fixture
async def insured(app, tmp_path):
    worker_id, retiree_id = id_for("19900301"), id_for("19560817", county="430221")
    worker = await make_citizen(id_number=worker_id, name="周志强")
    retiree = await make_citizen(id_number=retiree_id, name="刘桂英", level=3)
    await feed_rows(tmp_path, "social_security", "persons",
                    [person_row(worker_id, "周志强"), person_row(retiree_id, "刘桂英", "retired")])
    await feed_rows(tmp_path, "social_security", "contributions", contributions(worker_id, ["202608", "202609", "202610"]))
    await enable(PROOF_CODE, CONTACT_CODE)
    return worker, retiree


async def test_own_record_and_contributions_only(client, insured):
    worker, _retiree = insured
    r = await client.get("/plugins/social_security/me", headers=worker.headers)
    assert r.status_code == 200, r.text
    assert r.json()["person"]["status"] == "active" and r.json()["person"]["name"] == "周*强"
    assert r.json()["summary"]["pension"] == {"months": 3, "personal_fen": 3 * 52_000, "employer_fen": 3 * 104_000,
                                              "last_period": "202610"}
    r = await client.get("/plugins/social_security/me/contributions?year=2026", headers=worker.headers)
    assert len(r.json()["contributions"]) == 6
    stranger = await make_citizen()
    r = await client.get("/plugins/social_security/me", headers=stranger.headers)
    assert r.status_code == 404 and r.json()["code"] == "social_security.not_insured"
    assert (await client.get("/plugins/social_security/me")).status_code == 401


async def test_proof_of_insurance_is_an_instant_e_certificate(client, insured):
    from core.certificates.identifier import parse
    from plugins.social_security.items import BODY

    worker, _ = insured
    r = await client.post("/plugins/social_security/proofs", headers=worker.headers, json={"proof_use": "housing"})
    assert r.status_code == 201, r.text
    assert r.json()["state"] == "approved"
    result = r.json()["result"]
    assert result["insured"] is True
    identifier = parse(result["certificate"])  # GB/T 36904: prefix, type, issuer, serial, version, check
    assert (identifier.type_code, identifier.issuer_credit_code, identifier.version) == ("SBCBZM", BODY, 1)
    assert str(identifier) == result["certificate"]
    r = await client.get(f"/certificates/{result['certificate_id']}", headers=worker.headers)
    assert r.status_code == 200, r.text
    cert = r.json()
    assert cert["identifier"] == result["certificate"] and cert["status"] == "valid"
    assert (cert["type_name"], cert["issuer_name"], cert["issuer_credit_code"]) == (
        "社会保险参保证明", "株洲市人力资源和社会保障局", BODY)
    worker_id = id_for("19900301")
    assert {f["name"]: f["value"] for f in cert["fields"]} == {
        "name": "周*强", "id_number": worker_id[:3] + "*" * 11 + worker_id[-4:], "status": "参保缴费",
        "insured_since": "2012-07-01", "insurances": "养老保险3个月；医疗保险3个月", "pension_months": 3,
        "last_period": "202610", "employer": "株洲旗滨陶瓷有限公司"}
    stranger = await make_citizen()
    r = await client.post("/plugins/social_security/proofs", headers=stranger.headers, json={})
    assert r.status_code == 404 and r.json()["code"] == "social_security.not_insured"
    assert (await client.get(f"/certificates/{result['certificate_id']}", headers=stranger.headers)).status_code == 404


async def test_pension_certification_needs_level_3_and_a_retiree(client, insured):
    worker, retiree = insured
    r = await client.post("/plugins/social_security/pension-certification", headers=worker.headers)
    assert r.status_code == 403 and r.json()["code"] == "identity.level_too_low"
    r = await client.post("/plugins/social_security/pension-certification", headers=retiree.headers)
    assert r.status_code == 201, r.text
    again = await client.post("/plugins/social_security/pension-certification", headers=retiree.headers)
    assert again.status_code == 409 and again.json()["code"] == "social_security.already_certified"
    status = await client.get("/plugins/social_security/pension-certification", headers=retiree.headers)
    assert status.json()["certified"] is True
    assert await PensionCertification.all().count() == 1


async def test_pension_certification_refuses_someone_not_retired(client, tmp_path, insured):
    active_id = id_for("19920605", male=False)
    active = await make_citizen(id_number=active_id, name="陈静", level=3)  # face-verified, still working
    await feed_rows(tmp_path, "social_security", "persons", [person_row(active_id, "陈静")])
    r = await client.post("/plugins/social_security/pension-certification", headers=active.headers)
    assert r.status_code == 409 and r.json()["code"] == "social_security.not_retired", r.text
    assert r.json()["message"] and r.json()["message_en"]
    assert await PensionCertification.all().count() == 0


async def submit_contact_change(client, worker) -> int:
    r = await client.post("/cases", headers=worker.headers,
                          json={"item_code": CONTACT_CODE, "form": {"new_phone": "13907335678"}})
    assert r.status_code == 201, r.text
    return r.json()["id"]


async def test_contact_change_is_applied_by_the_clerks_staff_step(client, insured):
    worker, _ = insured
    case_id = await submit_contact_change(client, worker)
    case = (await client.get(f"/cases/{case_id}", headers=worker.headers)).json()
    assert case["state"] == "pre_review" and case["form"]["current_phone"] == "138****1234"  # prefilled from the record
    clerk = await make_staff(department_code="RSJ", roles=("clerk",), region_code=HOME)
    assert (await client.post(f"/cases/{case_id}/actions/accept", headers=clerk.headers, json={})).status_code == 200
    actions = (await client.get(f"/cases/{case_id}", headers=clerk.headers)).json()["actions"]
    assert "apply_change" in {a["name"] for a in actions} and "approve" not in {a["name"] for a in actions}
    r = await client.post(f"/cases/{case_id}/actions/apply_change", headers=clerk.headers, json={})
    assert r.status_code == 200, r.text
    case = (await client.get(f"/cases/{case_id}", headers=worker.headers)).json()
    assert case["state"] == "approved"
    assert case["result"] == {"applied": True, "phone": "139****5678", "previous_phone": "138****1234"}
    person = (await client.get("/plugins/social_security/me", headers=worker.headers)).json()["person"]
    assert person["phone"] == "139****5678"
    stored = await InsuredPerson.get(phone_masked="139****5678")
    assert "13907335678" not in stored.phone_enc  # encrypted at rest
    assert (await InsuredPerson.all().count()) == 2


async def test_a_change_whose_listener_failed_is_applied_by_the_hourly_task(client, insured, monkeypatch):
    from plugins.social_security import service
    from plugins.social_security.tasks import apply_pending_contact_changes

    worker, _ = insured
    case_id = await submit_contact_change(client, worker)
    clerk = await make_staff(department_code="RSJ", roles=("clerk",), region_code=HOME)
    assert (await client.post(f"/cases/{case_id}/actions/accept", headers=clerk.headers, json={})).status_code == 200

    async def database_gone(case, form):  # the write fails after the staff step committed (logged, not undone)
        raise ConnectionError("database connection lost")

    monkeypatch.setattr(service, "change_phone", database_gone)
    assert (await client.post(f"/cases/{case_id}/actions/apply_change", headers=clerk.headers, json={})).status_code == 200
    monkeypatch.undo()
    case = (await client.get(f"/cases/{case_id}", headers=worker.headers)).json()
    assert case["state"] == "approved" and case["result"] == {}
    assert await apply_pending_contact_changes() == 1
    case = (await client.get(f"/cases/{case_id}", headers=worker.headers)).json()
    assert case["result"] == {"applied": True, "phone": "139****5678", "previous_phone": "138****1234"}
    assert (await client.get("/plugins/social_security/me", headers=worker.headers)).json()["person"]["phone"] == "139****5678"
    assert await apply_pending_contact_changes() == 0  # applied once


async def test_the_staff_step_is_scoped_to_the_bureau_its_region_and_roles(client, insured):
    worker, _ = insured
    case_id = await submit_contact_change(client, worker)
    clerk = await make_staff(department_code="RSJ", roles=("clerk",), region_code=HOME)
    assert (await client.post(f"/cases/{case_id}/actions/accept", headers=clerk.headers, json={})).status_code == 200
    fund_centre = await make_staff(department_code="GJJ", roles=("clerk", "head"), region_code=HOME)
    other_county = await make_staff(department_code="RSJ", roles=("clerk", "head"), region_code="430202000000")
    for outsider in (fund_centre, other_county):  # the case does not exist for them
        r = await client.post(f"/cases/{case_id}/actions/apply_change", headers=outsider.headers, json={})
        assert r.status_code == 404, r.text
    reviewer = await make_staff(department_code="RSJ", roles=("reviewer",), region_code=HOME)
    r = await client.post(f"/cases/{case_id}/actions/apply_change", headers=reviewer.headers, json={})
    assert r.status_code == 403 and r.json()["code"] == "cases.actor_not_allowed", r.text
    r = await client.post(f"/cases/{case_id}/actions/apply_change", headers=worker.headers, json={})
    assert r.status_code == 403 and r.json()["code"] == "cases.actor_not_allowed", r.text
    case = (await client.get(f"/cases/{case_id}", headers=worker.headers)).json()
    assert case["state"] == "accepted" and case["result"] == {}
    assert (await client.get("/plugins/social_security/me", headers=worker.headers)).json()["person"]["phone"] == "138****1234"


async def test_contact_change_of_someone_without_a_record_is_not_accepted(client, insured):
    stranger = await make_citizen()
    case_id = await submit_contact_change(client, stranger)
    case = (await client.get(f"/cases/{case_id}", headers=stranger.headers)).json()
    assert case["state"] == "not_accepted"
    events = (await client.get(f"/cases/{case_id}/events", headers=stranger.headers)).json()
    events = events["events"] if isinstance(events, dict) else events
    reject = next(e for e in events if e["kind"] == "reject")
    assert reject["actor_kind"] == "system" and reject["comment"].startswith("social_security.not_insured: ")


async def test_forms_are_prefilled_from_the_own_record_only(client, insured, host):
    from core.catalogue.registry import get_registry

    worker, retiree = insured
    r = await client.get(f"/catalogue/items/{CONTACT_CODE}/form", headers=worker.headers)
    assert r.status_code == 200, r.text
    assert r.json()["values"]["current_phone"] == "138****1234" and "current_phone" in r.json()["prefilled"]
    stranger = await make_citizen()
    r = await client.get(f"/catalogue/items/{CONTACT_CODE}/form", headers=stranger.headers)
    assert r.status_code == 200 and "current_phone" not in r.json()["values"]
    keys = ["social_security.status", "social_security.employer", "social_security.insured_since", "person.name"]
    item = get_registry().item(CONTACT_CODE)
    answers = dict(await host.gather("zhushida_form_prefill", account_id=worker.account_id, item=item, keys=keys))
    assert answers["social_security"] == {"social_security.status": "active", "social_security.employer": "株洲旗滨陶瓷有限公司",
                                          "social_security.insured_since": "2012-07-01"}
    answers = dict(await host.gather("zhushida_form_prefill", account_id=retiree.account_id, item=item, keys=keys))
    assert answers["social_security"] == {"social_security.status": "retired",  # their own record, no employer
                                          "social_security.insured_since": "2012-07-01"}
    answers = dict(await host.gather("zhushida_form_prefill", account_id=stranger.account_id, item=item, keys=keys))
    assert not answers.get("social_security")


async def test_reminder_task_reaches_retirees_not_yet_certified(client, insured):
    from core.messages import api as messages
    from plugins.social_security.service import this_year
    from plugins.social_security.tasks import remind_pension_certification

    _, retiree = insured
    person = await InsuredPerson.filter(status="retired").first()
    await PensionCertification.create(account_id=retiree.account_id, person_key=person.person_key,
                                      year=this_year() - 1, method="face")
    assert await remind_pension_certification() == 1
    assert await remind_pension_certification() == 1  # dedupe: still one message
    assert len(await messages.list_messages(retiree.account_id)) == 1
