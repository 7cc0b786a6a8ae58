"""One abstraction for short-lived state: sessions, one-time codes, rate limits, caches.

Backed by Litestar's stores: :class:`MemoryStore` in the embedded default, :class:`RedisStore`
(``redis.asyncio``) when ``ZHUSHIDA_REDIS_URL`` is set, so several app processes share it.
Atomic operations Litestar's interface lacks are added here: ``incr`` (rate limits, lockouts),
``add`` (first use of a nonce) and ``take`` (single-use codes: read and delete at once).
"""

from __future__ import annotations

import asyncio
import time

from litestar.stores.base import NamespacedStore, Store
from litestar.stores.memory import MemoryStore
from litestar.stores.redis import RedisStore

from core.settings import Settings


class KeyValue:
    """A namespaced store with atomic counters and take-once reads."""

    def __init__(self, store: Store, counters: _Counters) -> None:
        self.store = store
        self._counters = counters

    async def get(self, key: str) -> bytes | None:
        return await self.store.get(key)

    async def set(self, key: str, value: str | bytes, expires_in: int | None = None) -> None:
        await self.store.set(key, value, expires_in=expires_in)

    async def delete(self, key: str) -> None:
        await self.store.delete(key)

    async def take(self, key: str) -> bytes | None:
        """Return the value and delete it in one step: only one caller ever gets it."""
        if isinstance(self.store, RedisStore):
            return await self.store._redis.getdel(self.store._make_key(key))
        async with self._counters.lock:
            value = await self.store.get(key)
            if value is not None:
                await self.store.delete(key)
            return value

    async def incr(self, key: str, expires_in: int) -> int:
        """Increment a counter that expires ``expires_in`` seconds after its first hit."""
        if isinstance(self.store, RedisStore):
            full = self.store._make_key(f"n:{key}")
            async with self.store._redis.pipeline(transaction=True) as pipe:
                pipe.incr(full)
                pipe.expire(full, expires_in, nx=True)
                count, _ = await pipe.execute()
            return int(count)
        return self._counters.incr(id(self.store), key, expires_in)

    async def add(self, key: str, expires_in: int) -> bool:
        """Remember ``key`` for ``expires_in`` seconds; True only for the first caller (nonces).
        One Redis command (SET NX EX) where ``incr`` needs a MULTI of two."""
        if isinstance(self.store, RedisStore):
            return bool(await self.store._redis.set(self.store._make_key(f"n:{key}"), 1, nx=True, ex=expires_in))
        return self._counters.incr(id(self.store), key, expires_in) == 1

    async def count(self, key: str) -> int:
        if isinstance(self.store, RedisStore):
            value = await self.store._redis.get(self.store._make_key(f"n:{key}"))
            return int(value or 0)
        return self._counters.get(id(self.store), key)

    async def reset(self, key: str) -> None:
        if isinstance(self.store, RedisStore):
            await self.store._redis.delete(self.store._make_key(f"n:{key}"))
        else:
            self._counters.reset(id(self.store), key)


class _Counters:
    """In-memory counters for the embedded default (one process, so a dict is the truth)."""

    def __init__(self) -> None:
        self.lock = asyncio.Lock()
        self._data: dict[tuple[int, str], tuple[int, float]] = {}

    def incr(self, space: int, key: str, expires_in: int) -> int:
        now = time.monotonic()
        count, deadline = self._data.get((space, key), (0, now + expires_in))
        if deadline <= now:
            count, deadline = 0, now + expires_in
        self._data[(space, key)] = (count + 1, deadline)
        return count + 1

    def get(self, space: int, key: str) -> int:
        count, deadline = self._data.get((space, key), (0, 0.0))
        return count if deadline > time.monotonic() else 0

    def reset(self, space: int, key: str) -> None:
        self._data.pop((space, key), None)


class Stores:
    """Hands out namespaced stores; one Redis connection pool per process."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._root: NamespacedStore
        if settings.redis_url:
            self._root = RedisStore.with_client(url=settings.redis_url, namespace="zhushida")
        else:
            self._root = MemoryStore()  # type: ignore[assignment]
        self._counters = _Counters()
        self._spaces: dict[str, KeyValue] = {}

    @property
    def backend(self) -> str:
        return "redis" if isinstance(self._root, RedisStore) else "memory"

    def __call__(self, namespace: str) -> KeyValue:
        space = self._spaces.get(namespace)
        if space is None:
            if isinstance(self._root, RedisStore):
                store: Store = self._root.with_namespace(namespace)
            else:
                store = MemoryStore()
            space = self._spaces[namespace] = KeyValue(store, self._counters)
        return space

    @property
    def redis(self):  # the shared redis.asyncio client, or None in the embedded default
        return self._root._redis if isinstance(self._root, RedisStore) else None

    async def ping(self) -> bool:
        if self.redis is None:
            return True
        return bool(await self.redis.ping())

    async def clear_all(self) -> None:
        """Forget everything (tests)."""
        if isinstance(self._root, RedisStore):
            await self._root.delete_all()
        else:
            for space in self._spaces.values():
                await space.store.delete_all()
        self._counters._data.clear()

    async def close(self) -> None:
        if isinstance(self._root, RedisStore):
            await self._root._redis.aclose()


_stores: Stores | None = None


def get_stores() -> Stores:
    global _stores
    if _stores is None:
        from core.settings import get_settings

        _stores = Stores(get_settings())
    return _stores


def set_stores(stores: Stores | None) -> None:
    global _stores
    _stores = stores
