"""Bearer tokens through HTTP: who am I, refresh (single use), logout, logout everywhere, and the
shared test helpers other areas rely on."""

from __future__ import annotations

import httpx

from core.identity import api as identity
from core.identity import sessions
from core.identity.models import Account
from tests.support.auth import grant_proxy, make_admin, make_citizen, make_operator, make_staff


def error_code(response: httpx.Response) -> str:
    return response.json()["code"]


async def test_me_shows_a_citizen_masked(client):
    alice = await make_citizen(name="张三丰")
    response = await client.get("/identity/me", headers=alice.headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["kind"] == "citizen" and body["id"] == alice.account_id
    account = body["account"]
    assert account["name"] == "张*丰"
    assert account["id_number"] == alice.id_number[:3] + "*" * 11 + alice.id_number[-4:]
    assert account["phone"] == alice.phone[:3] + "****" + alice.phone[-4:]
    assert alice.id_number not in response.text and alice.phone not in response.text
    assert account["level"] == 2 and account["home_region_code"] == "430281000000"


async def test_personal_data_is_encrypted_at_rest(database):
    alice = await make_citizen()
    row = await Account.get(id=alice.account_id)
    for column in (row.name_enc, row.phone_enc, row.id_number_enc):
        assert column and column.startswith("k1$")
    assert alice.id_number not in row.id_number_enc and alice.phone not in row.phone_enc
    assert len(row.id_number_hash) == 64


async def test_no_token_bad_token_and_unknown_scheme(client):
    assert error_code(await client.get("/identity/me")) == "auth.required"
    bad = await client.get("/identity/me", headers={"Authorization": "Bearer za.nope.nope"})
    assert bad.status_code == 401 and error_code(bad) == "auth.required"
    assert (
        await client.get("/identity/me", headers={"Authorization": "Basic abc"})
    ).status_code == 401


async def test_refresh_rotates_and_a_reused_refresh_token_is_stale(client):
    alice = await make_citizen()
    first = await client.post(
        "/identity/token/refresh", json={"refresh_token": alice.tokens.refresh_token}
    )
    assert first.status_code == 200, first.text
    pair = first.json()
    assert pair["access_token"] != alice.tokens.access_token
    # The old access token was replaced; the new one works.
    assert (await client.get("/identity/me", headers=alice.headers)).status_code == 401
    assert (
        await client.get(
            "/identity/me", headers={"Authorization": f"Bearer {pair['access_token']}"}
        )
    ).status_code == 200
    again = await client.post(
        "/identity/token/refresh", json={"refresh_token": alice.tokens.refresh_token}
    )
    assert again.status_code == 401 and error_code(again) == "identity.refresh_token_invalid"
    garbage = await client.post("/identity/token/refresh", json={"refresh_token": "zr.x.y"})
    assert error_code(garbage) == "identity.refresh_token_invalid"
    assert (await client.post("/identity/token/refresh", json={})).status_code == 400


async def test_logout_ends_only_this_session(client):
    alice = await make_citizen()
    other_device = await sessions.open_session(alice.principal)
    assert (await client.post("/identity/logout", headers=alice.headers)).status_code == 200
    assert (await client.get("/identity/me", headers=alice.headers)).status_code == 401
    refreshed = await client.post(
        "/identity/token/refresh", json={"refresh_token": alice.tokens.refresh_token}
    )
    assert refreshed.status_code == 401
    other = {"Authorization": f"Bearer {other_device.access_token}"}
    assert (await client.get("/identity/me", headers=other)).status_code == 200


async def test_logout_everywhere(client):
    alice = await make_citizen()
    bob = await make_citizen()
    second = await sessions.open_session(alice.principal)
    assert (await client.post("/identity/logout-all", headers=alice.headers)).status_code == 200
    for token in (alice.tokens.access_token, second.access_token):
        assert (
            await client.get("/identity/me", headers={"Authorization": f"Bearer {token}"})
        ).status_code == 401
    assert (
        await client.post("/identity/token/refresh", json={"refresh_token": second.refresh_token})
    ).status_code == 401
    assert (await client.get("/identity/me", headers=bob.headers)).status_code == 200
    # A new login after the cut works.
    fresh = await sessions.open_session(alice.principal)
    assert (
        await client.get("/identity/me", headers={"Authorization": f"Bearer {fresh.access_token}"})
    ).status_code == 200


async def test_staff_operator_admin_helpers(client):
    clerk = await make_staff(
        department_code="GJJ", roles=("clerk", "reviewer"), region_code="430281000000"
    )
    body = (await client.get("/identity/me", headers=clerk.headers)).json()
    assert body["kind"] == "staff"
    assert body["staff"]["department"]["code"] == "GJJ"
    assert body["staff"]["roles"] == ["clerk", "reviewer"]
    assert clerk.principal.department_id == body["staff"]["department"]["id"]
    assert clerk.principal.region_code == "430281000000"
    operator = await make_operator(region_code="430223000000")
    assert (
        operator.principal.kind == "operator" and operator.principal.region_code == "430223000000"
    )
    admin = await make_admin()
    assert (await client.get("/identity/me", headers=admin.headers)).json()["kind"] == "admin"
    assert (await identity.get_department("GJJ")).name == "株洲市住房公积金管理中心"
    # Helpers reuse what exists.
    again = await make_staff(department_code="GJJ")
    assert again.principal.department_id == clerk.principal.department_id


async def test_proxy_helper_acts_for_the_grantor(client):
    mother = await make_citizen(name="王芳")
    son = await make_citizen(name="李明")
    acting = await grant_proxy(mother, son, scope=["SS-001"])
    assert acting.principal.account_id == son.account_id
    assert acting.principal.acting_for == mother.account_id
    assert acting.principal.subject_id == mother.account_id
    assert acting.principal.proxy_scope == frozenset({"SS-001"})
    body = (await client.get("/identity/me", headers=acting.headers)).json()
    assert body["acting_for"] == mother.account_id and body["acting_for_account"]["name"] == "王*"


async def test_public_api_lookups(database):
    alice = await make_citizen(name="欧阳小明", region_code="430281001000")
    info = await identity.get_account(alice.account_id)
    assert info.name_masked == "欧**明" and info.level == 2
    assert (await identity.masked_display(alice.account_id))["id_number"].count("*") == 11
    assert await identity.get_account(999999) is None
    region = await identity.get_region("430281000000")
    assert (
        region.name == "醴陵市"
        and region.level == "county"
        and region.parent_code == "430200000000"
    )
    assert [r.name for r in await identity.region_path("430281001000")] == [
        "湖南省",
        "株洲市",
        "醴陵市",
        "来龙门街道",
    ]
    assert identity.is_region_within("430281001000", "430281000000")
    assert identity.is_region_within("430281001000", "430200000000")
    assert not identity.is_region_within("430223000000", "430281000000")
    assert await identity.find_account_by_id_number(alice.id_number) == alice.account_id
    assert identity.mask_id_number("43028119900101123X") == "430***********123X"


async def test_wechat_openid_lookup(database):
    alice = await make_citizen()
    await Account.filter(id=alice.account_id).update(wechat_openid="o_alice")
    assert await identity.wechat_openid(alice.account_id) == "o_alice"
    assert await identity.wechat_openid(10**9) is None
