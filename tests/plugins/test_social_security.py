"""Social security through the HTTP API on imported data: the insured record and contributions
(own only), the proof of insurance issued instantly as an e-certificate, pension qualification
certification at level 3, a contact change as a case, the reminder task."""

from __future__ import annotations

import pytest

from plugins.social_security.items import CONTACT_CODE, PROOF_CODE
from plugins.social_security.models import InsuredPerson, PensionCertification
from tests.plugins.support import enable, feed_rows, id_for
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
    worker, _ = insured
    r = await client.post("/plugins/social_security/proofs", headers=worker.headers, json={"proof_use": "housing"})
    assert r.status_code == 201, r.text
    assert r.json()["state"] == "approved"
    result = r.json()["result"]
    assert result["insured"] is True and result["certificate"].startswith("1.2.156.3005.2.SBCBZM.")
    cert = await client.get(f"/certificates/{result['certificate_id']}", headers=worker.headers)
    assert cert.status_code == 200 and "3" in str(cert.json())  # pension months on the certificate
    stranger = await make_citizen()
    r = await client.post("/plugins/social_security/proofs", headers=stranger.headers, json={})
    assert r.status_code == 404 and r.json()["code"] == "social_security.not_insured"


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


async def test_contact_change_is_a_case_applied_on_approval(client, insured):
    worker, _ = insured
    r = await client.post("/cases", headers=worker.headers,
                          json={"item_code": CONTACT_CODE, "form": {"new_phone": "13907335678"}})
    assert r.status_code == 201, r.text
    staff = await make_staff(department_code="RSJ", roles=("clerk", "reviewer", "head"))
    for action in ("accept", "start_review", "approve"):
        assert (await client.post(f"/cases/{r.json()['id']}/actions/{action}", headers=staff.headers,
                                  json={})).status_code == 200, action
    person = (await client.get("/plugins/social_security/me", headers=worker.headers)).json()["person"]
    assert person["phone"] == "139****5678"
    assert (await InsuredPerson.all().count()) == 2


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
