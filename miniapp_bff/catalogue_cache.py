"""The catalogue as each region and channel sees it, cached in the shared store (Redis in
production) and in each process's memory, and dropped at once, in every app process, when an
operator changes enablement.

Shared entries are keyed by a *generation* token kept in the store: :func:`invalidate` replaces
it, so entries of the old generation are never read again (they expire on their own). Each
process also keeps the decoded entries in a :class:`core.changes.LocalCache`, served without any
round trip; :func:`invalidate` publishes the ``catalogue`` change, which empties that cache in
every app process (Redis pub/sub), and a process whose subscription is down does not cache at all
(it reads the generation and the shared entry each time, as every process did before).

Who invalidates: the catalogue broadcasts ``zhushida_catalogue_changed`` after an enablement
change commits (the BFF's plugin implements it), and ``zhushida bff invalidate-catalogue`` does
it by hand. Entries (shared and local) also expire after :data:`ENTRY_TTL`, which bounds how long
a change made without the event (a script writing the table) can stay unseen.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Awaitable, Callable
from typing import Any

import msgspec

from core import changes
from core.stores import KeyValue, Stores, get_stores

log = logging.getLogger("zhushida.bff")

NAMESPACE = "bff.catalogue"
ENTRY_TTL = 120
LOCAL_ENTRIES = 512  # per process; a city has a few hundred regions x 2 channels

Builder = Callable[[], Awaitable[Any]]


def _store(stores: Stores | None = None) -> KeyValue:
    return (stores or get_stores())(NAMESPACE)


_local = changes.LocalCache("bff.catalogue", topics=("catalogue",), ttl=ENTRY_TTL, max_entries=LOCAL_ENTRIES)


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
    changes.publish("catalogue")  # every process's local copies, and the home screens built on them
    log.info("bff catalogue cache invalidated (%s)", reason or "no reason given")
    return token


async def cached(key: str, build: Builder) -> Any:
    """The value of ``key`` in the current generation, built by ``build()`` on a miss.

    ``build`` must return JSON-able data that depends only on ``key`` (region, channel, language
    — never on the user).
    """
    value = _local.get(key)
    if value is not None:
        return value
    ticket = _local.ticket()
    full = f"{await generation()}:{key}"
    store = _store()
    raw = await store.get(full)
    if raw is not None:
        value = msgspec.json.decode(raw)
    else:
        value = await build()
        await store.set(full, msgspec.json.encode(value), expires_in=ENTRY_TTL)
    _local.put(key, value, [changes.tag("catalogue")], ticket)
    return value


def forget_local() -> None:
    """Forget this process's copies (tests that swap the store under it)."""
    _local.clear()
