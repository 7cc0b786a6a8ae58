"""A relative acting under a grant scoped to one service (亲友代办) may view that service's case and
choose its delivery, and nothing of another service — whichever code form named the service."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from core.identity import proxies, sessions
from core.identity.models import ProxyGrant
from tests.delivery.helpers import citizen_with_address, enable, submit
from tests.delivery.items_plugin import CITIZEN_PAYS, DEPARTMENT_PAYS, ITEMS
from tests.support.auth import Actor, make_citizen

pytestmark = pytest.mark.usefixtures("app", "items", "platform_url")

BASIC = {item.implementation_code: item.basic_code for item in ITEMS}
COVERED_BASIC = BASIC[DEPARTMENT_PAYS]


async def act_under(grantor: Actor, grantee: Actor, scope: list[str], stored_scope: list[str] | None = None) -> Actor:
    grant = await proxies.create_grant(grantor.principal, grantee_account_id=grantee.account_id, scope=scope,
                                       expires_at=datetime.now(UTC) + timedelta(days=30), relation="parent")
    if stored_scope is not None:  # a grant written before scopes were normalised
        await ProxyGrant.filter(id=grant.id).update(scope=stored_scope)
    await proxies.accept(grant.id, grantee.principal)
    tokens = await proxies.act_for(grant.id, grantee.principal)
    principal = await sessions.resolve_access_token(tokens.access_token)
    return Actor(principal, tokens, grantee.name, grantee.phone, grantee.id_number)


@pytest.mark.parametrize("granted, stored", [
    ([COVERED_BASIC], None),                  # the basic code, as scopes hold it
    ([DEPARTMENT_PAYS], None),                # the implementation code, normalised when granted
    ([COVERED_BASIC], [DEPARTMENT_PAYS]),     # an implementation code already in the database
], ids=["basic", "implementation", "stored-implementation"])
async def test_a_scoped_relative_acts_for_that_service_only(client, sandbox, granted, stored):
    await enable(DEPARTMENT_PAYS)
    await enable(CITIZEN_PAYS)
    parent, address_id = await citizen_with_address(client)
    child = await make_citizen()
    acting = await act_under(parent, child, granted, stored)
    if stored is None:
        assert (await ProxyGrant.get(id=acting.principal.proxy_grant_id)).scope == [COVERED_BASIC]
    covered = await submit(parent, DEPARTMENT_PAYS, result="courier")
    other = await submit(parent, CITIZEN_PAYS, result="courier")

    assert (await client.get(f"/cases/{covered}", headers=acting.headers)).status_code == 200
    listed = (await client.get("/cases", headers=acting.headers)).json()["cases"]
    assert [c["id"] for c in listed] == [covered]
    choice = {"kind": "result", "courier": "ems", "address_id": address_id}
    chosen = await client.post(f"/delivery/cases/{covered}/shipments", headers=acting.headers, json=choice)
    assert chosen.status_code == 201, chosen.text
    parcels = await client.get(f"/delivery/cases/{covered}/shipments", headers=acting.headers)
    assert parcels.status_code == 200 and len(parcels.json()) == 1

    refused_view = await client.get(f"/cases/{other}", headers=acting.headers)
    assert refused_view.status_code == 403 and refused_view.json()["code"] == "auth.forbidden"
    refused_choice = await client.post(f"/delivery/cases/{other}/shipments", headers=acting.headers, json=choice)
    assert refused_choice.status_code == 403 and refused_choice.json()["code"] == "auth.forbidden"
    assert refused_choice.json()["details"]["service_code"] == BASIC[CITIZEN_PAYS]
    # The parent themself is not limited by the grant.
    own = await client.post(f"/delivery/cases/{other}/shipments", headers=parent.headers, json=choice)
    assert own.status_code == 201, own.text
