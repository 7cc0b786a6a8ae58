"""Streaming import of one feed file: parse beside the database, upsert in batches, report.

The file is parsed batch by batch in a producer — two forked processes (one per half of the file)
for big files on PostgreSQL, a thread otherwise — while the previous batch is being written, so
Python parsing and database work overlap and at most a few batches are in memory whatever the
file size. (A thread alone
overlaps little: parsing and encoding both need the GIL.) A bad row is counted and reported with
its line number and reason — the import never stops for one row. Within a batch the last row of
a key wins, as it would across batches.
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import datetime as dt
import gc
import io
import multiprocessing
import os
import pickle
import queue as queue_mod
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from tortoise import Tortoise
from tqdm import tqdm

from core import changes
from core.feeds.convert import BatchConverter
from core.feeds.copyformat import CopyCodec, split_rows
from core.feeds.reader import SOURCES, FileRange, csv_header, guess_format, split_point
from core.feeds.spec import FORMATS, FeedSpec
from core.feeds.writer import Upserter

MAX_REPORTED = 1000  # rejections kept in the report; all of them go to the rejects file
DEFAULT_BATCH = 10_000
PROCESS_THRESHOLD_BYTES = 8 * 1024 * 1024  # below this, forking costs more than it saves
FIRST_PART = 0.6  # share of a big file parsed by the first of the two parser processes


@dataclass
class ImportReport:
    feed: str
    path: str
    format: str
    read: int = 0
    accepted: int = 0
    inserted: int = 0
    updated: int = 0
    rejected: int = 0
    seconds: float = 0.0
    rejections: list[tuple[int, str]] = field(default_factory=list)

    @property
    def unchanged(self) -> int:
        return self.accepted - self.inserted - self.updated

    @property
    def superseded(self) -> int:
        """Rows replaced by a later row with the same key in the same file."""
        return self.read - self.accepted - self.rejected

    @property
    def rows_per_second(self) -> float:
        return self.read / self.seconds if self.seconds else 0.0

    def reject(self, line: int, reason: str) -> None:
        self.rejected += 1
        if len(self.rejections) < MAX_REPORTED:
            self.rejections.append((line, reason))

    def as_dict(self) -> dict[str, Any]:
        return {
            "feed": self.feed, "path": self.path, "format": self.format, "read": self.read,
            "accepted": self.accepted, "inserted": self.inserted, "updated": self.updated,
            "unchanged": self.unchanged, "superseded": self.superseded, "rejected": self.rejected,
            "seconds": round(self.seconds, 3), "rows_per_second": round(self.rows_per_second),
            "rejections": [list(r) for r in self.rejections],
        }

    def summary(self) -> str:
        return (f"{self.read} rows read: {self.inserted} inserted, {self.updated} updated, "
                f"{self.unchanged} unchanged, {self.rejected} rejected in {self.seconds:.1f}s "
                f"({self.rows_per_second:,.0f} rows/s)")


@dataclass
class Batch:
    """What a producer hands over: accepted rows (tuples, or a COPY payload in ``payload_format``),
    their line numbers, the rows rejected since its previous batch, and how many rows and bytes it
    read since then."""

    lines: list[int]
    rows: list[tuple] | None
    payload: bytes | None
    rejections: list[tuple[int, str]]
    read: int
    advanced: int
    payload_format: str = "text"

    def items(self) -> list[tuple[int, Any]]:
        """(line, row) pairs for a row-by-row replay: a tuple, or a one-row COPY payload."""
        if self.payload is not None:
            return list(zip(self.lines, split_rows(self.payload, self.payload_format), strict=True))
        return list(zip(self.lines, self.rows or [], strict=True))


def table_of(spec: FeedSpec) -> str:
    app_label, _, model_name = spec.model.partition(".")
    try:
        return Tortoise.apps[app_label][model_name]._meta.db_table
    except KeyError:
        raise LookupError(f"feed {spec.name!r}: model {spec.model!r} is not registered") from None


def produce_batches(spec: FeedSpec, path: str, fmt: str, batch_size: int, copy_stamp: str | None,
                    codec: CopyCodec | None, part: tuple[int, int | None, int, list[str] | None] | None = None,
                    ) -> Iterator[Batch]:
    """Read and convert the file, or the ``part`` (start, end, lines before, CSV header) of it, into
    COPY payloads (``codec``) or row tuples (None); pure CPU and file work (runs in a thread or a
    child process)."""
    required = {f.name for f in spec.fields if f.required}
    # COPY payloads carry the import stamp as their last column; tuples for SQLite do not.
    stamp = (copy_stamp,) if copy_stamp else ()
    start, end, line_offset, header = part or (0, None, 0, None)
    raw_range = FileRange(path, start, end)
    with io.BufferedReader(raw_range, 1 << 16) as stream:
        source = SOURCES[fmt](stream, spec.field_names, required, header=header, line_offset=line_offset)
        converter = BatchConverter(spec, source)
        position = start
        for raw in source.batches(batch_size):
            done = converter.convert(raw)
            now = raw_range.tell()
            if codec is None:
                batch = Batch(done.lines, list(zip(*done.columns, strict=True)), None, done.rejections, len(raw.lines),
                              now - position)
            else:
                payload_format, payload = codec.encode(done.columns, stamp)
                batch = Batch(done.lines, None, payload, done.rejections, len(raw.lines), now - position, payload_format)
            yield batch
            position = now
        yield Batch([], None if codec else [], b"" if codec else None, [], 0, raw_range.tell() - position)


def _produce_in_child(args: tuple, out: Any, spool: str | None) -> None:
    """A parser process: batches to the queue, or (the second half of a file) to a spool file
    that the importer reads once the first half is written — parsed in parallel, written in file
    order, so the last row of a key still wins and memory stays flat."""
    # The parent's objects (the app, every plugin) stay as they are: without this, each full
    # collection walks them all again. Batches allocate ~10 containers a row and make no cycles,
    # so young collections are spaced out too (together ~30 % of the parser's time).
    gc.freeze()
    gc.set_threshold(50_000, 20, 20)
    try:
        if spool is None:
            for batch in produce_batches(*args):
                out.put(batch)
        else:
            with open(spool, "wb") as fh:
                for batch in produce_batches(*args):
                    pickle.dump(batch, fh, protocol=pickle.HIGHEST_PROTOCOL)
        out.put(None)
    except BaseException as exc:  # the parent re-raises it
        out.put(exc)


class _Producer:
    """Batches from a thread (small files, SQLite), or from two forked parser processes that
    parse the two halves of a big file at once (PostgreSQL)."""

    def __init__(self, args: tuple, parallel: bool) -> None:
        self.processes: list[Any] = []
        self._spool: str | None = None
        self._spool_file: Any = None
        if not parallel:
            self._iter = produce_batches(*args)
            return
        spec, path, fmt = args[0], args[1], args[2]
        # The first part is written while both parse; the second, spooled, only afterwards with
        # one core idle — so the first part is the larger one.
        cut = split_point(path, fmt, FIRST_PART)
        ctx = multiprocessing.get_context("fork")
        self.queue = ctx.Queue(maxsize=4)  # bounded: memory stays flat if the database is slower
        first = (0, cut[0] if cut else None, 0, None)
        self._start(ctx, (*args, first), self.queue, None)
        self.second_done = None
        if cut:
            header = csv_header(path) if fmt == "csv" else None
            fd, self._spool = tempfile.mkstemp(prefix=f"feed-{spec.name}-", suffix=".spool")
            os.close(fd)
            self.second_done = ctx.Queue(maxsize=1)
            self._start(ctx, (*args, (cut[0], None, cut[1], header)), self.second_done, self._spool)

    def _start(self, ctx: Any, args: tuple, out: Any, spool: str | None) -> None:
        process = ctx.Process(target=_produce_in_child, args=(args, out, spool), daemon=True)
        process.start()
        self.processes.append((process, out))

    @staticmethod
    def _get(process: Any, out: Any) -> Any:
        while True:
            try:
                return out.get(timeout=1.0)
            except queue_mod.Empty:
                if not process.is_alive() and out.empty():
                    return RuntimeError(f"a feed parser process died (exit code {process.exitcode})")

    def _next_blocking(self) -> Batch | BaseException | None:
        if self._spool_file is None:
            item = self._get(*self.processes[0])
            if item is not None or self.second_done is None:
                return item
            done = self._get(*self.processes[1])  # the second half: parsed meanwhile, spooled
            if done is not None:
                return done
            self._spool_file = open(self._spool, "rb")  # noqa: SIM115 - closed in close()
        try:
            return pickle.load(self._spool_file)
        except EOFError:
            return None

    async def next(self) -> Batch | None:
        if not self.processes:
            return await asyncio.to_thread(next, self._iter, None)
        item = await asyncio.to_thread(self._next_blocking)
        if isinstance(item, BaseException):
            raise item
        return item

    def close(self) -> None:
        for process, _out in self.processes:
            if process.is_alive():
                process.terminate()
            process.join(timeout=5)
        if self._spool_file is not None:
            self._spool_file.close()
        if self._spool:
            with contextlib.suppress(OSError):
                os.unlink(self._spool)


async def import_feed(
    spec: FeedSpec,
    path: str | os.PathLike[str],
    *,
    fmt: str | None = None,
    batch_size: int = DEFAULT_BATCH,
    progress: bool = False,
    rejects_path: str | os.PathLike[str] | None = None,
    parallel: bool | None = None,
) -> ImportReport:
    """Import ``path`` into the feed's model; raises only when the file as a whole is unusable.

    ``parallel``: parse in a separate process (default: for files over 8 MB on PostgreSQL).
    """
    path = os.fspath(path)
    fmt = fmt or guess_format(path)
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {FORMATS}")
    report = ImportReport(spec.name, path, fmt)
    started = time.perf_counter()
    upserter = Upserter.for_current_database(table_of(spec), spec.columns, spec.key, spec.stamp_column)
    size = os.path.getsize(path)
    if parallel is None:
        parallel = upserter.encodes_copy and size >= PROCESS_THRESHOLD_BYTES
    stamp = dt.datetime.now(dt.UTC).isoformat() if spec.stamp_column and upserter.encodes_copy else None
    await upserter.open()  # first: the parser processes need the COPY codec (the columns' types)
    try:
        producer = _Producer((spec, path, fmt, batch_size, stamp, upserter.codec), parallel=parallel)
    except BaseException:
        await upserter.close()
        raise
    rejects_file = open(rejects_path, "w", newline="", encoding="utf-8") if rejects_path else None  # noqa: SIM115
    rejects = csv.writer(rejects_file) if rejects_file else None
    if rejects:
        rejects.writerow(["line", "reason"])

    def reject(line: int, reason: str) -> None:
        report.reject(line, reason)
        if rejects:
            rejects.writerow([line, reason])

    bar = tqdm(total=size, unit="B", unit_scale=True, desc=spec.name, disable=not progress)
    writing: asyncio.Task | None = None
    try:
        try:
            while True:
                # The next batch is parsed while the previous one is being written.
                batch = await producer.next()
                if writing is not None:
                    await writing
                    writing = None
                if batch is None:
                    break
                report.read += batch.read
                for line, reason in batch.rejections:
                    reject(line, reason)
                bar.update(batch.advanced)
                bar.set_postfix(rows=report.read, rejected=report.rejected, refresh=False)
                if batch.lines:
                    writing = asyncio.create_task(_write(upserter, batch, report, reject))
        finally:
            if writing is not None:
                writing.cancel()
                await asyncio.gather(writing, return_exceptions=True)
            await upserter.close()
    finally:
        producer.close()
        bar.close()
        if rejects_file:
            rejects_file.close()
    report.inserted, report.updated = upserter.inserted, upserter.updated
    report.seconds = time.perf_counter() - started
    changes.publish("widgets")  # plugins' home widgets read these rows
    return report


async def _write(upserter: Upserter, batch: Batch, report: ImportReport, reject: Any) -> None:
    try:
        await upserter.write(batch.payload if batch.payload is not None else batch.rows, len(batch.lines),
                             batch.payload_format)
        report.accepted += len(batch.lines)
        return
    except Exception as exc:  # the database refused the batch: find the offending rows one by one
        if _is_connection_error(exc):
            raise
    for line, item in batch.items():
        try:
            await upserter.write_one(item, batch.payload_format)
            report.accepted += 1
        except Exception as exc:
            if _is_connection_error(exc):
                raise
            reject(line, f"refused by the database ({type(exc).__name__}: {str(exc).splitlines()[0][:200]})")


def _is_connection_error(exc: BaseException) -> bool:
    """Lost connections stop the import; only refusals of a row's data are row rejections."""
    import asyncpg

    return isinstance(exc, asyncpg.PostgresConnectionError | asyncpg.InterfaceError | ConnectionError | OSError)
