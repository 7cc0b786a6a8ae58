"""The catalogue as each region and channel sees it, cached in the shared store (Redis in
production) and dropped at once, in every app process, when an operator changes enablement.

Correctness comes from a *generation*: every cached entry's key carries the current generation
token, and :func:`invalidate` replaces the token. Entries of the old generation are then never
read again (they expire on their own). Each lookup costs one read of the generation from the
shared store; the encoded entry itself is kept in this process's memory as well, so a hot
catalogue is served without decoding, while a generation change is seen by every process on its
next request.

Who invalidates: the catalogue broadcasts ``zhushida_catalogue_changed`` after an enablement
change commits (the BFF's plugin implements it), and ``zhushida bff invalidate-catalogue`` does
it by hand. Entries (shared and local) also expire after :data:`ENTRY_TTL`, which bounds how long
a change made without the event (a script writing the table) can stay unseen.
"""

from __future__ import annotations

import logging
import secrets
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any

import msgspec

from core.stores import KeyValue, Stores, get_stores

log = logging.getLogger("zhushida.bff")

NAMESPACE = "bff.catalogue"
ENTRY_TTL = 120
LOCAL_ENTRIES = 512  # per process; a city has a few hundred regions x 2 channels

Builder = Callable[[], Awaitable[Any]]


def _store(stores: Stores | None = None) -> KeyValue:
    return (stores or get_stores())(NAMESPACE)


class _LocalCopies:
    """This process's decoded copies, keyed by the full (generation-bearing) key; LRU-bounded."""

    def __init__(self, limit: int, ttl: float = ENTRY_TTL) -> None:
        self.limit = limit
        self.ttl = ttl
        self.data: OrderedDict[str, tuple[float, Any]] = OrderedDict()

    def get(self, key: str) -> Any:
        entry = self.data.get(key)
        if entry is None:
            return None
        if entry[0] <= time.monotonic():
            del self.data[key]
            return None
        self.data.move_to_end(key)
        return entry[1]

    def put(self, key: str, value: Any) -> None:
        self.data[key] = (time.monotonic() + self.ttl, value)
        self.data.move_to_end(key)
        while len(self.data) > self.limit:
            self.data.popitem(last=False)

    def clear(self) -> None:
        self.data.clear()


_local = _LocalCopies(LOCAL_ENTRIES)


async def generation() -> str:
    store = _store()
    raw = await store.get("gen")
    if raw is None:
        token = secrets.token_hex(8)
        await store.set("gen", token)
        return token
    return raw.decode()


async def invalidate(reason: str = "", *, stores: Stores | None = None) -> str:
    """Drop every cached catalogue (all regions, channels, languages) in every process."""
    token = secrets.token_hex(8)
    await _store(stores).set("gen", token)
    _local.clear()
    log.info("bff catalogue cache invalidated (%s)", reason or "no reason given")
    return token


async def cached(key: str, build: Builder) -> Any:
    """The value of ``key`` in the current generation, built by ``build()`` on a miss.

    ``build`` must return JSON-able data that depends only on ``key`` (region, channel, language
    — never on the user).
    """
    gen = await generation()
    full = f"{gen}:{key}"
    value = _local.get(full)
    if value is not None:
        return value
    store = _store()
    raw = await store.get(full)
    if raw is not None:
        value = msgspec.json.decode(raw)
    else:
        value = await build()
        await store.set(full, msgspec.json.encode(value), expires_in=ENTRY_TTL)
    _local.put(full, value)
    return value


def forget_local() -> None:
    """Forget this process's copies (tests that swap the store under it)."""
    _local.clear()
