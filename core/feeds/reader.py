"""Streaming sources: rows a batch at a time, never the whole file in memory.

CSV needs a header line naming the fields (UTF-8, optionally with a BOM as spreadsheet exports
have); JSON lines need one object per line. A source yields batches of raw rows (a cell list per
CSV record, a dict per JSON line — or a :class:`RowRejected` for a line that cannot be read at
all) with their line numbers, blank lines left out; it says how a field's value is read from one
raw row (compiled into the row-by-row converter) and from a batch (``columns``, for the batch
converter).
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Iterator, Sequence
from itertools import islice, repeat
from typing import Any, BinaryIO

from core.feeds.spec import RowRejected


class FeedFormatError(ValueError):
    """The file as a whole cannot be read as this feed (unknown format, missing header fields)."""


def guess_format(path: str) -> str:
    lowered = path.lower()
    if lowered.endswith((".jsonl", ".ndjson")):
        return "jsonl"
    if lowered.endswith(".csv"):
        return "csv"
    raise FeedFormatError(f"cannot tell the format of {path!r}: name it .csv or .jsonl, or pass --format")


def _text(stream: BinaryIO) -> io.TextIOWrapper:
    # utf-8-sig drops a BOM; undecodable bytes become U+FFFD and fail the field's parser, not the file.
    return io.TextIOWrapper(stream, encoding="utf-8-sig", errors="replace", newline="")


class CsvSource:
    """Rows are cell lists; ``width`` cells each (the converter checks, a blank line is skipped)."""

    empty_test = 'v == ""'

    def __init__(self, stream: BinaryIO, fields: Sequence[str], required: set[str], *,
                 header: list[str] | None = None, line_offset: int = 0) -> None:
        # ``header`` and ``line_offset``: reading a later part of the file (parallel parsing).
        self._reader = csv.reader(_text(stream))
        self._offset = line_offset
        if header is None:
            try:
                header = [h.strip() for h in next(self._reader)]
            except StopIteration:
                header = []
        missing = required - set(header)
        if header and missing:
            raise FeedFormatError(f"the CSV header lacks field(s): {', '.join(sorted(missing))}")
        self.width = len(header)
        position = {name: i for i, name in enumerate(header)}
        # A field absent from the header (only optional ones may be) reads as an empty cell.
        self.positions = [position.get(name) for name in fields]
        self.access = [f"row[{position[name]}]" if name in position else '""' for name in fields]
        self.rows: Iterator[Any] = self._reader if header else iter(())

    def batches(self, size: int) -> Iterator[tuple[list[Any], list[int]]]:
        """``(records, line numbers)``; a record's line is the last physical line it spans."""
        reader, rows = self._reader, self.rows
        while True:
            before = reader.line_num
            batch = list(islice(rows, size))  # the C reader, no Python code per record
            if not batch:
                return
            first = self._offset + before
            if reader.line_num - before == len(batch):
                lines = list(range(first + 1, first + 1 + len(batch)))
            else:  # quoted fields spanning lines: count the line breaks they hold
                lines, at = [], first
                for record in batch:
                    at += 1 + sum(v.count("\n") + v.count("\r") - v.count("\r\n") for v in record)
                    lines.append(at)
            if [] in batch:  # blank lines are not rows
                kept = [(r, n) for r, n in zip(batch, lines, strict=True) if r]
                batch, lines = [r for r, _ in kept], [n for _, n in kept]
            yield batch, lines

    def columns(self, rows: list[Any]) -> list[Sequence[Any]]:
        """Each field's values for records of the header's width, in field order."""
        cells = list(zip(*rows, strict=True)) if rows else [()] * self.width
        return [cells[i] if i is not None else ("",) * len(rows) for i in self.positions]

    def well_formed(self, rows: list[Any]) -> bool:
        return set(map(len, rows)) <= {self.width}

    def line(self) -> int:
        return self._offset + self._reader.line_num


class JsonlSource:
    """Rows are dicts (or RowRejected for a line that is not a JSON object)."""

    empty_test = 'v is None or v == ""'
    width = None

    def __init__(self, stream: BinaryIO, fields: Sequence[str], required: set[str], *,
                 header: list[str] | None = None, line_offset: int = 0) -> None:
        self._offset = line_offset
        self.access = [f"row.get({name!r})" for name in fields]
        self._fields = tuple(fields)
        self._textio = _text(stream)  # held here: a collected wrapper would close the file

    def batches(self, size: int) -> Iterator[tuple[list[Any], list[int]]]:
        number = self._offset
        while True:
            texts = list(islice(self._textio, size))
            if not texts:
                return
            try:  # the usual case: every line one object, decoded without Python code per line
                rows = list(map(json.loads, texts))
                if set(map(type, rows)) == {dict}:
                    yield rows, list(range(number + 1, number + 1 + len(rows)))
                    number += len(texts)
                    continue
            except (ValueError, RecursionError):  # a bad (or blank) line: line by line below
                pass
            rows, lines = [], []
            for raw in texts:
                number += 1
                if raw.strip():
                    rows.append(_json_row(raw))
                    lines.append(number)
            yield rows, lines

    def columns(self, rows: list[Any]) -> list[Sequence[Any]]:
        return [list(map(dict.get, rows, repeat(name))) for name in self._fields]

    @staticmethod
    def well_formed(rows: list[Any]) -> bool:
        return set(map(type, rows)) <= {dict}


def _json_row(raw: str) -> Any:
    try:
        value = json.loads(raw)
    except (ValueError, RecursionError) as exc:
        return RowRejected(f"not valid JSON ({getattr(exc, 'msg', exc)})")
    return value if isinstance(value, dict) else RowRejected("a line must hold one JSON object")


SOURCES = {"csv": CsvSource, "jsonl": JsonlSource}


def csv_header(path: str) -> list[str]:
    with open(path, "rb") as stream:
        try:
            return [h.strip() for h in next(csv.reader(_text(stream)))]
        except StopIteration:
            return []


def split_point(path: str, fmt: str, fraction: float = 0.5) -> tuple[int, int] | None:
    """Where a file can be cut in two for parallel parsing: ``(byte offset, lines before it)``.

    The cut is at a line end near ``fraction`` of the file; for CSV, only where the number of quote characters
    before it is even (RFC 4180 doubles quotes inside quoted fields), so never inside a quoted
    field that spans lines. None when there is no such place.
    """
    size = os.path.getsize(path)
    middle = int(size * fraction)
    quotes = newlines = position = 0
    with open(path, "rb") as stream:
        while position < middle:
            chunk = stream.read(min(1 << 20, middle - position))
            if not chunk:
                return None
            quotes += chunk.count(b'"')
            newlines += chunk.count(b"\n")
            position += len(chunk)
        while True:
            line = stream.readline()
            if not line:
                return None
            quotes += line.count(b'"')
            newlines += line.count(b"\n")
            position += len(line)
            if (fmt != "csv" or quotes % 2 == 0) and position < size:
                return position, newlines


class FileRange(io.RawIOBase):
    """Bytes ``start``..``end`` of a file as a stream; ``tell()`` is the absolute position."""

    def __init__(self, path: str, start: int, end: int | None) -> None:
        self._file = open(path, "rb", buffering=0)  # noqa: SIM115 - closed with this stream
        self._file.seek(start)
        self._position, self._end = start, end

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        wanted = len(buffer) if self._end is None else min(len(buffer), self._end - self._position)
        if wanted <= 0:
            return 0
        data = self._file.read(wanted)
        buffer[:len(data)] = data
        self._position += len(data)
        return len(data)

    def tell(self) -> int:
        return self._position

    def close(self) -> None:
        self._file.close()
        super().close()
