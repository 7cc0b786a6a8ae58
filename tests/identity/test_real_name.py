"""Real-name levels through HTTP: L2 against the population register, L3 with the face sandbox,
and the errors that tell a person which step is missing. Nothing changes on a failed step."""

from __future__ import annotations

import pytest
from stdnum.cn import ric

from core.auth import requires
from core.identity.authority import add_population_record
from core.identity.models import Account
from tests.identity.conftest import bearer
from tests.support.auth import make_citizen


def valid_id(body17: str) -> str:
    return body17 + ric.calc_check_digit(body17 + "0")


ID_A = valid_id("43028119900101456")
ID_B = valid_id("43022319850505789")


@pytest.fixture
async def register(database):
    await add_population_record("张三", ID_A, region_code="430281000000")
    await add_population_record("李四", ID_B, region_code="430223000000")
    await add_population_record("赵故", valid_id("43028119910101999"), alive=False)


async def test_level_2_with_the_register(client, register):
    me = await make_citizen(level=1)
    r = await client.post(
        "/identity/verify/id", json={"name": "张三", "id_number": ID_A}, headers=me.headers
    )
    assert r.status_code == 200, r.text
    account = r.json()["account"]
    assert (
        account["level"] == 2
        and account["name"] == "张*"
        and account["id_number"] == ID_A[:3] + "*" * 11 + ID_A[-4:]
    )
    # The session now carries level 2 (no new login needed).
    assert (await client.get("/identity/me", headers=me.headers)).json()["account"]["level"] == 2
    # The account already had a home region: the register's household region does not override it.
    assert account["home_region_code"] == "430281000000"
    # Verifying again with the same data is harmless.
    again = await client.post(
        "/identity/verify/id", json={"name": "张三", "id_number": ID_A.lower()}, headers=me.headers
    )
    assert again.status_code == 200


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        (
            {"name": "张三", "id_number": ID_A[:-1] + ("0" if ID_A[-1] != "0" else "1")},
            400,
            "identity.id_number_invalid",
        ),
        ({"name": "张三", "id_number": "43028119901301123X"}, 400, "identity.id_number_invalid"),
        ({"name": "张三", "id_number": "4302811990010112"}, 400, "identity.id_number_invalid"),
        ({"name": "王五", "id_number": ID_A}, 422, "identity.name_mismatch"),
        (
            {"name": "张三", "id_number": valid_id("43028119920202111")},
            422,
            "identity.id_not_found",
        ),
        (
            {"name": "赵故", "id_number": valid_id("43028119910101999")},
            422,
            "identity.id_cancelled",
        ),
        ({"name": "x", "id_number": ID_A}, 400, "identity.name_invalid"),
    ],
)
async def test_level_2_refusals_change_nothing(client, register, body, status, code):
    me = await make_citizen(level=1)
    r = await client.post("/identity/verify/id", json=body, headers=me.headers)
    assert r.status_code == status and r.json()["code"] == code, r.text
    assert r.json()["message"] and r.json()["message_en"]
    row = await Account.get(id=me.account_id)
    assert row.level == 1 and row.id_number_hash is None and row.name_enc is None


async def test_one_id_number_one_account(client, register):
    first = await make_citizen(level=1)
    second = await make_citizen(level=1)
    assert (
        await client.post(
            "/identity/verify/id", json={"name": "张三", "id_number": ID_A}, headers=first.headers
        )
    ).status_code == 200
    taken = await client.post(
        "/identity/verify/id", json={"name": "张三", "id_number": ID_A}, headers=second.headers
    )
    assert taken.status_code == 409 and taken.json()["code"] == "identity.id_number_taken"
    other = await client.post(
        "/identity/verify/id", json={"name": "李四", "id_number": ID_B}, headers=first.headers
    )
    assert other.status_code == 409 and other.json()["code"] == "identity.id_already_verified"


async def test_level_2_needs_a_phone_and_attempts_are_limited(client, register):
    nobody = await make_citizen(level=0)
    r = await client.post(
        "/identity/verify/id", json={"name": "张三", "id_number": ID_A}, headers=nobody.headers
    )
    assert r.status_code == 403 and r.json()["code"] == "identity.phone_required"
    guesser = await make_citizen(level=1)
    codes = [
        (
            await client.post(
                "/identity/verify/id",
                json={"name": "王五", "id_number": ID_A},
                headers=guesser.headers,
            )
        ).json()["code"]
        for _ in range(6)
    ]
    assert (
        codes[:5] == ["identity.name_mismatch"] * 5
        and codes[5] == "identity.verification_attempts_exceeded"
    )


async def test_level_3_face(client, phone, register):
    me = await make_citizen(level=1)
    await client.post(
        "/identity/verify/id", json={"name": "张三", "id_number": ID_A}, headers=me.headers
    )
    certify = (await client.post("/identity/verify/face/start", headers=me.headers)).json()[
        "certify_id"
    ]
    pending = await client.post(
        "/identity/verify/face/finish", json={"certify_id": certify}, headers=me.headers
    )
    assert pending.status_code == 409 and pending.json()["code"] == "identity.face_pending"
    await phone.face(certify, "pass")
    done = await client.post(
        "/identity/verify/face/finish", json={"certify_id": certify}, headers=me.headers
    )
    assert done.status_code == 200, done.text
    assert done.json()["account"]["level"] == 3
    row = await Account.get(id=me.account_id)
    assert row.level == 3 and row.face_verified_at is not None
    # A certification works once.
    again = await client.post(
        "/identity/verify/face/finish", json={"certify_id": certify}, headers=me.headers
    )
    assert again.json()["code"] == "identity.face_certification_unknown"


async def test_level_3_failures(client, phone, register):
    me = await make_citizen(level=2)
    thief = await make_citizen(level=2)
    low = await make_citizen(level=1)
    r = await client.post("/identity/verify/face/start", headers=low.headers)
    assert r.status_code == 403 and r.json()["code"] == "identity.id_verification_required"
    certify = (await client.post("/identity/verify/face/start", headers=me.headers)).json()[
        "certify_id"
    ]
    await phone.face(certify, "pass")
    # Another person cannot use my passed certification.
    stolen = await client.post(
        "/identity/verify/face/finish", json={"certify_id": certify}, headers=thief.headers
    )
    assert stolen.status_code == 404 and (await Account.get(id=thief.account_id)).level == 2
    spoofed = (await client.post("/identity/verify/face/start", headers=me.headers)).json()[
        "certify_id"
    ]
    await phone.face(spoofed, "spoof")
    failed = await client.post(
        "/identity/verify/face/finish", json={"certify_id": spoofed}, headers=me.headers
    )
    assert failed.status_code == 422 and failed.json()["code"] == "identity.face_failed"
    assert (await Account.get(id=me.account_id)).level == 2
    # The first certification still belongs to me and still works.
    assert (
        await client.post(
            "/identity/verify/face/finish", json={"certify_id": certify}, headers=me.headers
        )
    ).status_code == 200


async def test_level_guard_names_the_missing_step(client):
    from litestar import get

    guard = requires("citizen", min_level=3)
    low = await make_citizen(level=2)

    class _Conn:
        scope = {"user": low.principal}

    async def handler() -> None: ...

    with pytest.raises(Exception) as refused:
        guard(_Conn(), get("/x")(handler))  # type: ignore[arg-type]
    assert refused.value.code == "identity.level_too_low"
    assert refused.value.details == {"required_level": 3, "current_level": 2}


async def test_login_after_level_change_sees_new_level(client, register):
    me = await make_citizen(level=1)
    await client.post(
        "/identity/verify/id", json={"name": "李四", "id_number": ID_B}, headers=me.headers
    )
    refreshed = await client.post(
        "/identity/token/refresh", json={"refresh_token": me.tokens.refresh_token}
    )
    me2 = await client.get("/identity/me", headers=bearer(refreshed.json()["access_token"]))
    assert me2.json()["account"]["level"] == 2


async def test_ensure_level_names_the_next_step(database):
    from core.errors import AppError
    from core.identity.api import ensure_level

    wechat_only = await make_citizen(level=0)
    with pytest.raises(AppError) as refused:
        ensure_level(wechat_only.principal, 2)
    assert refused.value.code == "identity.level_too_low"
    assert (
        refused.value.details["next_step"] == "verify_phone"
        and refused.value.details["required_level"] == 2
    )
    verified = await make_citizen(level=2)
    with pytest.raises(AppError) as face:
        ensure_level(verified.principal, 3)
    assert face.value.details["next_step"] == "verify_face"
    ensure_level(verified.principal, 2)
