"""The WeChat mini-program client (wechatpy): code2session, access token, subscribe messages.

wechatpy is synchronous: call it from async code with ``asyncio.to_thread`` (the sandbox may be
served by this very process, whose event loop must stay free to answer).
"""

from __future__ import annotations

from functools import lru_cache

from wechatpy import WeChatClient
from wechatpy.session.memorystorage import MemoryStorage

from core.integrations.transport import redirect_session
from core.settings import Settings

WECHAT_API = "https://api.weixin.qq.com"


def wechat_client(settings: Settings) -> WeChatClient:
    return _client(settings.wechat_appid, settings.wechat_secret.get_secret_value(), settings.redis_url,
                   settings.effective_sandbox_url if settings.sandbox_enabled else None)


@lru_cache(maxsize=8)
def _client(appid: str, secret: str, redis_url: str | None, sandbox_url: str | None) -> WeChatClient:
    if redis_url:
        # wechatpy's storage is synchronous: it needs a sync redis client. The token is then
        # shared by every app process (WeChat invalidates older tokens on refresh).
        import redis
        from wechatpy.session.redisstorage import RedisStorage

        storage = RedisStorage(redis.Redis.from_url(redis_url), prefix="zhushida:wechat")
    else:
        storage = MemoryStorage()
    client = WeChatClient(appid, secret, session=storage, timeout=5)
    if sandbox_url:
        redirect_session(client._http, WECHAT_API, f"{sandbox_url}/wechat")
    return client


def reset_clients() -> None:
    _client.cache_clear()
