"""Departments, staff users, password login and lockout, citizen look-ups in the access log,
region routes and the region import."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.identity.models import Department, Region, StaffUser
from core.identity.region_import import ImportRejected, import_regions
from core.identity.seed import ZHUZHOU_COUNTIES, seed_zhuzhou_regions
from tests.identity.conftest import bearer
from tests.support.auth import make_admin, make_citizen, make_operator, make_staff

PASSWORD = "correct-horse-42"


async def test_admin_builds_a_department_and_its_staff_log_in(client):
    admin = await make_admin()
    await seed_zhuzhou_regions()
    d = await client.post(
        "/identity/admin/departments",
        json={"code": "WJW", "name": "株洲市卫生健康委员会", "region_code": "430200000000"},
        headers=admin.headers,
    )
    assert d.status_code == 201, d.text
    dup = await client.post(
        "/identity/admin/departments",
        json={"code": "WJW", "name": "x", "region_code": "430200"},
        headers=admin.headers,
    )
    assert dup.status_code == 409 and dup.json()["code"] == "identity.department_exists"
    nowhere = await client.post(
        "/identity/admin/departments",
        json={"code": "ABC", "name": "x", "region_code": "999999"},
        headers=admin.headers,
    )
    assert nowhere.status_code == 404 and nowhere.json()["code"] == "identity.region_not_found"
    u = await client.post(
        "/identity/admin/users",
        json={
            "kind": "staff",
            "username": "wjw.admin",
            "name": "卫健管理员",
            "password": PASSWORD,
            "department_code": "WJW",
            "roles": ["dept_admin"],
            "region_code": "430200000000",
        },
        headers=admin.headers,
    )
    assert u.status_code == 201, u.text
    login = await client.post(
        "/identity/staff/login", json={"username": "wjw.admin", "password": PASSWORD}
    )
    assert login.status_code == 200 and login.json()["user"]["roles"] == ["dept_admin"]
    dept_admin = bearer(login.json()["access_token"])
    # The department admin adds a clerk for 醴陵市 in their own department...
    clerk = await client.post(
        "/identity/admin/users",
        json={
            "kind": "staff",
            "username": "wjw.ll.clerk",
            "name": "受理员",
            "password": PASSWORD,
            "department_code": "WJW",
            "roles": ["clerk"],
            "region_code": "430281000000",
        },
        headers=dept_admin,
    )
    assert clerk.status_code == 201, clerk.text
    # ...but not in another department, not an operator, not an admin.
    for body in (
        {"kind": "staff", "department_code": "RSJ", "roles": ["clerk"]},
        {"kind": "operator", "region_code": "430281000000"},
        {"kind": "admin"},
    ):
        await Department.get_or_create(
            code="RSJ", defaults={"name": "人社局", "region_code": "430200000000"}
        )
        r = await client.post(
            "/identity/admin/users",
            json={"username": "x.y.z", "name": "某", "password": PASSWORD, **body},
            headers=dept_admin,
        )
        assert r.status_code == 403, (body, r.text)
    listed = (await client.get("/identity/admin/users", headers=dept_admin)).json()["items"]
    assert sorted(u["username"] for u in listed) == ["wjw.admin", "wjw.ll.clerk"]


async def test_role_change_ends_the_users_sessions(client):
    admin = await make_admin()
    clerk = await make_staff(roles=("clerk",))
    r = await client.patch(
        f"/identity/admin/users/{clerk.account_id}",
        json={"roles": ["clerk", "reviewer"]},
        headers=admin.headers,
    )
    assert r.status_code == 200 and r.json()["roles"] == ["clerk", "reviewer"]
    assert (await client.get("/identity/me", headers=clerk.headers)).status_code == 401
    bad = await client.patch(
        f"/identity/admin/users/{clerk.account_id}", json={"roles": ["boss"]}, headers=admin.headers
    )
    assert bad.status_code == 400 and bad.json()["code"] == "identity.roles_invalid"
    assert (await StaffUser.get(id=clerk.account_id)).roles == ["clerk", "reviewer"]


async def test_bad_user_input(client):
    admin = await make_admin()
    await make_staff()  # creates RSJ and the regions
    base = {
        "kind": "staff",
        "username": "rsj.new",
        "name": "新人",
        "password": PASSWORD,
        "department_code": "RSJ",
        "roles": ["clerk"],
        "region_code": "430200000000",
    }
    cases = [
        ({"password": "short1"}, 400, "identity.password_weak"),
        ({"username": "Bad Name"}, 400, "identity.username_invalid"),
        ({"roles": []}, 400, "identity.roles_invalid"),
        ({"department_code": "NOPE"}, 404, "identity.department_not_found"),
        ({"region_code": "4302"}, 400, "identity.region_code_invalid"),
        ({"region_code": "430299000000"}, 404, "identity.region_not_found"),
    ]
    for change, status, code in cases:
        r = await client.post(
            "/identity/admin/users", json={**base, **change}, headers=admin.headers
        )
        assert r.status_code == status and r.json()["code"] == code, (change, r.text)
    assert not await StaffUser.exists(username="rsj.new")


async def test_password_lockout(client):
    admin = await make_admin()
    await make_operator()
    await client.post(
        "/identity/admin/users",
        json={
            "kind": "operator",
            "username": "op.one",
            "name": "运营",
            "password": PASSWORD,
            "region_code": "430200000000",
        },
        headers=admin.headers,
    )
    for _ in range(4):
        r = await client.post(
            "/identity/staff/login", json={"username": "op.one", "password": "wrong-password-1"}
        )
        assert r.status_code == 401 and r.json()["code"] == "identity.staff_login_failed"
    locked = await client.post(
        "/identity/staff/login", json={"username": "op.one", "password": "wrong-password-1"}
    )
    assert locked.status_code == 429 and locked.json()["code"] == "identity.staff_locked"
    right = await client.post(
        "/identity/staff/login", json={"username": "op.one", "password": PASSWORD}
    )
    assert right.status_code == 429
    unknown = await client.post(
        "/identity/staff/login", json={"username": "nobody", "password": PASSWORD}
    )
    assert unknown.status_code == 401 and unknown.json()["code"] == "identity.staff_login_failed"


async def test_staff_lookups_are_logged_for_the_citizen(client):
    citizen = await make_citizen(region_code="430281000000")
    liling = await make_staff(
        department_code="LL-RSJ", region_code="430281000000", name="醴陵受理员"
    )
    youxian = await make_staff(department_code="YX-RSJ", region_code="430223000000")
    no_purpose = await client.get(
        f"/identity/staff/citizens/{citizen.account_id}", headers=liling.headers
    )
    assert (
        no_purpose.status_code == 400 and no_purpose.json()["code"] == "identity.purpose_required"
    )
    seen = await client.get(
        f"/identity/staff/citizens/{citizen.account_id}",
        params={"purpose": "受理社保卡申领"},
        headers=liling.headers,
    )
    assert seen.status_code == 200 and seen.json()["account"]["id_number"].count("*") == 11
    found = await client.post(
        "/identity/staff/citizens/lookup",
        json={"id_number": citizen.id_number, "purpose": "窗口核验身份"},
        headers=liling.headers,
    )
    assert found.json()["account"]["id"] == citizen.account_id
    # Staff of 攸县 cannot see a 醴陵 resident.
    far = await client.get(
        f"/identity/staff/citizens/{citizen.account_id}",
        params={"purpose": "查看"},
        headers=youxian.headers,
    )
    assert far.status_code == 404
    log = (await client.get("/identity/access-log", headers=citizen.headers)).json()["items"]
    assert [(e["reader_kind"], e["purpose"], e["reader_name"]) for e in log] == [
        ("staff", "窗口核验身份", "醴陵受理员"),
        ("staff", "受理社保卡申领", "醴陵受理员"),
    ]
    assert log[0]["department_id"] == liling.principal.department_id
    # Reading my own data does not log; another citizen cannot see my log.
    other = await make_citizen()
    assert (await client.get("/identity/access-log", headers=other.headers)).json()["items"] == []
    assert (await client.get("/identity/access-log", headers=liling.headers)).status_code == 403


async def test_plugin_reads_are_logged(database):
    from core.identity import api as identity
    from core.identity.access_log import list_for

    citizen = await make_citizen()
    data = await identity.read_personal_data(
        citizen.account_id,
        reader="plugin:social_security",
        purpose="社保参保预填",
        fields=("name", "id_number"),
    )
    assert data.id_number == citizen.id_number and data.name == "张三" and data.phone is None
    own = await identity.read_personal_data(
        citizen.account_id, reader=citizen.principal, purpose="本人查看"
    )
    assert own.phone == citizen.phone
    log = await list_for(citizen.account_id)
    assert (
        len(log) == 1
        and log[0]["reader_kind"] == "plugin"
        and log[0]["reader_id"] == "social_security"
    )
    assert log[0]["fields"] == ["id_number", "name"]


async def test_region_routes(client):
    await seed_zhuzhou_regions()
    r = await client.get("/identity/regions/430281")
    assert r.status_code == 200 and r.json()["name"] == "醴陵市"
    assert [p["name"] for p in r.json()["path"]] == ["湖南省", "株洲市", "醴陵市"]
    children = (await client.get("/identity/regions/430200000000/children")).json()["items"]
    assert [(c["code"][:6], c["name"]) for c in children] == [
        (code[:6], name) for code, name in ZHUZHOU_COUNTIES
    ]
    missing = await client.get("/identity/regions/430299000000")
    assert missing.status_code == 404 and missing.json()["code"] == "identity.region_not_found"
    assert (await client.get("/identity/regions/43x")).json()[
        "code"
    ] == "identity.region_code_invalid"
    citizen = await make_citizen()
    moved = await client.put(
        "/identity/me/home-region", json={"region_code": "430223001000"}, headers=citizen.headers
    )
    assert (
        moved.status_code == 200 and moved.json()["account"]["home_region_code"] == "430223001000"
    )
    nowhere = await client.put(
        "/identity/me/home-region", json={"region_code": "430223999000"}, headers=citizen.headers
    )
    assert nowhere.status_code == 404 and nowhere.json()["code"] == "identity.region_not_found"
    assert (await client.get("/identity/me", headers=citizen.headers)).json()["account"][
        "home_region_code"
    ] == "430223001000"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "regions.csv"
    path.write_text(text, encoding="utf-8")
    return path


async def test_region_import_all_or_nothing(database, tmp_path):
    await seed_zhuzhou_regions(samples=False)
    ticks = []
    good = write(
        tmp_path,
        "统计用区划代码,名称\n430281005000,长庆街道\n430281005201,新阳村\n430281000000,醴陵市\n430223104,皇图岭镇\n",
    )
    result = await import_regions(good, progress=ticks.append)
    assert (result.rows, result.created, result.unchanged) == (4, 3, 1) and len(ticks) == 4
    assert (await Region.get(code="430281005201")).parent_code == "430281005000"
    assert (await Region.get(code="430223104000")).level.value == "township"
    renamed = await import_regions(write(tmp_path, "code,name\n430281005000,长庆示范区街道\n"))
    assert renamed.renamed == 1 and (await Region.get(code="430281005000")).name == "长庆示范区街道"
    before = await Region.all().count()
    for text, fragment in [
        ("code,name\n430281006000,好\n43028100x000,坏\n", "not 6, 9 or 12 digits"),
        ("code,name\n430281006000,好\n430281006000,重复\n", "appears twice"),
        (
            "code,name\n430281006000,好\n439901001000,孤\n",
            "neither in the file nor in the database",
        ),
        ("code,name,parent_code\n430281006001,村,430223000000\n", "does not match"),
        ("名字,代码\n", "header needs"),
        ("", "empty"),
    ]:
        with pytest.raises(ImportRejected) as rejected:
            await import_regions(write(tmp_path, text))
        assert fragment in str(rejected.value)
    assert await Region.all().count() == before


async def test_one_address_cannot_guess_across_usernames(client):
    from core.identity.staff import MAX_FAILURES_PER_ADDRESS

    statuses = [
        (
            await client.post(
                "/identity/staff/login", json={"username": f"user{n}", "password": "guess-123456"}
            )
        ).status_code
        for n in range(MAX_FAILURES_PER_ADDRESS + 1)
    ]
    assert (
        statuses[:MAX_FAILURES_PER_ADDRESS] == [401] * MAX_FAILURES_PER_ADDRESS
        and statuses[-1] == 429
    )
