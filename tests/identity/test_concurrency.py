"""Races that must have one winner (row locks and unique constraints really bite on PostgreSQL;
the store's take-once is atomic in Redis and in memory)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from stdnum.cn import ric

from core.identity import proxies
from core.identity.authority import add_population_record
from core.identity.login import login_with_phone
from core.identity.models import Account, ProxyGrant
from tests.support.auth import make_citizen


async def test_one_sms_code_one_login(client, phone):
    await client.post("/identity/sms/send", json={"phone": "13600136001"})
    code = await phone.last_code("13600136001")
    responses = await asyncio.gather(
        *[
            client.post("/identity/login/sms", json={"phone": "13600136001", "code": code})
            for _ in range(8)
        ]
    )
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] + [400] * 7
    assert {r.json()["code"] for r in responses if r.status_code == 400} <= {
        "identity.sms_code_used",
        "identity.sms_code_expired",
    }
    assert await Account.all().count() == 1


async def test_concurrent_first_logins_make_one_account(database):
    results = await asyncio.gather(*[login_with_phone("13600136002") for _ in range(6)])
    assert len({account.id for account, _pair, _created in results}) == 1
    assert sum(created for _a, _p, created in results) == 1
    assert await Account.all().count() == 1


async def test_one_id_number_wins_a_race(client):
    number = "43028119900101777" + ric.calc_check_digit("430281199001017770")
    await add_population_record("孙七", number)
    people = [await make_citizen(level=1) for _ in range(4)]
    responses = await asyncio.gather(
        *[
            client.post(
                "/identity/verify/id", json={"name": "孙七", "id_number": number}, headers=p.headers
            )
            for p in people
        ]
    )
    assert sorted(r.status_code for r in responses) == [200, 409, 409, 409]
    assert await Account.filter(level=2).count() == 1


async def test_grant_limit_holds_under_concurrency(database):
    grantor = await make_citizen()
    grantees = [await make_citizen() for _ in range(12)]
    until = datetime.now(UTC) + timedelta(days=5)

    async def attempt(grantee):
        try:
            await proxies.create_grant(
                grantor.principal, grantee_account_id=grantee.account_id, expires_at=until
            )
            return "ok"
        except Exception as exc:  # the refused ones carry a stable code
            return exc.code

    outcomes = await asyncio.gather(*[attempt(g) for g in grantees])
    assert outcomes.count("ok") == proxies.MAX_ACTIVE_GRANTS
    assert set(outcomes) == {"ok", "identity.proxy_limit_reached"}
    assert (
        await ProxyGrant.filter(grantor_id=grantor.account_id).count() == proxies.MAX_ACTIVE_GRANTS
    )
