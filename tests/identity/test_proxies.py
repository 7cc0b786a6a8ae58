"""Relatives' authorisation (亲友代办) through HTTP: grant, accept, act, scope, expiry, revoke by
either side, access log of the grantee's reads."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from core.auth import audit_actor, ensure_citizen_owns
from core.errors import AppError
from core.identity.models import GrantStatus, ProxyGrant
from tests.identity.conftest import bearer
from tests.support.auth import make_citizen


def later(days: float = 30) -> str:
    return (datetime.now(UTC) + timedelta(days=days)).isoformat()


async def grant(client, grantor, grantee, **extra):
    body = {"grantee_phone": grantee.phone, "expires_at": later(), "relation": "parent", **extra}
    return await client.post("/identity/proxies", json=body, headers=grantor.headers)


async def test_grant_accept_act_and_revoke(client):
    mother = await make_citizen(name="王芳")
    son = await make_citizen(name="李明")
    created = await grant(client, mother, son, scope=["SS-0001", "GJJ-0002"])
    assert created.status_code == 201, created.text
    g = created.json()
    assert g["status"] == "pending" and g["role"] == "grantor" and g["other"]["name"] == "李*"
    # Not accepted yet: cannot act.
    early = await client.post(f"/identity/proxies/{g['id']}/act", headers=son.headers)
    assert early.status_code == 409 and early.json()["code"] == "identity.proxy_grant_not_active"
    # The grantor cannot accept their own grant.
    assert (
        await client.post(f"/identity/proxies/{g['id']}/accept", headers=mother.headers)
    ).status_code == 404
    accepted = await client.post(f"/identity/proxies/{g['id']}/accept", headers=son.headers)
    assert accepted.status_code == 200 and accepted.json()["status"] == "active"
    tokens = (await client.post(f"/identity/proxies/{g['id']}/act", headers=son.headers)).json()
    acting = bearer(tokens["access_token"])
    me = (await client.get("/identity/me", headers=acting)).json()
    assert me["id"] == son.account_id and me["acting_for"] == mother.account_id
    assert me["proxy_scope"] == ["GJJ-0002", "SS-0001"]
    profile = await client.get("/identity/acting/profile", headers=acting)
    assert profile.status_code == 200 and profile.json()["account"]["id"] == mother.account_id
    assert profile.json()["account"]["name"] == "王*"
    # The mother sees that her son read her data, as a proxy.
    log = (await client.get("/identity/access-log", headers=mother.headers)).json()["items"]
    assert log[0]["reader_kind"] == "proxy" and log[0]["reader_id"] == str(son.account_id)
    assert log[0]["purpose"] == "亲友代办查看资料"
    # Either side revokes; the acting session dies at once.
    revoked = await client.post(f"/identity/proxies/{g['id']}/revoke", headers=mother.headers)
    assert revoked.status_code == 200 and revoked.json()["status"] == "revoked"
    assert (await client.get("/identity/me", headers=acting)).status_code == 401
    again = await client.post(f"/identity/proxies/{g['id']}/act", headers=son.headers)
    assert again.status_code == 409


async def test_grantee_can_revoke_and_decline(client):
    a, b = await make_citizen(), await make_citizen()
    g1 = (await grant(client, a, b)).json()
    assert (await client.post(f"/identity/proxies/{g1['id']}/decline", headers=b.headers)).json()[
        "status"
    ] == "declined"
    g2 = (await grant(client, a, b)).json()
    await client.post(f"/identity/proxies/{g2['id']}/accept", headers=b.headers)
    tokens = (await client.post(f"/identity/proxies/{g2['id']}/act", headers=b.headers)).json()
    assert (
        await client.post(f"/identity/proxies/{g2['id']}/revoke", headers=b.headers)
    ).status_code == 200
    assert (
        await client.get("/identity/me", headers=bearer(tokens["access_token"]))
    ).status_code == 401
    listed = (await client.get("/identity/proxies", headers=a.headers)).json()["items"]
    assert [i["status"] for i in listed] == ["revoked", "declined"]


async def test_scope_and_acting_records_both_people(client):
    a, b = await make_citizen(), await make_citizen()
    g = (await grant(client, a, b, scope=["SS-0001"])).json()
    await client.post(f"/identity/proxies/{g['id']}/accept", headers=b.headers)
    from core.identity.sessions import resolve_access_token

    tokens = (await client.post(f"/identity/proxies/{g['id']}/act", headers=b.headers)).json()
    principal = await resolve_access_token(tokens["access_token"])
    ensure_citizen_owns(principal, a.account_id, service_code="SS-0001")
    with pytest.raises(AppError) as outside:
        ensure_citizen_owns(principal, a.account_id, service_code="BDC-0001")
    assert outside.value.status == 403
    with pytest.raises(AppError):
        ensure_citizen_owns(
            principal, b.account_id
        )  # acting for a: b's own data is not the subject
    assert audit_actor(principal) == {
        "actor_kind": "citizen",
        "actor_id": b.account_id,
        "on_behalf_of": a.account_id,
    }
    # While acting, the grantee cannot change identity data or grant further proxies.
    acting = bearer(tokens["access_token"])
    assert (
        await client.post(
            "/identity/verify/id", json={"name": "张三", "id_number": "x"}, headers=acting
        )
    ).status_code == 403
    c = await make_citizen()
    assert (await grant(client, type("A", (), {"headers": acting})(), c)).status_code == 403


@pytest.mark.parametrize(
    ("extra", "status", "code"),
    [
        (
            {"expires_at": (datetime.now(UTC) - timedelta(minutes=1)).isoformat()},
            400,
            "identity.proxy_expiry_invalid",
        ),
        (
            {"expires_at": (datetime.now(UTC) + timedelta(days=4 * 365)).isoformat()},
            400,
            "identity.proxy_expiry_invalid",
        ),
        ({"scope": []}, 400, "identity.proxy_scope_invalid"),
        ({"scope": ["ok", "bad code!"]}, 400, "identity.proxy_scope_invalid"),
        ({"relation": "boss"}, 400, "request.invalid"),
        ({"grantee_phone": "13000000000"}, 404, "identity.proxy_grantee_unknown"),
        ({"grantee_phone": "123"}, 400, "identity.phone_invalid"),
    ],
)
async def test_bad_grants_write_nothing(client, extra, status, code):
    a, b = await make_citizen(), await make_citizen()
    r = await grant(client, a, b, **extra)
    assert r.status_code == status and r.json()["code"] == code, r.text
    assert await ProxyGrant.all().count() == 0


async def test_grant_rules(client):
    a, b = await make_citizen(), await make_citizen()
    assert (await grant(client, a, a)).json()["code"] == "identity.proxy_self"
    unverified = await make_citizen(level=1)
    assert (await grant(client, a, unverified)).json()["code"] == "identity.proxy_level_too_low"
    assert (await grant(client, a, b)).status_code == 201
    assert (await grant(client, a, b)).json()["code"] == "identity.proxy_grant_exists"
    for _ in range(7):
        assert (await grant(client, a, await make_citizen())).status_code == 201
    assert (await grant(client, a, await make_citizen())).json()[
        "code"
    ] == "identity.proxy_limit_reached"


async def test_expired_grant_is_refused_and_its_sessions_end(client, stores):
    a, b = await make_citizen(), await make_citizen()
    g = (await grant(client, a, b)).json()
    await client.post(f"/identity/proxies/{g['id']}/accept", headers=b.headers)
    tokens = (await client.post(f"/identity/proxies/{g['id']}/act", headers=b.headers)).json()
    # Time passes: the grant's end is now in the past (the store key expires with it).
    await ProxyGrant.filter(id=g["id"]).update(expires_at=datetime.now(UTC) - timedelta(seconds=1))
    await stores("identity.sessions").delete(f"g:{g['id']}")
    assert (
        await client.get("/identity/me", headers=bearer(tokens["access_token"]))
    ).status_code == 401
    late = await client.post(f"/identity/proxies/{g['id']}/act", headers=b.headers)
    assert late.status_code == 410 and late.json()["code"] == "identity.proxy_grant_expired"
    listed = (await client.get("/identity/proxies", headers=a.headers)).json()["items"]
    assert listed[0]["status"] == "expired"
    # A pending grant past its end cannot be accepted either.
    c = await make_citizen()
    g2 = (await grant(client, a, c)).json()
    await ProxyGrant.filter(id=g2["id"]).update(expires_at=datetime.now(UTC) - timedelta(seconds=1))
    refused = await client.post(f"/identity/proxies/{g2['id']}/accept", headers=c.headers)
    assert refused.status_code == 410 and refused.json()["code"] == "identity.proxy_grant_expired"
    assert (await ProxyGrant.get(id=g2["id"])).status == GrantStatus.PENDING


async def test_strangers_see_no_grant(client):
    a, b, stranger = await make_citizen(), await make_citizen(), await make_citizen()
    g = (await grant(client, a, b)).json()
    for action in ("accept", "decline", "revoke", "act"):
        r = await client.post(f"/identity/proxies/{g['id']}/{action}", headers=stranger.headers)
        assert r.status_code == 404 and r.json()["code"] == "identity.proxy_grant_not_found"
    assert (await client.get("/identity/proxies", headers=stranger.headers)).json()["items"] == []


async def test_grant_actions_are_audited_with_both_people(client):
    from core.models import AuditEvent

    a, b = await make_citizen(), await make_citizen()
    g = (await grant(client, a, b, scope=["SS-0001"])).json()
    await client.post(f"/identity/proxies/{g['id']}/accept", headers=b.headers)
    await client.post(f"/identity/proxies/{g['id']}/act", headers=b.headers)
    await client.post(f"/identity/proxies/{g['id']}/revoke", headers=a.headers)
    events = await AuditEvent.filter(target=f"proxy_grant:{g['id']}").order_by("id")
    assert [(e.actor, e.action) for e in events] == [
        (f"citizen:{a.account_id}", "identity.proxy_granted"),
        (f"citizen:{b.account_id}", "identity.proxy_accepted"),
        (f"citizen:{b.account_id}", "identity.proxy_session_opened"),
        (f"citizen:{a.account_id}", "identity.proxy_revoked"),
    ]
    assert events[0].details == {
        "grantor": a.account_id,
        "grantee": b.account_id,
        "scope": ["SS-0001"],
    }
    assert all(e.request_id for e in events)
