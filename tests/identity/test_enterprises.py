"""Legal persons by unified social credit code: claim by the registered legal representative,
agents (经办人) authorised and revoked by the enterprise."""

from __future__ import annotations

import pytest
from stdnum.cn import uscc

from core.identity.enterprises import add_business_record, role_in
from core.identity.models import Enterprise, EnterpriseAgent
from tests.support.auth import make_citizen


def credit_code(body17: str) -> str:
    return body17 + uscc.calc_check_digit(body17 + "0")


CODE = credit_code("91430281MA4L7K2P3")


@pytest.fixture
async def boss(database):
    owner = await make_citizen(name="周老板")
    await add_business_record(
        CODE, "醴陵市红官窑瓷业有限公司", owner.id_number, region_code="430281000000"
    )
    return owner


async def test_claim_and_agents(client, boss):
    claimed = await client.post(
        "/identity/enterprises", json={"uscc": CODE.lower()}, headers=boss.headers
    )
    assert claimed.status_code == 201, claimed.text
    enterprise = claimed.json()
    assert enterprise["name"] == "醴陵市红官窑瓷业有限公司" and enterprise["role"] == "legal_rep"
    again = await client.post("/identity/enterprises", json={"uscc": CODE}, headers=boss.headers)
    assert again.status_code == 409 and again.json()["code"] == "identity.enterprise_claimed"
    clerk = await make_citizen(name="吴会计")
    added = await client.post(
        f"/identity/enterprises/{enterprise['id']}/agents",
        json={"phone": clerk.phone, "name": "吴会计"},
        headers=boss.headers,
    )
    assert added.status_code == 201, added.text
    assert await role_in(clerk.account_id, enterprise["id"]) == "agent"
    assert await role_in(boss.account_id, enterprise["id"]) == "legal_rep"
    mine = (await client.get("/identity/enterprises", headers=clerk.headers)).json()["items"]
    assert mine[0]["role"] == "agent" and mine[0]["uscc"] == CODE
    dup = await client.post(
        f"/identity/enterprises/{enterprise['id']}/agents",
        json={"phone": clerk.phone, "name": "吴会计"},
        headers=boss.headers,
    )
    assert dup.status_code == 409 and dup.json()["code"] == "identity.agent_exists"
    # The agent cannot manage agents; only the legal representative can.
    assert (
        await client.get(f"/identity/enterprises/{enterprise['id']}/agents", headers=clerk.headers)
    ).status_code == 404
    agents = (
        await client.get(f"/identity/enterprises/{enterprise['id']}/agents", headers=boss.headers)
    ).json()["items"]
    assert agents[0]["name"] == "吴*计"
    revoked = await client.post(
        f"/identity/enterprises/{enterprise['id']}/agents/{added.json()['id']}/revoke",
        headers=boss.headers,
    )
    assert revoked.json()["active"] is False
    assert await role_in(clerk.account_id, enterprise["id"]) is None


@pytest.mark.parametrize(
    ("code", "status", "error"),
    [
        (CODE[:-1] + ("0" if CODE[-1] != "0" else "1"), 400, "identity.uscc_invalid"),
        ("91430281MA4L7K2P", 400, "identity.uscc_invalid"),
        ("91430281MA4L7K2PI0", 400, "identity.uscc_invalid"),
        (credit_code("91430281MA4L7K2P9"), 404, "identity.enterprise_not_registered"),
    ],
)
async def test_claim_refusals(client, boss, code, status, error):
    r = await client.post("/identity/enterprises", json={"uscc": code}, headers=boss.headers)
    assert r.status_code == status and r.json()["code"] == error, r.text
    assert await Enterprise.all().count() == 0


async def test_only_the_legal_representative_claims(client, boss):
    impostor = await make_citizen(name="钱某")
    r = await client.post("/identity/enterprises", json={"uscc": CODE}, headers=impostor.headers)
    assert r.status_code == 403 and r.json()["code"] == "identity.not_legal_representative"
    unverified = await make_citizen(level=1)
    r = await client.post("/identity/enterprises", json={"uscc": CODE}, headers=unverified.headers)
    assert r.json()["code"] == "identity.enterprise_level_too_low"


async def test_agent_must_be_verified_and_named_right(client, boss):
    e = (
        await client.post("/identity/enterprises", json={"uscc": CODE}, headers=boss.headers)
    ).json()
    clerk = await make_citizen(name="吴会计")
    low = await make_citizen(level=1)
    for body in (
        {"phone": clerk.phone, "name": "别人"},
        {"phone": low.phone, "name": "张三"},
        {"phone": "13000000001", "name": "无人"},
    ):
        r = await client.post(
            f"/identity/enterprises/{e['id']}/agents", json=body, headers=boss.headers
        )
        assert r.status_code == 422 and r.json()["code"] == "identity.agent_level_too_low"
    stranger = await make_citizen()
    r = await client.post(
        f"/identity/enterprises/{e['id']}/agents",
        json={"phone": clerk.phone, "name": "吴会计"},
        headers=stranger.headers,
    )
    assert r.status_code == 404
    assert await EnterpriseAgent.all().count() == 0


async def test_public_api_for_enterprises(client, boss):
    from core.identity import api as identity

    assert await identity.get_enterprise_by_uscc(CODE) is None  # not claimed yet
    e = (
        await client.post("/identity/enterprises", json={"uscc": CODE}, headers=boss.headers)
    ).json()
    info = await identity.get_enterprise_by_uscc(CODE.lower())
    assert info.id == e["id"] and info.legal_rep_account_id == boss.account_id
    assert await identity.enterprise_role(boss.account_id, e["id"]) == "legal_rep"
    stranger = await make_citizen()
    assert await identity.enterprise_role(stranger.account_id, e["id"]) is None
