"""Stores: memory in the embedded default, Redis when configured; atomic take and incr."""

from __future__ import annotations

import asyncio

from tests.conftest import BACKEND


async def test_backend_matches_the_settings(stores, settings):
    assert stores.backend == ("redis" if settings.redis_url else "memory")
    assert BACKEND == "embedded" or stores.backend == "redis"


async def test_set_get_expire_delete(stores, database):
    space = stores("test-cache")
    await space.set("k", "v", expires_in=1)
    assert await space.get("k") == b"v"
    await asyncio.sleep(1.1)
    assert await space.get("k") is None
    await space.set("k2", b"x")
    await space.delete("k2")
    assert await space.get("k2") is None


async def test_take_gives_a_one_time_code_to_exactly_one_caller(stores, database):
    codes = stores("test-otp")
    await codes.set("13800000000", "123456", expires_in=300)
    results = await asyncio.gather(*(codes.take("13800000000") for _ in range(20)))
    assert [r for r in results if r is not None] == [b"123456"]


async def test_incr_counts_and_expires(stores, database):
    limits = stores("test-rate")
    counts = await asyncio.gather(*(limits.incr("ip:1.2.3.4", expires_in=1) for _ in range(10)))
    assert sorted(counts) == list(range(1, 11))
    assert await limits.count("ip:1.2.3.4") == 10
    await asyncio.sleep(1.1)
    assert await limits.count("ip:1.2.3.4") == 0
    assert await limits.incr("ip:1.2.3.4", expires_in=1) == 1
    await limits.reset("ip:1.2.3.4")
    assert await limits.count("ip:1.2.3.4") == 0


async def test_namespaces_are_separate(stores, database):
    await stores("a").set("same", "1")
    await stores("b").set("same", "2")
    assert await stores("a").get("same") == b"1"
    assert await stores("b").get("same") == b"2"
