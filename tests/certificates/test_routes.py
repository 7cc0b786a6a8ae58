"""Wallet, 亮证 (show QR) and public verification, revocation — over HTTP with real tokens."""

from __future__ import annotations

import base64
import time
from urllib.parse import parse_qs, urlparse

from core.certificates import api, show
from core.certificates.models import CertificateDisclosure
from tests.certificates.demo_plugin import MARRIAGE, PROPERTY
from tests.support.auth import make_citizen, make_staff


async def _issue(holder, department_id=None, region_code="430281000000"):
    return await api.issue(PROPERTY, holder.account_id, {
        "holder_name": "张三丰", "id_number": holder.id_number, "location": "醴陵市来龙门街道 8 号",
    }, department_id=department_id, region_code=region_code)


async def test_wallet_shows_own_certificates_masked(client, cert_types):
    alice, bob = await make_citizen(name="张三丰"), await make_citizen()
    cert = await _issue(alice)
    r = await client.get("/certificates", headers=alice.headers)
    assert r.status_code == 200
    [item] = r.json()
    assert item["identifier"] == cert.identifier
    values = {f["name"]: f["value"] for f in item["fields"]}
    assert alice.id_number not in str(item) and values["id_number"].startswith(alice.id_number[:3])
    assert (await client.get("/certificates", headers=bob.headers)).json() == []
    # Another citizen's certificate does not exist for them.
    r = await client.get(f"/certificates/{cert.id}", headers=bob.headers)
    assert r.status_code == 404 and r.json()["code"] == "not_found"
    assert (await client.get(f"/certificates/{cert.id}")).status_code == 401
    r = await client.get("/certificates/matching", params={"type_codes": f"{PROPERTY},{MARRIAGE}"}, headers=alice.headers)
    assert r.json() == {PROPERTY: {"id": cert.id, "identifier": cert.identifier}, MARRIAGE: None}
    types = (await client.get("/certificates/types")).json()
    assert {PROPERTY, MARRIAGE} <= {t["code"] for t in types}


async def test_show_and_verify_reveal_only_what_the_holder_chose(client, cert_types):
    alice = await make_citizen(name="张三丰")
    cert = await _issue(alice)
    r = await client.post(f"/certificates/{cert.id}/show", headers=alice.headers,
                          json={"fields": ["holder_name", "id_number"], "unmasked": ["holder_name"], "ttl_seconds": 60,
                                "purpose": "办理酒店入住"})
    assert r.status_code == 200, r.text
    shown = r.json()
    assert shown["qr_png"].startswith("data:image/png;base64,")
    assert base64.b64decode(shown["qr_png"].split(",", 1)[1])[:8] == b"\x89PNG\r\n\x1a\n"
    assert shown["qr_svg"].startswith("data:image/svg+xml")
    assert shown["expires_at"] - time.time() <= 60
    code = parse_qs(urlparse(shown["verify_url"]).query)["code"][0]
    # Anyone, signed in or not, can verify.
    r = await client.get("/certificates/verify", params={"code": code})
    assert r.status_code == 200, r.text
    seen = r.json()
    assert seen["verified"] and seen["status"] == "valid" and seen["identifier"] == cert.identifier
    fields = {f["name"]: f["value"] for f in seen["fields"]}
    assert set(fields) == {"holder_name", "id_number"}  # location was not chosen
    assert fields["holder_name"] == "张三丰"  # consented in full
    assert fields["id_number"] != alice.id_number and "*" in fields["id_number"]
    assert "id" not in seen and seen["purpose"] == "办理酒店入住"
    # The holder sees the verification in the access log.
    r = await client.get(f"/certificates/{cert.id}/disclosures", headers=alice.headers)
    assert [(d["fields"], d["purpose"], d["verifier"]) for d in r.json()] == [
        (["holder_name", "id_number"], "办理酒店入住", "anonymous")]


async def test_forged_expired_and_stale_codes_are_refused(client, cert_types):
    alice = await make_citizen()
    cert = await _issue(alice)
    code = show.make_show_code(cert, ttl_seconds=30)
    body, _, sig = code.code.partition(".")
    forged = body[:-2] + ("AA" if body[-2:] != "AA" else "BB") + "." + sig
    r = await client.get("/certificates/verify", params={"code": forged})
    assert r.status_code == 400 and r.json()["code"] == "certificate.show_code_invalid"
    assert (await client.get("/certificates/verify", params={"code": "nonsense"})).json()["code"] == "certificate.show_code_invalid"
    old = show.make_show_code(cert, ttl_seconds=30, now=time.time() - 31)
    r = await client.get("/certificates/verify", params={"code": old.code})
    assert r.status_code == 410 and r.json()["code"] == "certificate.show_code_expired"
    # A code shown before a new version was issued is stale.
    await api.reissue(cert.id, {"location": "醴陵市新址 9 号"})
    r = await client.get("/certificates/verify", params={"code": code.code})
    assert r.status_code == 409 and r.json()["code"] == "certificate.stale"
    r = await client.post(f"/certificates/{cert.id}/show", headers=alice.headers, json={})
    assert r.status_code == 409 and r.json()["code"] == "certificate.stale"
    assert await CertificateDisclosure.all().count() == 0


async def test_bad_show_requests_are_4xx(client, cert_types):
    alice = await make_citizen()
    cert = await _issue(alice)
    for body, code in (({"fields": ["nope"]}, "certificate.fields_unknown"),
                       ({"fields": ["location"], "unmasked": ["id_number"]}, "certificate.fields_unknown"),
                       ({"ttl_seconds": 5}, "certificate.show_ttl_invalid"),
                       ({"ttl_seconds": 100000}, "certificate.show_ttl_invalid"),
                       ({"purpose": "长" * 51}, "certificate.purpose_invalid"),
                       ({"extra": 1}, "request.invalid")):
        r = await client.post(f"/certificates/{cert.id}/show", headers=alice.headers, json=body)
        assert r.status_code == 400 and r.json()["code"] == code, (body, r.text)


async def test_revocation_is_for_the_issuing_department_heads(client, cert_types):
    alice = await make_citizen()
    head = await make_staff(department_code="BDC", roles=("head",), region_code="430281000000")
    clerk = await make_staff(department_code="BDC", roles=("clerk",), region_code="430281000000")
    other = await make_staff(department_code="RSJ", roles=("head",), region_code="430281000000")
    cert = await _issue(alice, department_id=head.principal.department_id)
    code = show.make_show_code(cert)
    url = f"/staff/certificates/{cert.id}/revoke"
    assert (await client.post(url, headers=clerk.headers, json={"reason": "x"})).status_code == 403
    assert (await client.post(url, headers=other.headers, json={"reason": "x"})).status_code == 404
    assert (await client.post(url, headers=alice.headers, json={"reason": "x"})).status_code == 403
    r = await client.post(url, headers=head.headers, json={"reason": ""})
    assert r.status_code == 400 and r.json()["code"] == "certificate.reason_required"
    r = await client.post(url, headers=head.headers, json={"reason": "证书信息有误"})
    assert r.status_code == 200 and r.json()["status"] == "revoked"
    r = await client.post(url, headers=head.headers, json={"reason": "again"})
    assert r.status_code == 409 and r.json()["code"] == "certificate.revoked"
    r = await client.get("/certificates/verify", params={"code": code.code})
    assert r.status_code == 409 and r.json()["code"] == "certificate.revoked"
    assert (await client.get("/certificates", headers=alice.headers)).json() == []
    inactive = (await client.get("/certificates", params={"include_inactive": True}, headers=alice.headers)).json()
    assert [c["status"] for c in inactive] == ["revoked"]
