"""Bulk upsert of one batch of rows, per database dialect.

PostgreSQL: the batch arrives already encoded for COPY, binary or text (core.feeds.copyformat: the
parser process encodes it, so this process only moves bytes). It is COPYed into a session temp table and merged with one
``INSERT ... SELECT ... ON CONFLICT (key) DO UPDATE`` — COPY speed for the transfer, one statement
for the merge, and rows whose values did not change are left alone (no dead tuples on a re-import
of the same export). Into an empty table (a first load) batches are COPYed straight into the
target; the first key conflict rolls that batch back and switches to the merge for the rest of
the import. SQLite: ``executemany`` of the same upsert in one transaction.

A batch is one transaction: if the database refuses it (a value the parsers let through but a
constraint does not), the importer replays the batch row by row so only the offending rows are
rejected.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import asyncpg
from tortoise import connections

from core.feeds.copyformat import CopyCodec


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class Upserter:
    """Writes batches into ``table`` keyed by ``key``; ``columns`` in the order of each row."""

    encodes_copy = False  # True: batches arrive as COPY text payloads, not row tuples

    def __init__(self, table: str, columns: Sequence[str], key: Sequence[str], stamp_column: str | None) -> None:
        self.table, self.columns, self.key, self.stamp = table, tuple(columns), tuple(key), stamp_column
        self.client = connections.get("default")
        self.inserted = 0
        self.updated = 0
        self.codec: CopyCodec | None = None  # set by open() where batches come encoded for COPY

    @staticmethod
    def for_current_database(table: str, columns: Sequence[str], key: Sequence[str], stamp_column: str | None) -> Upserter:
        dialect = connections.get("default").capabilities.dialect
        cls = PostgresUpserter if dialect == "postgres" else SqliteUpserter
        return cls(table, columns, key, stamp_column)

    @property
    def all_columns(self) -> tuple[str, ...]:
        return self.columns + ((self.stamp,) if self.stamp else ())

    @property
    def value_columns(self) -> list[str]:
        return [c for c in self.columns if c not in self.key]

    def conflict_clause(self, excluded: str, changed_test: str) -> str:
        """``ON CONFLICT (key) DO UPDATE SET ... WHERE <a value changed>`` (or DO NOTHING)."""
        keys = ", ".join(map(_q, self.key))
        if not self.value_columns:
            return f"ON CONFLICT ({keys}) DO NOTHING"
        sets = ", ".join(f"{_q(c)} = {excluded}.{_q(c)}" for c in self.value_columns + ([self.stamp] if self.stamp else []))
        return f"ON CONFLICT ({keys}) DO UPDATE SET {sets} WHERE {changed_test}"

    async def open(self) -> None: ...

    async def close(self) -> None: ...


class PostgresUpserter(Upserter):
    encodes_copy = True

    async def open(self) -> None:
        self._cm = self.client.acquire_connection()
        self.conn = await self._cm.__aenter__()
        try:
            await self._prepare()
        except BaseException:
            await self.close()  # the session settings are reset before the connection goes back
            raise

    async def _prepare(self) -> None:
        # A batch's COMMIT need not wait for its WAL flush: if the server crashes, the last batches
        # may be lost (never half of one), and re-running the import restores them — it upserts.
        # The merge probes the key's index once per row; without the join settings, a batch of
        # some 20,000 rows already makes the planner hash-join a full scan of the target table.
        await self.conn.execute("SET synchronous_commit = off; SET enable_hashjoin = off; SET enable_mergejoin = off")
        self.tmp = f"feed_tmp_{self.table}"[:63]
        self.direct = await self.conn.fetchval(f"SELECT NOT EXISTS (SELECT 1 FROM {_q(self.table)})")
        types = dict(await self.conn.fetch(
            "SELECT attname, format_type(atttypid, NULL) FROM pg_attribute "
            "WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped", _q(self.table)))
        self.codec = CopyCodec([types.get(c, "?") for c in self.all_columns])
        cols = ", ".join(map(_q, self.all_columns))
        # A temp table of exactly the written columns' types, emptied at every commit.
        await self.conn.execute(f"DROP TABLE IF EXISTS {_q(self.tmp)}")
        await self.conn.execute(
            f"CREATE TEMP TABLE {_q(self.tmp)} ON COMMIT DELETE ROWS AS SELECT {cols} FROM {_q(self.table)} WITH NO DATA"
        )

        def values(alias: str) -> str:
            return "(" + ", ".join(f"{alias}.{_q(c)}" for c in self.value_columns) + ")"

        # Rows already stored with the same values are left out before the upsert: ON CONFLICT
        # DO UPDATE ... WHERE would lock each of them (a WAL record and a dirtied page per row),
        # which on a re-import of an unchanged export is most of the work.
        unchanged = " AND ".join([f"c.{_q(k)} = s.{_q(k)}" for k in self.key]
                                 + ([f"{values('c')} IS NOT DISTINCT FROM {values('s')}"] if self.value_columns else []))
        changed = f"{values('t')} IS DISTINCT FROM {values('EXCLUDED')}"
        self.merge_sql = (
            f"WITH w AS (INSERT INTO {_q(self.table)} AS t ({cols}) SELECT {cols} FROM {_q(self.tmp)} s "
            f"WHERE NOT EXISTS (SELECT FROM {_q(self.table)} c WHERE {unchanged}) "
            f"{self.conflict_clause('EXCLUDED', changed)} RETURNING (xmax = 0) AS ins) "
            f"SELECT count(*) FILTER (WHERE ins) AS inserted, count(*) FILTER (WHERE NOT ins) AS updated FROM w"
        )

    async def close(self) -> None:
        # The pool does not reset sessions (core.db._keep_session): restore them here, or close.
        try:
            if self.conn.is_in_transaction():
                await self.conn.execute("ROLLBACK")
            await self.conn.execute(f"DROP TABLE IF EXISTS {_q(f'feed_tmp_{self.table}'[:63])}; "
                                    "RESET synchronous_commit; RESET enable_hashjoin; RESET enable_mergejoin")
        except BaseException:
            self.conn.terminate()
            raise
        finally:
            await self._cm.__aexit__(None, None, None)

    async def _copy(self, table: str, payload: bytes, fmt: str) -> None:
        # The buffer itself (bytes would be taken for a path). A file-like source makes asyncpg read it
        # in executor threads through a class it defines per call, which sits in a reference cycle
        # with the payload until a full collection — rare in this process: memory grew with the file.
        await self.conn.copy_to_table(table, source=memoryview(payload), columns=list(self.all_columns), format=fmt)

    async def write(self, payload: bytes, count: int, fmt: str = "text") -> None:
        if self.direct:
            try:
                await self._copy(self.table, payload, fmt)  # one statement: its own transaction, no BEGIN/COMMIT trips
                self.inserted += count
                return
            except asyncpg.UniqueViolationError:
                self.direct = False  # rows exist now: merge from here on
        async with self.conn.transaction():
            await self._copy(self.tmp, payload, fmt)
            result = await self.conn.fetchrow(self.merge_sql)
        self.inserted += result["inserted"]
        self.updated += result["updated"]

    async def write_one(self, row: bytes, fmt: str = "text") -> None:
        self.direct = False
        await self.write(row, 1, fmt)


class SqliteUpserter(Upserter):
    async def open(self) -> None:
        table = _q(self.table)
        changed = "NOT (" + " AND ".join(f"{table}.{_q(c)} IS excluded.{_q(c)}" for c in self.value_columns) + ")"
        self.sql = (f"INSERT INTO {table} ({', '.join(map(_q, self.all_columns))}) "
                    f"VALUES ({', '.join('?' for _ in self.all_columns)}) {self.conflict_clause('excluded', changed)}")
        self.before = await self._count()
        self.changes = 0
        self.stamp_value = (dt.datetime.now(dt.UTC),) if self.stamp else ()

    async def _count(self) -> int:
        rows = await self.client.execute_query_dict(f"SELECT count(*) AS n FROM {_q(self.table)}")
        return int(rows[0]["n"])

    async def write(self, rows: list[tuple], count: int, fmt: str = "") -> None:
        params: list[Any] = [row + self.stamp_value for row in rows]
        async with self.client.acquire_connection() as conn:
            start = conn.total_changes
            await conn.execute("BEGIN")
            try:
                await conn.executemany(self.sql, params)
            except Exception:
                await conn.rollback()
                raise
            await conn.commit()
            self.changes += conn.total_changes - start

    async def write_one(self, row: tuple, fmt: str = "") -> None:
        await self.write([row], 1)

    async def close(self) -> None:
        self.inserted = await self._count() - self.before
        self.updated = self.changes - self.inserted
