"""Both login paths through HTTP: phone + SMS code (expiry, single use, rate limits, lockout) and
the mini-program (real wechatpy client against the sandbox), plus phone linking and merging."""

from __future__ import annotations

import json
import time

from core.identity.models import Account, AccountStatus
from core.stores import get_stores
from tests.identity.conftest import bearer, sms_login
from tests.support.auth import make_citizen


async def test_sms_login_creates_then_finds_one_account(client, phone):
    first = await sms_login(client, phone, "13800138001")
    assert first["created"] is True and first["account"]["level"] == 1
    assert first["account"]["phone"] == "138****8001"
    outbox = await phone.outbox("13800138001")
    assert "【诸事达】您的登录验证码为" in outbox[-1]["text"]
    me = await client.get("/identity/me", headers=bearer(first["access_token"]))
    assert me.status_code == 200 and me.json()["channel"] == "app"
    # A minute later the same phone logs in again: same account, not a new one.
    await get_stores()("identity.sms").reset("minute:login:13800138001")
    second = await sms_login(client, phone, "13800138001")
    assert second["created"] is False and second["account"]["id"] == first["account"]["id"]
    assert await Account.all().count() == 1


async def test_code_is_single_use(client, phone):
    await client.post("/identity/sms/send", json={"phone": "13800138002"})
    code = await phone.last_code("13800138002")
    ok = await client.post("/identity/login/sms", json={"phone": "13800138002", "code": code})
    assert ok.status_code == 200
    reused = await client.post("/identity/login/sms", json={"phone": "13800138002", "code": code})
    assert reused.status_code == 400 and reused.json()["code"] == "identity.sms_code_used"


async def test_expired_code_is_refused(client, phone):
    await client.post("/identity/sms/send", json={"phone": "13800138003"})
    code = await phone.last_code("13800138003")
    store = get_stores()("identity.sms")
    entry = json.loads(await store.get("code:login:13800138003"))
    entry["until"] = time.time() - 1  # the 5 minutes have passed
    await store.set("code:login:13800138003", json.dumps(entry), expires_in=60)
    late = await client.post("/identity/login/sms", json={"phone": "13800138003", "code": code})
    assert late.status_code == 400 and late.json()["code"] == "identity.sms_code_expired"
    never = await client.post(
        "/identity/login/sms", json={"phone": "13800138009", "code": "123456"}
    )
    assert never.json()["code"] == "identity.sms_code_expired"
    assert await Account.all().count() == 0


async def test_wrong_codes_lock_the_phone(client, phone):
    await client.post("/identity/sms/send", json={"phone": "13800138004"})
    code = await phone.last_code("13800138004")
    wrong = "000000" if code != "000000" else "111111"
    for left in (4, 3, 2, 1):
        r = await client.post("/identity/login/sms", json={"phone": "13800138004", "code": wrong})
        assert r.status_code == 400 and r.json()["code"] == "identity.sms_code_wrong"
        assert r.json()["details"]["attempts_left"] == left
    locked = await client.post("/identity/login/sms", json={"phone": "13800138004", "code": wrong})
    assert locked.status_code == 429 and locked.json()["code"] == "identity.sms_locked"
    assert int(locked.headers["retry-after"]) > 0
    # Locked: even the right code and a new code are refused.
    assert (
        await client.post("/identity/login/sms", json={"phone": "13800138004", "code": code})
    ).status_code == 429
    assert (await client.post("/identity/sms/send", json={"phone": "13800138004"})).json()[
        "code"
    ] == "identity.sms_locked"
    assert await Account.all().count() == 0


async def test_a_wrong_guess_leaves_the_right_code_usable(client, phone):
    await client.post("/identity/sms/send", json={"phone": "13800138005"})
    code = await phone.last_code("13800138005")
    wrong = "000000" if code != "000000" else "111111"
    assert (
        await client.post("/identity/login/sms", json={"phone": "13800138005", "code": wrong})
    ).status_code == 400
    assert (
        await client.post("/identity/login/sms", json={"phone": "13800138005", "code": code})
    ).status_code == 200


async def test_rate_limits_per_phone_and_per_address(client, phone):
    assert (
        await client.post("/identity/sms/send", json={"phone": "13800138006"})
    ).status_code == 200
    again = await client.post("/identity/sms/send", json={"phone": "13800138006"})
    assert again.status_code == 429 and again.json()["details"]["limit"] == "phone_minute"
    assert len(await phone.outbox("13800138006")) == 1
    # One address asking for many phones is stopped too: 20 requests an hour, refused ones included.
    statuses = [
        (await client.post("/identity/sms/send", json={"phone": f"1370000{n:04d}"})).status_code
        for n in range(25)
    ]
    assert statuses.count(200) == 18 and statuses[-1] == 429


async def test_bad_phone_numbers(client, phone):
    for bad in ("12345", "23800138000", "1380013800a", ""):
        r = await client.post("/identity/sms/send", json={"phone": bad})
        assert r.status_code == 400 and r.json()["code"] == "identity.phone_invalid", bad
    assert (
        await client.post("/identity/sms/send", json={"phone": "13800138000", "purpose": "spam"})
    ).status_code == 400


async def test_wechat_login_with_the_real_client(client, phone):
    wx = await phone.wx_login("wx-user-1")
    first = await client.post("/identity/login/wechat", json={"code": wx["code"]})
    assert first.status_code == 200, first.text
    body = first.json()
    assert (
        body["created"] is True and body["account"]["level"] == 0 and body["account"]["has_wechat"]
    )
    account = await Account.get(id=body["account"]["id"])
    assert account.wechat_openid == wx["openid"] and account.wechat_unionid == wx["unionid"]
    me = (await client.get("/identity/me", headers=bearer(body["access_token"]))).json()
    assert me["channel"] == "miniapp"
    again = await client.post(
        "/identity/login/wechat", json={"code": (await phone.wx_login("wx-user-1"))["code"]}
    )
    assert again.json()["account"]["id"] == account.id and again.json()["created"] is False
    # A used code and a made-up code get a stable 400, and nothing is written.
    reused = await client.post("/identity/login/wechat", json={"code": wx["code"]})
    assert reused.status_code == 400 and reused.json()["code"] == "identity.wechat_code_invalid"
    assert reused.json()["details"]["errcode"] == 40163
    bogus = await client.post("/identity/login/wechat", json={"code": "made-up"})
    assert bogus.json()["code"] == "identity.wechat_code_invalid"
    assert await Account.all().count() == 1


async def test_linking_a_phone_merges_into_the_phone_account(client, phone):
    # The person first used the app (phone, then ID verified via helper), later the mini-program.
    app_user = await make_citizen(phone="13900139001", name="赵六")
    wx = await client.post(
        "/identity/login/wechat", json={"code": (await phone.wx_login("zhao-liu"))["code"]}
    )
    wx_body = wx.json()
    wx_headers = bearer(wx_body["access_token"])
    assert (
        await client.post(
            "/identity/sms/send",
            json={"phone": "13900139001", "purpose": "link"},
            headers=wx_headers,
        )
    ).status_code == 200
    code = await phone.last_code("13900139001")
    linked = await client.post(
        "/identity/phone/link", json={"phone": "13900139001", "code": code}, headers=wx_headers
    )
    assert linked.status_code == 200, linked.text
    body = linked.json()
    assert body["merged"] is True and body["account"]["id"] == app_user.account_id
    assert body["account"]["has_wechat"] and body["account"]["level"] == 2
    # The mini-program account is folded into the app account: its session is over, the new one works.
    assert (await client.get("/identity/me", headers=wx_headers)).status_code == 401
    me = await client.get("/identity/me", headers=bearer(body["tokens"]["access_token"]))
    assert me.json()["id"] == app_user.account_id
    absorbed = await Account.get(id=wx_body["account"]["id"])
    assert (
        absorbed.status == AccountStatus.MERGED and absorbed.merged_into_id == app_user.account_id
    )
    assert absorbed.wechat_openid is None
    # Logging in with WeChat now lands on the one account.
    again = await client.post(
        "/identity/login/wechat", json={"code": (await phone.wx_login("zhao-liu"))["code"]}
    )
    assert again.json()["account"]["id"] == app_user.account_id
    assert await Account.filter(status=AccountStatus.ACTIVE).count() == 1


async def test_linking_a_new_phone_just_verifies_it(client, phone):
    wx = (
        await client.post(
            "/identity/login/wechat", json={"code": (await phone.wx_login("new-user"))["code"]}
        )
    ).json()
    headers = bearer(wx["access_token"])
    await client.post(
        "/identity/sms/send", json={"phone": "13900139002", "purpose": "link"}, headers=headers
    )
    code = await phone.last_code("13900139002")
    linked = (
        await client.post(
            "/identity/phone/link", json={"phone": "13900139002", "code": code}, headers=headers
        )
    ).json()
    assert (
        linked["merged"] is False
        and linked["account"]["level"] == 1
        and linked["account"]["phone"] == "139****9002"
    )
    # The same session now carries level 1.
    me = (await client.get("/identity/me", headers=headers)).json()
    assert me["account"]["level"] == 1


async def test_link_with_wechat_phone_button(client, phone):
    app_user = await make_citizen(phone="13900139003")
    wx = (
        await client.post(
            "/identity/login/wechat", json={"code": (await phone.wx_login("btn-user"))["code"]}
        )
    ).json()
    code = await phone.wx_phone_code("13900139003")
    linked = await client.post(
        "/identity/phone/link-wechat", json={"phone_code": code}, headers=bearer(wx["access_token"])
    )
    assert linked.status_code == 200, linked.text
    assert linked.json()["account"]["id"] == app_user.account_id
    bad = await client.post(
        "/identity/phone/link-wechat",
        json={"phone_code": "nope"},
        headers=bearer(linked.json()["tokens"]["access_token"]),
    )
    assert bad.status_code == 400 and bad.json()["code"] == "identity.wechat_code_invalid"


async def test_two_wechat_users_one_phone_is_refused(client, phone):
    first = (
        await client.post(
            "/identity/login/wechat", json={"code": (await phone.wx_login("a"))["code"]}
        )
    ).json()
    code = await phone.wx_phone_code("13900139004")
    assert (
        await client.post(
            "/identity/phone/link-wechat",
            json={"phone_code": code},
            headers=bearer(first["access_token"]),
        )
    ).status_code == 200
    second = (
        await client.post(
            "/identity/login/wechat", json={"code": (await phone.wx_login("b"))["code"]}
        )
    ).json()
    code = await phone.wx_phone_code("13900139004")
    refused = await client.post(
        "/identity/phone/link-wechat",
        json={"phone_code": code},
        headers=bearer(second["access_token"]),
    )
    assert refused.status_code == 409 and refused.json()["code"] == "identity.merge_conflict"
    assert await Account.filter(status=AccountStatus.ACTIVE).count() == 2


async def test_wechat_misconfigured_or_down_is_a_503(client, phone, settings, monkeypatch):
    from pydantic import SecretStr

    from core.identity import login as login_module
    from core.integrations.wechat import reset_clients

    wx = await phone.wx_login("wx-user-down")
    wrong = settings.model_copy(update={"wechat_secret": SecretStr("wrong-secret")})
    monkeypatch.setattr(login_module, "get_settings", lambda: wrong)
    reset_clients()
    refused = await client.post("/identity/login/wechat", json={"code": wx["code"]})
    assert refused.status_code == 503 and refused.json()["code"] == "identity.wechat_unavailable"
    down = settings.model_copy(update={"sandbox_url": "http://127.0.0.1:9/sandbox"})
    monkeypatch.setattr(login_module, "get_settings", lambda: down)
    unreachable = await client.post("/identity/login/wechat", json={"code": wx["code"]})
    assert unreachable.status_code == 503
    assert await Account.all().count() == 0
    reset_clients()
