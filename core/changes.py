"""Change notifications (变更通知): "this changed", told to every process, so in-process caches
drop what they hold about it.

    from core import changes
    changes.publish("account", account_id)      # after the change is written

``publish`` is synchronous: the caches of this process drop the matching entries at once, and
the message goes to the other processes over Redis pub/sub when ``ZHUSHIDA_REDIS_URL`` is set
(in process only in the embedded default). An app process, which subscribes in its lifespan
(:func:`start`), queues it for a background sender: no I/O in the caller. Any other process (a
Celery worker, a CLI command) publishes it at once, one round trip, since nothing would flush a
queue before it exits.

Called inside a database transaction, ``publish`` also holds back: the entries go at once, but
no cache may store a value about that key again until the transaction has ended (Tortoise has no
commit hook: its transaction client is watched), and only then is the message sent to other
processes — so nobody caches what was read before the commit.

A cache built on :class:`LocalCache` never serves what it was told changed:

* every entry carries tags ``(topic, key)``; a publish of that tag drops it;
* a value read before a publish of one of its tags and stored after it is refused (the fill's
  *ticket*), so a slow build cannot put back what was just dropped;
* with Redis, caching is on only while the subscription is up: a lost or re-established
  subscription drops everything (messages may have been missed), and until it is back every
  lookup misses;
* every entry also expires after its TTL, a bound for changes made without a publish.

Topics in use: ``session`` (sid), ``principal`` ("kind:id"), ``grant`` (id) for token resolution;
``account`` (account id), ``card`` (card id), ``catalogue`` and ``widgets`` (no key: everything)
for the BFF's home screen. See docs/bff.md, "Caching".
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import threading
import time
from collections.abc import Hashable, Iterable
from typing import Any

import msgspec
from redis.exceptions import RedisError
from tortoise import connections
from tortoise.backends.base.client import TransactionalDBClient
from tortoise.exceptions import ConfigurationError

log = logging.getLogger("zhushida.changes")

Tag = tuple[str, str | None]
PING_EVERY = 5.0  # seconds without traffic before the subscriber checks the connection
SILENCE_LIMIT = 10.0  # no answer to that ping for this long: the subscription is treated as lost
TRANSACTION_WAIT_LIMIT = 60.0
MAX_TAGS_PER_MESSAGE = 500  # a burst is split so no single message grows without bound
_Message = tuple[str, list[tuple[str, str | None]]]  # [origin, [[topic, key], ...]] on the wire


def tag(topic: str, key: Any = None) -> Tag:
    """The canonical tag: keys travel as text, so 5 and "5" are the same key everywhere."""
    return (topic, None if key is None else str(key))


def _open_transaction() -> Any:
    """Tortoise's client of the transaction open in this task, or None."""
    try:
        # Read what this task's context holds, without connecting: ``connections.get`` would open
        # (or, on another event loop, reopen) a connection just to answer "none open".
        conn = connections._get_storage().get("default")
    except (ConfigurationError, LookupError, RuntimeError):  # no database here (a CLI, a unit test)
        return None
    return conn if isinstance(conn, TransactionalDBClient) and not conn._finalized else None


class LocalCache:
    """A bounded in-process cache whose entries are dropped by published tags (see module doc).

    ``get`` takes no lock (dict reads are atomic); writes and drops happen under the hub's lock,
    since a Celery worker thread may publish while the event loop reads.
    """

    def __init__(self, name: str, *, topics: Iterable[str], ttl: float, max_entries: int,
                 hub: Hub | None = None, remembered_drops: int = 10_000) -> None:
        self.name = name
        # Drops are remembered to judge fills in flight (a build lasts well under a second); a
        # fill older than the oldest remembered drop is refused, which costs only a rebuild.
        self.remembered_drops = remembered_drops
        self.topics = frozenset(topics)
        self.ttl = ttl
        self.max_entries = max_entries
        self._data: dict[Hashable, tuple[float, Any, tuple[Tag, ...]]] = {}
        self._by_tag: dict[Tag, set[Hashable]] = {}
        self._dropped: dict[Tag, int] = {}  # tag -> sequence number of its last drop
        self._seq = 0
        self._floor = 0  # fills with an older ticket are refused (after clear() or forgetting)
        self._hub = hub
        _register(self, hub)

    @property
    def hub(self) -> Hub:
        return self._hub or default_hub()

    def get(self, key: Hashable) -> Any:
        entry = self._data.get(key)
        if entry is None or entry[0] < time.monotonic():
            return None
        return entry[1]

    def ticket(self) -> int:
        """Take before reading what will be stored; hand it to :meth:`put`."""
        return self._seq

    def put(self, key: Hashable, value: Any, tags: Iterable[Tag], ticket: int, ttl: float | None = None) -> bool:
        """Store ``value`` unless something it depends on changed since ``ticket`` (or caching is
        off); True when stored."""
        tags = tuple(tags)
        hub = self.hub
        with hub.lock:
            if not hub.live or ticket < self._floor or hub.held(tags, self.topics):
                return False
            for t in tags:
                if self._dropped.get(t, -1) > ticket:
                    return False
            self._remove(key)
            while len(self._data) >= self.max_entries:
                self._remove(next(iter(self._data)))
            life = self.ttl if ttl is None else min(ttl, self.ttl)
            self._data[key] = (time.monotonic() + life, value, tags)
            for t in tags:
                self._by_tag.setdefault(t, set()).add(key)
        return True

    def drop(self, t: Tag) -> None:
        with self.hub.lock:
            if t[1] is None:
                self._clear()
                return
            self._seq += 1
            self._dropped.pop(t, None)
            self._dropped[t] = self._seq
            if len(self._dropped) > self.remembered_drops:  # forget the oldest; refuse fills older than it
                oldest = next(iter(self._dropped))
                self._floor = max(self._floor, self._dropped.pop(oldest))
            for key in list(self._by_tag.pop(t, ())):
                self._remove(key)

    def clear(self) -> None:
        with self.hub.lock:
            self._clear()

    def _clear(self) -> None:
        self._seq += 1
        self._floor = self._seq
        self._data.clear()
        self._by_tag.clear()
        self._dropped.clear()

    def _remove(self, key: Hashable) -> None:
        entry = self._data.pop(key, None)
        if entry is None:
            return
        for t in entry[2]:
            keys = self._by_tag.get(t)
            if keys is not None:
                keys.discard(key)
                if not keys:
                    del self._by_tag[t]

    def __len__(self) -> int:
        return len(self._data)


class Hub:
    """Delivers published tags to this process's caches and, with Redis, to every other process."""

    def __init__(self, redis_url: str | None, *, channel: str | None = None) -> None:
        self.redis_url = redis_url
        self.origin = secrets.token_hex(8)
        self.channel = channel or _channel_for(redis_url)
        self.lock = threading.RLock()
        self.caches: list[LocalCache] = []
        self._held: dict[Tag, int] = {}
        self._live = redis_url is None  # embedded: one process, nothing to miss
        self._redis: Any = None
        self._sync_redis: Any = None
        self._listener: asyncio.Task | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._queue: asyncio.Queue | None = None
        self._sender: asyncio.Task | None = None
        self._watchers: set[asyncio.Task] = set()
        self.received = 0  # messages from other processes (tests and /metrics-style checks)
        self._subscribed = asyncio.Event()
        self._users = 0

    # ---- state --------------------------------------------------------------------------------

    @property
    def live(self) -> bool:
        """Caches may store and serve: always embedded; with Redis, while subscribed."""
        return self._live

    def held(self, tags: tuple[Tag, ...], topics: frozenset[str]) -> bool:
        """True while a transaction that published one of ``tags`` (or its whole topic) is open."""
        held = self._held
        if not held:
            return False
        return any((topic, None) in held for topic in topics) or any(t in held for t in tags)

    def reset(self, reason: str, *, quiet: bool = False) -> None:
        """Drop every entry of every cache (a missed message cannot leave anything stale)."""
        log.log(logging.INFO if quiet else logging.WARNING,
                "change notifications: dropping all cached entries (%s)", reason)
        for cache in list(self.caches):
            cache.clear()

    # ---- publishing ---------------------------------------------------------------------------

    def publish(self, topic: str, key: Any = None) -> None:
        t = tag(topic, key)
        client = _open_transaction()
        self._drop_local(t)
        if client is None:
            self._send(t)
            return
        # Inside a transaction: hold the tag until it ends, then tell everyone (again).
        with self.lock:
            self._held[t] = self._held.get(t, 0) + 1
        watcher = asyncio.get_running_loop().create_task(self._after_transaction(client, t))
        self._watchers.add(watcher)
        watcher.add_done_callback(self._watchers.discard)

    async def _after_transaction(self, client: Any, t: Tag) -> None:
        delay, waited = 0.0005, 0.0
        try:
            # Tortoise has no commit hook; its transaction client says when it is finished.
            while not client._finalized and waited < TRANSACTION_WAIT_LIMIT:
                await asyncio.sleep(delay)
                waited += delay
                delay = min(delay * 2, 0.005)
        finally:
            with self.lock:
                left = self._held.get(t, 1) - 1
                if left:
                    self._held[t] = left
                else:
                    self._held.pop(t, None)
            self._drop_local(t)
            self._send(t)

    def _drop_local(self, t: Tag) -> None:
        for cache in list(self.caches):
            if t[0] in cache.topics:
                cache.drop(t)

    def _send(self, t: Tag) -> None:
        if self.redis_url is None:
            return
        loop, queue = self._loop, self._queue
        if loop is not None and queue is not None and self._sender is not None and not self._sender.done() \
                and loop.is_running():
            try:
                here = asyncio.get_running_loop()
            except RuntimeError:
                here = None
            if here is loop:
                queue.put_nowait(t)
            else:  # another thread (a Celery worker thread in tests): hand it to the sender's loop
                loop.call_soon_threadsafe(queue.put_nowait, t)
            return
        # Not an app process (a Celery worker, a CLI command): nobody would flush a queue before
        # the process ends, so publish now (one round trip).
        try:
            if self._sync_redis is None:
                import redis

                self._sync_redis = redis.Redis.from_url(self.redis_url)
            self._sync_redis.publish(self.channel, self._message([t]))
        except (OSError, RedisError):
            # The change is committed: failing it now would not undo it. App processes that
            # cannot hear it lose their subscription too (and drop everything), or expire it.
            log.exception("change notifications: could not publish %s", t)

    def _start_sender(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._redis = None
        self._queue = asyncio.Queue()
        self._sender = loop.create_task(self._send_loop(self._queue))

    def _client(self) -> Any:
        if self._redis is None:
            import redis.asyncio as aioredis

            self._redis = aioredis.Redis.from_url(self.redis_url, client_name=f"zhushida-changes-{self.origin}")
        return self._redis

    def _message(self, tags: Iterable[Tag]) -> bytes:
        """One message for several tags: ``[origin, [[topic, key], ...]]``."""
        return msgspec.json.encode([self.origin, [list(t) for t in tags]])

    async def _send_loop(self, queue: asyncio.Queue) -> None:
        while True:
            batch = [await queue.get()]
            while not queue.empty():
                batch.append(queue.get_nowait())
            # Whatever queued up meanwhile goes as one message, each tag once: under load (many
            # debits on a few cards) that is one PUBLISH, and one message for every subscribed
            # process to read, per batch rather than per change.
            tags = list(dict.fromkeys(batch))
            try:
                for attempt in range(3):
                    try:
                        async with self._client().pipeline(transaction=False) as pipe:
                            for start in range(0, len(tags), MAX_TAGS_PER_MESSAGE):
                                pipe.publish(self.channel, self._message(tags[start:start + MAX_TAGS_PER_MESSAGE]))
                            await pipe.execute()
                        break
                    except (OSError, RedisError) as exc:
                        if attempt == 2:
                            raise
                        log.warning("change notifications: publish failed (%s), retrying", exc)
                        await asyncio.sleep(0.05 * (attempt + 1))
            except asyncio.CancelledError:
                raise
            except Exception:
                # Subscribers that missed these will see their own connection fail, or the TTLs.
                log.exception("change notifications: %d message(s) could not be published", len(batch))
            finally:
                for _ in batch:
                    queue.task_done()

    async def flush(self) -> None:
        """Wait until held tags are released and queued messages are on Redis (tests, shutdown)."""
        while self._watchers:
            await asyncio.gather(*list(self._watchers), return_exceptions=True)
        if self._queue is not None and self._loop is asyncio.get_running_loop():
            await self._queue.join()

    # ---- subscribing --------------------------------------------------------------------------

    async def start(self) -> None:
        """Subscribe (Redis) and turn caching on once subscribed. Nested starts (an app inside a
        test's app) are counted: only the last :meth:`stop` unsubscribes."""
        self._users += 1
        if self.redis_url is None or (self._listener is not None and not self._listener.done()):
            return
        loop = asyncio.get_running_loop()
        if self._sender is None or self._sender.done() or self._loop is not loop:
            self._start_sender(loop)
        self._subscribed = asyncio.Event()
        self._listener = loop.create_task(self._listen())
        try:
            await asyncio.wait_for(self._subscribed.wait(), 10)
        except TimeoutError:
            log.error("change notifications: not subscribed yet; caches stay off until it is")

    async def stop(self) -> None:
        self._users = max(0, self._users - 1)
        await self.flush()
        if self._users or self.redis_url is None:
            return
        for task in (self._listener, self._sender):
            if task is not None and not task.done():
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
        self._listener = self._sender = None
        self._set_live(False, "stopped")
        if self._redis is not None:
            await self._redis.aclose()
            self._redis = None

    def _set_live(self, live: bool, reason: str) -> None:
        with self.lock:
            was, self._live = self._live, live
            if was or live:
                self.reset(reason, quiet=live or reason == "stopped")

    async def _listen(self) -> None:
        backoff = 0.1
        while True:
            pubsub = self._client().pubsub()
            lost = "subscription lost"
            try:
                await pubsub.subscribe(self.channel)
                last_heard, pinged_at = time.monotonic(), 0.0
                while True:
                    message = await pubsub.get_message(timeout=PING_EVERY)
                    now = time.monotonic()
                    if message is None:
                        if pinged_at and now - pinged_at > SILENCE_LIMIT:
                            raise ConnectionError("no answer to a ping")
                        if not pinged_at and now - last_heard >= PING_EVERY:
                            await pubsub.ping()
                            pinged_at = now
                        continue
                    last_heard, pinged_at = now, 0.0
                    kind = message.get("type")
                    if kind == "subscribe":
                        self._set_live(True, "subscribed")
                        self._subscribed.set()
                        backoff = 0.1
                    elif kind == "message":
                        self._on_message(message["data"])
            except asyncio.CancelledError:
                lost = "stopped"
                raise
            except Exception as exc:
                lost = "subscription lost"
                log.warning("change notifications: subscription lost: %s: %s", type(exc).__name__, exc)
            finally:
                if self._live:
                    self._set_live(False, lost)
                with contextlib.suppress(Exception):
                    await pubsub.aclose()
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, 5.0)

    def _on_message(self, data: bytes) -> None:
        try:
            origin, tags = msgspec.json.decode(data, type=_Message)
        except (msgspec.DecodeError, ValueError, TypeError):
            log.warning("change notifications: unreadable message %r", data[:100])
            return
        if origin == self.origin:
            return  # ours: dropped locally when published
        self.received += 1
        for topic, key in tags:
            self._drop_local((topic, key))


def _channel_for(redis_url: str | None) -> str:
    # Pub/sub channels are shared by every database of a Redis server: name the database.
    if not redis_url:
        return "zhushida:changes"
    from redis.asyncio.connection import parse_url

    return f"zhushida:changes:{parse_url(redis_url).get('db', 0)}"


# ---- the process's hub ------------------------------------------------------------------------------

_default: Hub | None = None
_default_caches: list[LocalCache] = []


def _register(cache: LocalCache, hub: Hub | None) -> None:
    (hub.caches if hub is not None else _default_caches).append(cache)


def default_hub() -> Hub:
    global _default
    if _default is None:
        from core.settings import get_settings

        _default = Hub(get_settings().redis_url)
        _default.caches = _default_caches
    return _default


def publish(topic: str, key: Any = None) -> None:
    """Tell every process that ``key`` of ``topic`` changed (call after writing; see module doc)."""
    default_hub().publish(topic, key)


async def start() -> None:
    await default_hub().start()


async def stop() -> None:
    if _default is not None:
        await _default.stop()


async def flush() -> None:
    if _default is not None:
        await _default.flush()


def reset(reason: str = "reset") -> None:
    """Drop every cached entry of this process (tests between cases, operators by hand)."""
    default_hub().reset(reason, quiet=True)
