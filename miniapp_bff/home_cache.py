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
how stale a widget can be. An answer with a degraded section (a late or failing read) is kept
only :data:`DEGRADED_TTL` seconds, so a department that is down costs each phone one wait, not
one per request.

A kept answer is sent by :func:`serve_kept`, a middleware of the home route that runs after
routing and authentication but before Litestar builds a Request: it checks what the route's
guard and handler check (a citizen, a token of this channel) and answers from memory, or passes
the request on to the handler, which builds (and keeps) the answer.

At most :data:`BUILDS` answers are built at once per process (each runs its sections
concurrently): after a restart or a catalogue change, hundreds of phones ask together, and all of
them building at once would push every build past its time budget, so none would be kept.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from litestar.types import ASGIApp, Receive, Scope, Send

from core import changes
from core.auth import Principal
from core.plugins.host import PluginHost
from miniapp_bff.channels import CHANNELS, Screen, raw_screen
from miniapp_bff.http_cache import CachedJSON

HOME_TTL = 30.0
DEGRADED_TTL = 5.0
BUILDS = 4
ENTRIES = 20_000  # per process; an answer is 1-4 KiB
TOPICS = ("session", "account", "card", "grant", "catalogue", "widgets")

_answers = changes.LocalCache("bff.home", topics=TOPICS, ttl=HOME_TTL, max_entries=ENTRIES)
_building: dict[tuple[str, str, str, str], tuple[asyncio.Future, int]] = {}
_slots: dict[asyncio.AbstractEventLoop, asyncio.Semaphore] = {}


def serve_kept(app: ASGIApp) -> ASGIApp:
    """Route middleware of ``GET /bff/{channel}/home``: a kept answer without the handler."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        principal = scope.get("user")
        channel = scope["path_params"].get("channel")
        # Exactly what the guard (a citizen) and the handler (a known channel, the token's own)
        # require; anything else goes on to them, which answer the error.
        if isinstance(principal, Principal) and principal.kind == "citizen" and principal.session_id \
                and channel in CHANNELS and (principal.channel == channel or principal.channel not in CHANNELS):
            headers = scope["headers"]
            screen = raw_screen(channel, headers, scope.get("query_string", b""))
            answer = _answers.get((principal.session_id, channel, screen.mode, screen.lang))
            if answer is not None:
                if_none_match = next((v.decode("latin-1") for k, v in headers if k == b"if-none-match"), None)
                await answer.answer_to(if_none_match)(scope, receive, send)
                return
        await app(scope, receive, send)

    return middleware


async def home_answer(principal: Principal, screen: Screen, host: PluginHost) -> CachedJSON:
    """The encoded home screen of ``principal`` as ``screen`` shows it."""
    key = (principal.session_id, screen.channel, screen.mode, screen.lang)
    answer = _answers.get(key)
    if answer is not None:
        return answer
    if not principal.session_id:
        return (await _build(principal, screen, host)).answer
    pending = _building.get(key)
    if pending is not None and pending[1] == _answers.ticket():
        # The same screen asked for twice at once, nothing changed since the first began: share it.
        return await asyncio.shield(pending[0])
    ticket = _answers.ticket()
    entry = (asyncio.get_running_loop().create_future(), ticket)
    _building[key] = entry
    try:
        built = await _build(principal, screen, host)
        _answers.put(key, built.answer, built.tags, built.ticket, ttl=DEGRADED_TTL if built.degraded else None)
        entry[0].set_result(built.answer)
        return built.answer
    except BaseException as exc:
        entry[0].set_exception(exc)
        entry[0].exception()  # retrieved: no "never retrieved" warning when nobody else waited
        raise
    finally:
        if _building.get(key) is entry:
            del _building[key]


@dataclass(frozen=True, slots=True)
class _Built:
    answer: CachedJSON
    tags: list[changes.Tag]  # what it was read from
    ticket: int  # taken before the first read
    degraded: bool  # a section is missing


async def _build(principal: Principal, screen: Screen, host: PluginHost) -> _Built:
    from miniapp_bff.context import subject_region
    from miniapp_bff.home import HomeContext, assemble
    from miniapp_bff.home_sections import sections_for

    loop = asyncio.get_running_loop()
    slots = _slots.get(loop) or _slots.setdefault(loop, asyncio.Semaphore(BUILDS))
    async with slots:
        ticket = _answers.ticket()
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
    return _Built(CachedJSON(body), tags, ticket, bool(body["degraded"]))


def forget() -> None:
    """Drop this process's answers (tests)."""
    _answers.clear()
