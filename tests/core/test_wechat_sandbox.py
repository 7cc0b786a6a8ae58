"""The WeChat sandbox answers the real wechatpy client over HTTP, error codes included."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from wechatpy.exceptions import WeChatClientException

from core.integrations.wechat import _client, wechat_client
from core.settings import Settings


@pytest.fixture
def wechat(settings, sandbox_server):
    _client.cache_clear()
    yield wechat_client(settings)
    _client.cache_clear()


def phone_login(sandbox: str, user: str) -> dict:
    return httpx.post(f"{sandbox}/wechat/_dev/login", json={"user": user}).json()


async def test_code2session_with_the_real_client(wechat, sandbox_server):
    phone = phone_login(sandbox_server, "alice")
    session = await asyncio.to_thread(wechat.wxa.code_to_session, phone["code"])
    assert session["openid"] == phone["openid"] and session["unionid"] == phone["unionid"]
    assert session["session_key"]
    # The same user logs in again: same openid, new code.
    again = phone_login(sandbox_server, "alice")
    assert (await asyncio.to_thread(wechat.wxa.code_to_session, again["code"]))["openid"] == phone["openid"]


async def test_reused_and_invalid_codes_get_wechat_error_codes(wechat, sandbox_server):
    code = phone_login(sandbox_server, "bob")["code"]
    await asyncio.to_thread(wechat.wxa.code_to_session, code)
    with pytest.raises(WeChatClientException) as used:
        await asyncio.to_thread(wechat.wxa.code_to_session, code)
    assert used.value.errcode == 40163
    with pytest.raises(WeChatClientException) as invalid:
        await asyncio.to_thread(wechat.wxa.code_to_session, "not-a-code")
    assert invalid.value.errcode == 40029


async def test_wrong_secret_is_refused(settings, sandbox_server):
    from pydantic import SecretStr

    wrong = settings.model_copy(update={"wechat_secret": SecretStr("wrong")})
    _client.cache_clear()
    with pytest.raises(WeChatClientException) as exc:
        await asyncio.to_thread(wechat_client(wrong).fetch_access_token)
    assert exc.value.errcode == 40125
    _client.cache_clear()


async def test_subscribe_message_needs_the_users_grant(wechat, sandbox_server):
    openid = phone_login(sandbox_server, "carol")["openid"]
    template = "TPL_case_status_01"
    data = {"thing1": {"value": "办件已受理"}, "time2": {"value": "2026-11-23 10:00"}}
    with pytest.raises(WeChatClientException) as refused:
        await asyncio.to_thread(wechat.wxa.send_subscribe_message, openid, template, data)
    assert refused.value.errcode == 43101
    httpx.post(f"{sandbox_server}/wechat/_dev/subscribe", json={"openid": openid, "template_id": template})
    result = await asyncio.to_thread(wechat.wxa.send_subscribe_message, openid, template, data, "pages/case/detail")
    assert result["errcode"] == 0
    sent = httpx.get(f"{sandbox_server}/wechat/_dev/messages", params={"touser": openid}).json()
    assert [m["data"]["thing1"]["value"] for m in sent] == ["办件已受理"]
    # The grant was for one message only.
    with pytest.raises(WeChatClientException):
        await asyncio.to_thread(wechat.wxa.send_subscribe_message, openid, template, data)
    with pytest.raises(WeChatClientException) as bad:
        httpx.post(f"{sandbox_server}/wechat/_dev/subscribe", json={"openid": openid, "template_id": template})
        await asyncio.to_thread(wechat.wxa.send_subscribe_message, openid, template, {"thing1": "flat"})
    assert bad.value.errcode == 47003


def test_access_token_is_cached_in_the_configured_store(settings, sandbox_server):
    _client.cache_clear()
    client = wechat_client(settings)
    first = client.access_token
    assert first and client.access_token == first
    if settings.redis_url:
        import redis

        assert redis.Redis.from_url(settings.redis_url).get(f"zhushida:wechat:{settings.wechat_appid}_access_token")
    _client.cache_clear()


def test_redirect_only_touches_the_provider_host():
    from core.integrations.transport import RedirectAdapter

    adapter = RedirectAdapter("https://api.weixin.qq.com", "http://127.0.0.1:1/sandbox/wechat")
    assert adapter.real_base == "https://api.weixin.qq.com"
    assert Settings(public_url="http://h:9", sandbox_url=None).effective_sandbox_url == "http://h:9/sandbox"
