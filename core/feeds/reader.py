"""Streaming sources: records a batch at a time, never the whole file in memory.

CSV needs a header line naming the fields (UTF-8, optionally with a BOM as spreadsheet exports
have; core.feeds.csv_source); JSON lines need one object per line. A source yields
:class:`RawBatch` es (records with their line numbers, blank lines left out); it says how a
field's value is read from one raw record (``access``, compiled into the row-by-row converter)
and from a batch (``columns``, for the batch converter).
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Iterator, Sequence
from itertools import islice, repeat
from typing import Any, BinaryIO

from core.feeds.csv_source import CsvSource, RawBatch
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


class JsonlSource:
    """Records are dicts (or RowRejected for a line that is not a JSON object)."""

    empty_test = 'v is None or v == ""'
    width = None

    def __init__(self, stream: BinaryIO, fields: Sequence[str], required: set[str], *,
                 header: list[str] | None = None, line_offset: int = 0) -> None:
        self._offset = line_offset
        self.access = [f"row.get({name!r})" for name in fields]
        self._fields = tuple(fields)
        self._textio = _text(stream)  # held here: a collected wrapper would close the file

    def batches(self, size: int) -> Iterator[RawBatch]:
        number = self._offset
        while True:
            texts = list(islice(self._textio, size))
            if not texts:
                return
            try:  # the usual case: every line one object, decoded without Python code per line
                rows = list(map(json.loads, texts))
                if set(map(type, rows)) == {dict}:
                    yield RawBatch(list(range(number + 1, number + 1 + len(rows))), rows=rows)
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
            yield RawBatch(lines, rows=rows)

    def columns(self, batch: RawBatch, rows: list[Any] | None = None) -> list[Sequence[Any]]:
        rows = batch.rows if rows is None else rows
        return [list(map(dict.get, rows or (), repeat(name))) for name in self._fields]

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
