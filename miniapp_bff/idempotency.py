"""One tap, one effect: a phone that retries or a finger that double-taps sends the same
``Idempotency-Key`` header, and the second request gets the first one's answer (or a 409 while
the first is still running) instead of a second application or payment.

The answer is remembered in the shared store for a day, per signed-in person and key.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import msgspec
from litestar.connection import ASGIConnection

from core import errors
from core.auth import Principal
from core.stores import get_stores

NAMESPACE = "bff.idempotency"
TTL = 24 * 3600
RUNNING_TTL = 60
MAX_KEY = 64

KEY_INVALID = errors.define(
    "bff.idempotency_key_invalid", 400,
    "请求标识（Idempotency-Key）无效：应为 8 到 64 个字母、数字或 -_",
    "Invalid Idempotency-Key: 8 to 64 letters, digits, - or _",
)
IN_PROGRESS = errors.define(
    "bff.request_in_progress", 409,
    "上一次操作正在处理中，请勿重复提交",
    "The same request is still being processed; do not submit it twice",
)


def key_of(connection: ASGIConnection) -> str | None:
    key = connection.headers.get("idempotency-key")
    if key is None:
        return None
    if not (8 <= len(key) <= MAX_KEY and all(c.isalnum() or c in "-_" for c in key)):
        raise KEY_INVALID()
    return key


async def once(principal: Principal, scope: str, key: str | None, run: Callable[[], Awaitable[Any]]) -> tuple[Any, bool]:
    """Run ``run()`` once per (person, scope, key); returns (answer, replayed)."""
    if key is None:
        return await run(), False
    store = get_stores()(NAMESPACE)
    base = f"{principal.account_id}:{scope}:{key}"
    done = await store.get(f"done:{base}")
    if done is not None:
        return msgspec.json.decode(done), True
    if await store.incr(f"run:{base}", RUNNING_TTL) > 1:
        raise IN_PROGRESS(details={"idempotency_key": key})
    try:
        answer = await run()
    except BaseException:
        await store.reset(f"run:{base}")  # a refused request may be corrected and sent again
        raise
    await store.set(f"done:{base}", msgspec.json.encode(answer), expires_in=TTL)
    return answer, False
