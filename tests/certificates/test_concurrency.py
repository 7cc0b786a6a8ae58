"""Races on one certificate have one winner: two revocations, two new versions."""

from __future__ import annotations

import asyncio

from core.certificates import api
from core.certificates.models import Certificate
from tests.certificates.demo_plugin import PROPERTY
from tests.support.auth import make_citizen

DATA = {"holder_name": "张三丰", "id_number": "430202199001011234", "location": "天元区 1 号"}


def _codes(results) -> list[str]:
    return sorted("ok" if not isinstance(r, Exception) else r.code for r in results)


async def test_two_revocations_revoke_once(database, cert_types):
    cert = await api.issue(PROPERTY, (await make_citizen()).account_id, DATA, notify=False)
    results = await asyncio.gather(api.revoke(cert.id, "a", notify=False), api.revoke(cert.id, "b", notify=False),
                                   return_exceptions=True)
    assert _codes(results) == ["certificate.revoked", "ok"]


async def test_two_reissues_make_one_new_version(database, cert_types):
    cert = await api.issue(PROPERTY, (await make_citizen()).account_id, DATA, notify=False)
    results = await asyncio.gather(api.reissue(cert.id, {"area": "1"}, notify=False),
                                   api.reissue(cert.id, {"area": "2"}, notify=False), return_exceptions=True)
    assert _codes(results) == ["certificate.stale", "ok"]
    assert await Certificate.filter(serial=cert.serial).count() == 2
    assert await Certificate.filter(serial=cert.serial, status="valid").count() == 1
