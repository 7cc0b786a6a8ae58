"""The access matrix: every identity route against every kind of caller.

Each row names the callers that may succeed; every other caller must be refused with exactly the
status given as the row's default (403 when the role is wrong, 404 when the thing is outside the
caller's reach so that its existence does not leak, 401 when anonymous). Citizen A never reads
citizen B's anything; staff of one department never manage another's; an operator of 醴陵市 (430281)
never changes 攸县 (430223).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from stdnum.cn import uscc

from core.identity import proxies
from core.identity.enterprises import add_business_record, claim
from core.identity.seed import seed_departments, seed_zhuzhou_regions
from tests.support.auth import (
    Actor,
    grant_proxy,
    make_admin,
    make_citizen,
    make_operator,
    make_staff,
)

LILING, YOUXIAN, CITY = "430281000000", "430223000000", "430200000000"


@dataclass
class World:
    actors: dict[str, Actor | None]
    ids: dict[str, Any]


@pytest.fixture
async def world(database) -> World:
    await seed_zhuzhou_regions()
    await seed_departments()
    a = await make_citizen(name="甲", region_code="430281001000")
    b = await make_citizen(name="乙", region_code="430223001000")
    relative = await make_citizen(name="丙")
    d = await make_citizen(name="丁")
    proxy = await grant_proxy(a, relative)
    pending = await proxies.create_grant(
        a.principal,
        grantee_account_id=d.account_id,
        expires_at=datetime.now(UTC) + timedelta(days=10),
    )
    credit_code = "91430281MA4L7K2P3" + uscc.calc_check_digit("91430281MA4L7K2P30")
    await add_business_record(credit_code, "甲的公司", a.id_number)
    enterprise = await claim(a.principal, credit_code)
    actors: dict[str, Actor | None] = {
        "anon": None,
        "citizen_a": a,
        "citizen_b": b,
        "proxy_for_a": proxy,
        "grantee_d": d,
        "city_rsj_clerk": await make_staff(
            department_code="RSJ", roles=("clerk",), region_code=CITY
        ),
        "ll_dept_admin": await make_staff(
            department_code="LL-RSJ", roles=("dept_admin",), region_code=LILING
        ),
        "yx_dept_admin": await make_staff(
            department_code="YX-RSJ", roles=("dept_admin",), region_code=YOUXIAN
        ),
        "ll_operator": await make_operator(region_code=LILING),
        "yx_operator": await make_operator(region_code=YOUXIAN),
        "admin": await make_admin(),
    }
    ll_clerk = await make_staff(department_code="LL-RSJ", roles=("clerk",), region_code=LILING)
    return World(
        actors,
        {
            "a": a.account_id,
            "b": b.account_id,
            "pending": pending.id,
            "enterprise": enterprise.id,
            "ll_clerk": ll_clerk.account_id,
        },
    )


@dataclass
class Row:
    name: str
    method: str
    path: Callable[[World], str]
    allowed: dict[str, int]
    refused: int = 403
    body: Callable[[World, int], Any] | None = None
    overrides: dict[str, int] | None = None  # refused callers with a status other than ``refused``


EVERYONE_SIGNED_IN = [
    "citizen_a",
    "citizen_b",
    "proxy_for_a",
    "grantee_d",
    "city_rsj_clerk",
    "ll_dept_admin",
    "yx_dept_admin",
    "ll_operator",
    "yx_operator",
    "admin",
]
CITIZENS = ["citizen_a", "citizen_b", "proxy_for_a", "grantee_d"]
STAFF_SIDE = [
    "city_rsj_clerk",
    "ll_dept_admin",
    "yx_dept_admin",
    "ll_operator",
    "yx_operator",
    "admin",
]

ROWS = [
    Row("me", "GET", lambda w: "/identity/me", dict.fromkeys(EVERYONE_SIGNED_IN, 200)),
    Row(
        "own access log",
        "GET",
        lambda w: "/identity/access-log",
        {"citizen_a": 200, "citizen_b": 200, "grantee_d": 200},
    ),
    Row(
        "grantor profile while acting",
        "GET",
        lambda w: "/identity/acting/profile",
        {"proxy_for_a": 200},
        overrides={"citizen_a": 404, "citizen_b": 404, "grantee_d": 404},
    ),
    Row(
        "staff read of A (醴陵 resident)",
        "GET",
        lambda w: f"/identity/staff/citizens/{w.ids['a']}?purpose=办件受理",
        {"city_rsj_clerk": 200, "ll_dept_admin": 200, "ll_operator": 200, "admin": 200},
        overrides={"yx_dept_admin": 404, "yx_operator": 404},
    ),
    Row(
        "staff read of B (攸县 resident)",
        "GET",
        lambda w: f"/identity/staff/citizens/{w.ids['b']}?purpose=办件受理",
        {"city_rsj_clerk": 200, "yx_dept_admin": 200, "yx_operator": 200, "admin": 200},
        overrides={"ll_dept_admin": 404, "ll_operator": 404},
    ),
    Row(
        "rename a 攸县 township",
        "PATCH",
        lambda w: "/identity/regions/430223001000",
        {"yx_operator": 200, "admin": 200},
        body=lambda w, i: {"name": f"联星街道{i}"},
        overrides={"ll_operator": 404},
    ),
    Row(
        "rename a 醴陵 township",
        "PATCH",
        lambda w: "/identity/regions/430281001000",
        {"ll_operator": 200, "admin": 200},
        body=lambda w, i: {"name": f"来龙门街道{i}"},
        overrides={"yx_operator": 404},
    ),
    Row(
        "add a 醴陵 village",
        "POST",
        lambda w: "/identity/regions",
        {"ll_operator": 201, "admin": 201},
        body=lambda w, i: {"code": f"4302810010{i + 50:02d}", "name": "新村"},
        overrides={"yx_operator": 404},
    ),
    Row(
        "add a 攸县 village",
        "POST",
        lambda w: "/identity/regions",
        {"yx_operator": 201, "admin": 201},
        body=lambda w, i: {"code": f"4302230010{i + 50:02d}", "name": "新村"},
        overrides={"ll_operator": 404},
    ),
    Row(
        "change a 醴陵 clerk's roles",
        "PATCH",
        lambda w: f"/identity/admin/users/{w.ids['ll_clerk']}",
        {"ll_dept_admin": 200, "admin": 200},
        body=lambda w, i: {"roles": ["clerk", "reviewer"]},
        overrides={"yx_dept_admin": 404},
    ),
    Row(
        "list users",
        "GET",
        lambda w: "/identity/admin/users",
        {"ll_dept_admin": 200, "yx_dept_admin": 200, "admin": 200},
    ),
    Row(
        "create a department",
        "POST",
        lambda w: "/identity/admin/departments",
        {"admin": 201},
        body=lambda w, i: {"code": f"NEW{i}", "name": "新部门", "region_code": CITY},
    ),
    Row(
        "decline A's pending grant to D",
        "POST",
        lambda w: f"/identity/proxies/{w.ids['pending']}/decline",
        {"grantee_d": 200},
        overrides={"citizen_b": 404, "citizen_a": 404},
    ),
    Row(
        "A's enterprise agents",
        "GET",
        lambda w: f"/identity/enterprises/{w.ids['enterprise']}/agents",
        {"citizen_a": 200},
        overrides={"citizen_b": 404, "grantee_d": 404},
    ),
    Row(
        "my enterprises",
        "GET",
        lambda w: "/identity/enterprises",
        {"citizen_a": 200, "citizen_b": 200, "grantee_d": 200},
    ),
    Row("departments", "GET", lambda w: "/identity/departments", dict.fromkeys(STAFF_SIDE, 200)),
]


def expected(row: Row, actor: str) -> int:
    if actor in row.allowed:
        return row.allowed[actor]
    if actor == "anon":
        return 401
    return (row.overrides or {}).get(actor, row.refused)


@pytest.mark.parametrize("row", ROWS, ids=[r.name for r in ROWS])
async def test_access_matrix(client, world, row):
    results: dict[str, tuple[int, int]] = {}
    # Refused callers first, so that a state change by an allowed caller cannot mask a refusal.
    order = sorted(world.actors, key=lambda name: name in row.allowed)
    for i, name in enumerate(order):
        actor = world.actors[name]
        headers = actor.headers if actor else {}
        kwargs: dict[str, Any] = {"headers": headers}
        if row.body:
            kwargs["json"] = row.body(world, i)
        response = await client.request(row.method, row.path(world), **kwargs)
        results[name] = (response.status_code, expected(row, name))
        if response.status_code >= 400:
            assert set(response.json()) == {
                "code",
                "message",
                "message_en",
                "details",
                "request_id",
            }
    wrong = {name: got for name, got in results.items() if got[0] != got[1]}
    assert not wrong, f"{row.name}: (got, expected) {wrong}"


async def test_matrix_contents_are_scoped(client, world):
    """Where several callers may read a list, each sees only its own part of it."""
    ll = world.actors["ll_dept_admin"]
    users = (await client.get("/identity/admin/users", headers=ll.headers)).json()["items"]
    assert users and {u["department_id"] for u in users} == {ll.principal.department_id}
    assert all(u["region_code"].startswith("430281") for u in users)
    b = world.actors["citizen_b"]
    assert (await client.get("/identity/access-log", headers=b.headers)).json()["items"] == []
    assert (await client.get("/identity/enterprises", headers=b.headers)).json()["items"] == []
    assert (await client.get("/identity/proxies", headers=b.headers)).json()["items"] == []
    a = world.actors["citizen_a"]
    # A's log shows the staff reads the matrix made (none were made yet in this test).
    assert (await client.get("/identity/access-log", headers=a.headers)).json()["items"] == []
    me_b = (await client.get("/identity/me", headers=b.headers)).json()
    assert me_b["id"] == world.ids["b"] and a.id_number[-4:] not in str(me_b)
