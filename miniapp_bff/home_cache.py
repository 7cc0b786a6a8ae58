"""The home screen of each session, kept encoded in this process until something on it changes.

A home answer is the same bytes until the person's card, messages, cases, services or widgets
change, and phones ask for it far more often than that. So each (session, channel, mode,
language) answer is built once (:func:`miniapp_bff.home.assemble`), encoded with its ETag, and
kept in a :class:`core.changes.LocalCache` tagged with what it was built from:

* ``session`` (the session id): log-out, refresh, a changed principal (level, region);
* ``account`` (the signed-in person, and the grantor when acting for one): new or read messages,
  any case event of theirs, card issued / frozen / replaced, services used (frequent first);
* ``card`` (the card shown): debits, refunds, top-ups, fees;
* ``grant``: the relatives' grant the session acts under ends;
* ``catalogue`` and ``widgets`` (everyone's): enablement changed, a department feed imported.

Each of those is published by the code that commits the change (:func:`core.changes.publish`),
and reaches every app process. Plugin widgets change with the department's own data, which not
every plugin announces: an answer is therefore kept at most :data:`HOME_TTL` seconds, which is
how stale a widget can be. An answer with a degraded section is not kept (the next request
retries the section).
"""

from __future__ import annotations

import asyncio
from typing import Any

from core import changes
from core.auth import Principal
from core.plugins.host import PluginHost
from miniapp_bff.channels import Screen
from miniapp_bff.http_cache import CachedJSON

HOME_TTL = 30.0
ENTRIES = 50_000  # per process; an answer is 1-4 KiB
TOPICS = ("session", "account", "card", "grant", "catalogue", "widgets")

_answers = changes.LocalCache("bff.home", topics=TOPICS, ttl=HOME_TTL, max_entries=ENTRIES)
_building: dict[tuple[str, str, str, str], tuple[asyncio.Future, int]] = {}


async def home_answer(principal: Principal, screen: Screen, host: PluginHost) -> CachedJSON:
    """The encoded home screen of ``principal`` as ``screen`` shows it."""
    key = (principal.session_id, screen.channel, screen.mode, screen.lang)
    answer = _answers.get(key)
    if answer is not None:
        return answer
    if not principal.session_id:
        return (await _build(principal, screen, host))[0]
    pending = _building.get(key)
    if pending is not None and pending[1] == _answers.ticket():
        # The same screen asked for twice at once, nothing changed since the first began: share it.
        return await asyncio.shield(pending[0])
    ticket = _answers.ticket()
    entry = (asyncio.get_running_loop().create_future(), ticket)
    _building[key] = entry
    try:
        answer, tags = await _build(principal, screen, host)
        if tags is not None:
            _answers.put(key, answer, tags, ticket)
        entry[0].set_result(answer)
        return answer
    except BaseException as exc:
        entry[0].set_exception(exc)
        entry[0].exception()  # retrieved: no "never retrieved" warning when nobody else waited
        raise
    finally:
        if _building.get(key) is entry:
            del _building[key]


async def _build(principal: Principal, screen: Screen, host: PluginHost) -> tuple[CachedJSON, list[Any] | None]:
    """The answer, and the tags to keep it under (None: do not keep it)."""
    from miniapp_bff.context import subject_region
    from miniapp_bff.home import HomeContext, assemble
    from miniapp_bff.home_sections import sections_for

    region = await subject_region(principal)
    ctx = HomeContext(principal, screen, region, host)
    body: dict[str, Any] = await assemble(ctx, sections_for(screen))
    body["acting_for"] = principal.acting_for
    body["region_code"] = region
    tags = [changes.tag("session", principal.session_id), changes.tag("account", principal.account_id)]
    if principal.acting_for is not None:
        tags.append(changes.tag("account", principal.acting_for))
    if principal.proxy_grant_id is not None:
        tags.append(changes.tag("grant", principal.proxy_grant_id))
    tags.extend(changes.tag("card", card_id) for card_id in ctx.extras.get("card_ids", ()))
    return CachedJSON(body), None if body["degraded"] else tags


def forget() -> None:
    """Drop this process's answers (tests)."""
    _answers.clear()
