"""The certificate API plugins and the case engine call: issue, reissue, revoke, use instead of an upload."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from core.certificates import api, registry
from core.certificates.identifier import parse
from core.certificates.models import Certificate, CertificateStatus
from core.errors import AppError
from core.messages.models import Message
from core.plugins.host import PluginError
from tests.certificates.demo_plugin import ISSUER, MARRIAGE, PROPERTY
from tests.support.auth import make_citizen


@pytest.fixture
async def holder(app) -> int:
    return (await make_citizen()).account_id

DATA = {"holder_name": "张三丰", "id_number": "430202199001011234", "location": "天元区长江北路 1 号 3 栋 201"}


async def test_issue_builds_a_valid_identifier_and_encrypts_the_content(holder, cert_types):
    cert = await api.issue(PROPERTY, holder, DATA, case_id=7)
    ident = parse(cert.identifier)
    assert (ident.type_code, ident.issuer_credit_code, ident.version) == (PROPERTY, ISSUER, 1)
    assert cert.identifier.endswith(f".001.{ident.check}")
    assert "张三丰" not in cert.data_enc and "430202" not in cert.data_enc
    assert api.content(cert) == DATA
    shown = api.view(cert)
    values = {f["name"]: f["value"] for f in shown["fields"]}
    assert values["holder_name"] != "张三丰" and values["holder_name"].startswith("张")
    assert "1234" not in values["id_number"] or "*" in values["id_number"]
    assert values["location"] == DATA["location"]
    assert shown["status"] == "valid" and shown["type_name"] == "不动产权证书"
    # The holder got a message.
    assert await Message.filter(account_id=holder, kind="certificate.issued").count() == 1


async def test_issue_is_idempotent_per_case_and_type(holder, cert_types):
    first = await api.issue(PROPERTY, holder, DATA, case_id=8)
    again = await api.issue(PROPERTY, holder, DATA, case_id=8)
    assert again.id == first.id
    assert await Certificate.filter(case_id=8).count() == 1
    # A second issuer of the same result with other data (the platform's generic listener after
    # the plugin issued it) gets the certificate, not a data error.
    assert (await api.issue(PROPERTY, holder, {"unrelated": "case data"}, case_id=8)).id == first.id


async def test_bad_content_lists_every_field_at_once(holder, cert_types):
    with pytest.raises(AppError) as exc:
        await api.issue(PROPERTY, holder, {"holder_name": " ", "color": "red", "area": {"x": 1}})
    assert exc.value.code == "certificate.data_invalid"
    problems = {(p["field"], p["error"]) for p in exc.value.details["fields"]}
    assert problems == {("holder_name", "required"), ("id_number", "required"), ("location", "required"),
                        ("color", "unknown"), ("area", "invalid")}
    assert await Certificate.all().count() == 0
    with pytest.raises(AppError) as unknown:
        await api.issue("NOSUCHTYPE", holder, DATA)
    assert unknown.value.code == "certificate.type_unknown"
    with pytest.raises(AppError) as nobody:
        await api.issue(PROPERTY, 987654321, DATA)
    assert nobody.value.code == "certificate.holder_unknown"


async def test_reissue_makes_the_old_version_stale(holder, cert_types):
    old = await api.issue(PROPERTY, holder, DATA)
    new = await api.reissue(old.id, {"area": "89.5"})
    assert parse(new.identifier).version == 2 and new.serial == old.serial
    assert parse(new.identifier).check != parse(old.identifier).check or new.identifier != old.identifier
    await old.refresh_from_db()
    assert old.status == CertificateStatus.SUPERSEDED and old.superseded_by_id == new.id
    assert api.content(new)["area"] == "89.5"
    with pytest.raises(AppError) as stale:
        await api.use_for_material(holder_account_id=holder, identifier=old.identifier,
                                   accepted_type_codes=[PROPERTY], case_ref="C1", material_code="m1")
    assert stale.value.code == "certificate.stale"
    with pytest.raises(AppError) as again:
        await api.reissue(old.id, {})
    assert again.value.code == "certificate.stale"
    assert [c.id for c in await api.wallet(holder)] == [new.id]


async def test_revoked_and_expired_certificates_are_refused(holder, cert_types):
    cert = await api.issue(PROPERTY, holder, DATA)
    with pytest.raises(AppError) as no_reason:
        await api.revoke(cert.id, "  ")
    assert no_reason.value.code == "certificate.reason_required"
    await api.revoke(cert.id, "登记错误，依法注销")
    with pytest.raises(AppError) as twice:
        await api.revoke(cert.id, "again")
    assert twice.value.code == "certificate.revoked"
    with pytest.raises(AppError) as used:
        await api.use_for_material(holder_account_id=holder, identifier=cert.identifier,
                                   accepted_type_codes=[PROPERTY], case_ref="C2", material_code="m1")
    assert used.value.code == "certificate.revoked"
    assert await Message.filter(account_id=holder, kind="certificate.revoked").count() == 1

    short = await api.issue(MARRIAGE, holder, {"holder_name": "张三丰"})
    assert short.valid_until - short.valid_from == timedelta(days=30)
    await Certificate.filter(id=short.id).update(valid_until=datetime.now(UTC) - timedelta(seconds=1))
    short = await Certificate.get(id=short.id)
    with pytest.raises(AppError) as expired:
        api.ensure_usable(short)
    assert expired.value.code == "certificate.expired"
    assert api.view(short)["status"] == "expired"
    assert await api.current_for_types(holder, [MARRIAGE, PROPERTY]) == {}


async def test_a_certificate_replaces_a_material_upload(holder, cert_types):
    cert = await api.issue(PROPERTY, holder, DATA)
    found = await api.current_for_types(holder, [PROPERTY, MARRIAGE])
    assert list(found) == [PROPERTY] and found[PROPERTY].id == cert.id
    with pytest.raises(AppError) as mismatch:
        await api.use_for_material(holder_account_id=holder, identifier=cert.identifier,
                                   accepted_type_codes=[MARRIAGE], case_ref="C3", material_code="m1")
    assert mismatch.value.code == "certificate.type_mismatch"
    stranger = (await make_citizen()).account_id
    with pytest.raises(AppError) as other:
        await api.use_for_material(holder_account_id=stranger, identifier=cert.identifier,
                                   accepted_type_codes=[PROPERTY], case_ref="C3", material_code="m1")
    assert other.value.code == "not_found"
    use = await api.use_for_material(holder_account_id=holder, identifier=cert.identifier.lower(),
                                     accepted_type_codes=[PROPERTY], case_ref="C3", material_code="m1")
    assert use.certificate_id == cert.id
    with pytest.raises(AppError) as dup:
        await api.use_for_material(holder_account_id=holder, identifier=cert.identifier,
                                   accepted_type_codes=[PROPERTY], case_ref="C3", material_code="m1")
    assert dup.value.code == "certificate.material_already_provided"
    assert [u.certificate.identifier for u in await api.uses_for_case("C3")] == [cert.identifier]


def test_two_plugins_claiming_one_type_code_is_an_error_naming_both(host, cert_types):
    import types

    from tests.certificates import demo_plugin

    twin = types.ModuleType("twin_certs")
    twin.ZHUSHIDA_CONTRACT = "1"
    twin.zhushida_certificate_types = demo_plugin.zhushida_certificate_types
    host.register_module("twin_certs", twin)
    try:
        with pytest.raises(PluginError, match="is already declared by plugin") as clash:
            registry.load(host)
        assert "demo_certs" in str(clash.value) and "twin_certs" in str(clash.value)
    finally:
        host.pm.unregister(name="twin_certs")
        host.records.pop("twin_certs", None)
        registry.reset()


def test_declarations_are_checked():
    from core.hooks import CertificateField, CertificateType

    bad = CertificateType("x-1", "名", "n", "11430000006122244X", "机关", [CertificateField("Bad Name", "字段")],
                          public_fields=["nope"], validity_days=0)
    problems = " | ".join(bad.problems())
    for fragment in ("type code", "issuer credit code", "lower_snake_case", "public_fields", "validity_days"):
        assert fragment in problems


async def test_a_certificate_of_an_undeclared_type_still_shows_masked(holder, cert_types):
    cert = await api.issue(PROPERTY, holder, DATA)
    registry.types().pop(PROPERTY)  # its plugin was switched off
    shown = api.view(cert)
    assert shown["type_name"] == PROPERTY and shown["status"] == "valid"
    values = {f["name"]: f["value"] for f in shown["fields"]}
    assert set(values) == set(DATA) and all("*" in v for v in values.values())
