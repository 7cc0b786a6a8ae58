"""Change notifications and the caches they drop (core.changes): tags, fill tickets, transactions,
and — on the services backend — two independent subscribers on the real Redis, including a
subscription that is cut."""

from __future__ import annotations

import asyncio
import time

import pytest

from core import changes, db
from core.models import AuditEvent
from tests.conftest import BACKEND

services_only = pytest.mark.skipif(BACKEND != "services", reason="needs the real Redis")


def local_cache(hub: changes.Hub | None = None, **kw) -> changes.LocalCache:
    hub = hub or changes.Hub(None)
    kw.setdefault("topics", ("account", "card", "widgets"))
    kw.setdefault("ttl", 60)
    kw.setdefault("max_entries", 100)
    return changes.LocalCache("test", hub=hub, **kw)


async def eventually(check, within: float = 10.0) -> None:
    """A deadline for what arrives over another connection (not a speed requirement)."""
    deadline = time.monotonic() + within
    while not check():
        assert time.monotonic() < deadline, f"not true within {within} s"
        await asyncio.sleep(0.01)


def test_a_publish_drops_the_entries_tagged_with_it_and_no_other():
    hub = changes.Hub(None)
    cache = local_cache(hub)
    alice, bob = changes.tag("account", 1), changes.tag("account", 2)
    assert cache.put("a", "alice's", [alice, changes.tag("card", 9)], cache.ticket())
    assert cache.put("b", "bob's", [bob], cache.ticket())
    hub.publish("card", "9")  # keys are text on the wire: 9 and "9" are one key
    assert cache.get("a") is None and cache.get("b") == "bob's"
    hub.publish("session", "x")  # a topic this cache does not listen to
    assert cache.get("b") == "bob's"
    hub.publish("widgets")  # no key: the whole topic, i.e. everything in this cache
    assert cache.get("b") is None and len(cache) == 0


def test_a_value_read_before_a_change_is_not_stored_after_it():
    hub = changes.Hub(None)
    cache = local_cache(hub)
    ticket = cache.ticket()  # a build starts reading ...
    hub.publish("account", 1)  # ... the data changes meanwhile ...
    assert not cache.put("a", "stale", [changes.tag("account", 1)], ticket)  # ... so it is refused
    assert cache.get("a") is None
    # A change of something else does not refuse it; a build started after the change is fine.
    ticket = cache.ticket()
    hub.publish("account", 2)
    assert cache.put("a", "fresh", [changes.tag("account", 1)], ticket)
    ticket = cache.ticket()
    hub.publish("widgets")  # a whole-topic drop refuses every older ticket
    assert not cache.put("b", "stale", [changes.tag("account", 3)], ticket)


def test_entries_expire_and_the_cache_is_bounded():
    hub = changes.Hub(None)
    cache = local_cache(hub, max_entries=2)
    for key in "abc":
        assert cache.put(key, key, [changes.tag("account", key)], cache.ticket())
    assert len(cache) == 2 and cache.get("a") is None and cache.get("c") == "c"
    assert cache.put("d", "d", [], cache.ticket(), ttl=0.0)
    assert cache.get("d") is None  # expired at once
    cache.put("e", "e", [changes.tag("account", "e")], cache.ticket())
    hub.publish("account", "e")
    assert changes.tag("account", "e") not in cache._by_tag  # the index does not keep dropped keys


def test_forgetting_old_drops_refuses_fills_older_than_them():
    hub = changes.Hub(None)
    cache = local_cache(hub, remembered_drops=4)
    ticket = cache.ticket()
    for n in range(6):
        hub.publish("account", n)
    # The drop of account 0 is forgotten: a fill that began before it cannot be judged, so it is refused.
    assert not cache.put("x", "?", [changes.tag("account", 0)], ticket)
    assert cache.put("x", "ok", [changes.tag("account", 0)], cache.ticket())


def test_a_redis_hub_that_is_not_subscribed_caches_nothing():
    hub = changes.Hub("redis://127.0.0.1:6379/1")
    cache = local_cache(hub)
    assert not hub.live
    assert not cache.put("a", "x", [], cache.ticket()) and cache.get("a") is None


async def test_a_change_inside_a_transaction_is_held_until_it_ends(app):
    hub = changes.default_hub()  # subscribed by the app's lifespan on the services backend
    cache = changes.LocalCache("test", topics=("account",), ttl=60, max_entries=10)  # on that hub
    try:
        await _held_until_the_transaction_ends(hub, cache)
    finally:
        hub.caches.remove(cache)


async def _held_until_the_transaction_ends(hub: changes.Hub, cache: changes.LocalCache) -> None:
    alice = changes.tag("account", 1)
    assert hub.live
    assert cache.put("a", "before", [alice], cache.ticket())
    async with db.transaction():
        await AuditEvent.create(actor="test", action="held", target="1")
        hub.publish("account", 1)
        assert cache.get("a") is None  # dropped at once in this process ...
        # ... and nothing may be stored for it while the transaction is open: a reader that does
        # not see the uncommitted row would cache the old value.
        assert not cache.put("a", "read before commit", [alice], cache.ticket())
        assert cache.put("b", "someone else", [changes.tag("account", 2)], cache.ticket())
    await hub.flush()
    assert cache.put("a", "after", [alice], cache.ticket())
    # A rolled-back transaction releases the tag too.
    with pytest.raises(ZeroDivisionError):
        async with db.transaction():
            hub.publish("account", 1)
            1 / 0  # noqa: B018
    await hub.flush()
    assert cache.put("a", "after rollback", [alice], cache.ticket())


@services_only
async def test_two_subscribers_on_redis_hear_each_other_and_not_themselves(settings, app):
    first, second = changes.Hub(settings.redis_url), changes.Hub(settings.redis_url)
    mine, theirs = local_cache(first), local_cache(second)
    await first.start()
    await second.start()
    try:
        assert first.live and second.live and first.channel == second.channel
        assert first.channel.endswith(f":{settings.redis_url.rsplit('/', 1)[-1]}")  # per Redis database
        for cache in (mine, theirs):
            assert cache.put("alice", "balance 100", [changes.tag("card", 7)], cache.ticket())
        heard = second.received
        first.publish("card", 7)
        assert mine.get("alice") is None  # at once here
        await first.flush()
        await eventually(lambda: second.received > heard)
        assert theirs.get("alice") is None  # and over Redis there
        assert first.received == 0  # its own message is not applied twice
    finally:
        await first.stop()
        await second.stop()


@services_only
async def test_a_burst_of_changes_travels_as_one_message_with_each_tag_once(settings, app):
    first, second = changes.Hub(settings.redis_url), changes.Hub(settings.redis_url)
    theirs = local_cache(second)
    await first.start()
    await second.start()
    try:
        for n in range(3):
            assert theirs.put(f"card {n}", "balance", [changes.tag("card", n)], theirs.ticket())
        assert theirs.put("other", "kept", [changes.tag("card", 99)], theirs.ticket())
        heard = second.received
        for n in (0, 1, 0, 2, 1, 0):  # one burst, published before the sender runs
            first.publish("card", n)
        await first.flush()
        await eventually(lambda: second.received > heard)
        await asyncio.sleep(0.2)  # anything else would have arrived by now
        assert second.received == heard + 1
        assert [theirs.get(f"card {n}") for n in range(3)] == [None, None, None]
        assert theirs.get("other") == "kept"
    finally:
        await first.stop()
        await second.stop()


@services_only
async def test_a_cut_subscription_drops_everything_and_caches_nothing_until_it_is_back(settings, app, caplog):
    import redis.asyncio as aioredis

    hub = changes.Hub(settings.redis_url)
    cache = local_cache(hub)
    await hub.start()
    admin = aioredis.Redis.from_url(settings.redis_url)
    try:
        assert cache.put("alice", "balance 100", [changes.tag("card", 7)], cache.ticket())
        ticket = cache.ticket()
        # Redis drops the subscriber's connection (a restart, a network cut): messages published
        # meanwhile are lost, so nothing cached before may be trusted.
        assert await _kill(admin, hub) == 1
        await eventually(lambda: cache.get("alice") is None)
        assert not cache.put("alice", "read while deaf", [changes.tag("card", 7)], ticket)
        await eventually(lambda: hub.live)  # subscribed again
        assert "subscription lost" in caplog.text
        assert cache.put("alice", "balance 90", [changes.tag("card", 7)], cache.ticket())
    finally:
        await admin.aclose()
        await hub.stop()


async def _kill(admin, hub: changes.Hub) -> int:
    """Kill exactly this hub's subscriber connection, found by its client name."""
    clients = await admin.client_list(_type="pubsub")
    ids = [c["id"] for c in clients if c.get("name") == f"zhushida-changes-{hub.origin}"]
    for client_id in ids:
        await admin.client_kill_filter(_id=client_id)
    return len(ids)
