"""PostgreSQL's connection pool does not reset sessions on release (core.db._keep_session): one
round trip per query fewer. That holds only while code that changes a session restores it, which
these tests hold the feed writer to — after a good import and after one that fails mid-way."""

from __future__ import annotations

import itertools
from contextlib import AsyncExitStack

import pytest

from core.feeds.importer import import_feed
from core.feeds.registry import get_feed
from core.feeds.synthetic import write_feed
from tests.conftest import BACKEND

pytestmark = pytest.mark.skipif(BACKEND != "services", reason="the asyncpg pool is PostgreSQL's")

DEFAULTS = {"synchronous_commit": "on", "enable_hashjoin": "on", "enable_mergejoin": "on"}


async def every_pooled_session() -> list[dict[str, object]]:
    """Settings and temp tables of every connection the pool holds (all acquired at once)."""
    from tortoise import connections

    client = connections.get("default")
    pool = client._pool
    async with AsyncExitStack() as stack:
        conns = [await stack.enter_async_context(pool.acquire()) for _ in range(pool.get_size() or 1)]
        return [
            {**{name: await c.fetchval(f"SHOW {name}") for name in DEFAULTS},
             "temp_tables": await c.fetchval("SELECT count(*) FROM pg_class WHERE relpersistence = 't' "
                                             "AND relname LIKE 'feed_tmp_%' AND pg_table_is_visible(oid)"),
             "in_transaction": c.is_in_transaction()}
            for c in conns
        ]


def clean(session: dict[str, object]) -> bool:
    return all(session[k] == v for k, v in DEFAULTS.items()) and session["temp_tables"] == 0 and not session["in_transaction"]


async def test_release_sends_no_reset_query(database):
    from tortoise import connections

    client = connections.get("default")
    async with client.acquire_connection() as conn:
        await conn.execute("SELECT 1")
        raw = conn._con
        before = raw._protocol.queries_count
    # asyncpg's default reset would have counted one more query on release.
    async with client._pool.acquire() as again:
        pid = again.get_server_pid()
    assert raw._protocol.queries_count == before, "the pool sent a reset query"
    assert pid  # the pool still works


async def test_a_feed_import_leaves_every_pooled_session_as_it_found_it(database, tmp_path):
    spec = get_feed("social_security", "contributions")
    path = tmp_path / "contributions.csv"
    write_feed(path, spec.field_names, itertools.islice(spec.generate(300, 3), 300), "csv")
    await import_feed(spec, path)  # first load: COPY straight into the table
    await import_feed(spec, path)  # again: through the session's temp table and the merge
    sessions = await every_pooled_session()
    assert sessions and all(map(clean, sessions)), sessions


async def test_a_writer_that_fails_to_open_restores_its_session(database):
    from core.feeds.writer import Upserter

    writer = Upserter.for_current_database("ss_contribution", ["no_such_column"], ["no_such_column"], None)
    with pytest.raises(Exception):  # noqa: B017 - the database's own refusal of the unknown column
        await writer.open()  # fails after it changed the session's settings
    sessions = await every_pooled_session()
    assert sessions and all(map(clean, sessions)), sessions


async def test_a_writer_closed_inside_an_aborted_transaction_restores_its_session(database):
    from core.feeds.writer import Upserter

    writer = Upserter.for_current_database("ss_contribution", ["period"], ["period"], None)
    await writer.open()
    await writer.conn.execute("BEGIN")
    with pytest.raises(Exception):  # noqa: B017 - any refusal: the transaction is aborted after it
        await writer.conn.execute("SELECT no_such_column FROM ss_contribution")
    await writer.close()
    sessions = await every_pooled_session()
    assert sessions and all(map(clean, sessions)), sessions
