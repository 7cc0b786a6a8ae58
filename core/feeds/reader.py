"""Streaming sources: rows one at a time, never the whole file in memory.

CSV needs a header line naming the fields (UTF-8, optionally with a BOM as spreadsheet exports
have); JSON lines need one object per line. A source exposes its raw rows (a cell list per CSV
line, a dict per JSON line — or a :class:`RowRejected` for a line that cannot be read at all),
the current line number, and how a field's value is read from a raw row, which the importer
compiles into its per-feed converter.
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Iterator, Sequence
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
        self.access = [f"row[{position[name]}]" if name in position else '""' for name in fields]
        self.rows: Iterator[Any] = self._reader if header else iter(())

    def line(self) -> int:
        return self._offset + self._reader.line_num


class JsonlSource:
    """Rows are dicts (or RowRejected for a line that is not a JSON object)."""

    empty_test = 'v is None or v == ""'
    width = None

    def __init__(self, stream: BinaryIO, fields: Sequence[str], required: set[str], *,
                 header: list[str] | None = None, line_offset: int = 0) -> None:
        self._line = 0
        self._offset = line_offset
        self.access = [f"row.get({name!r})" for name in fields]
        self._textio = _text(stream)  # held here: a collected wrapper would close the file
        self.rows = self._rows(self._textio)

    def _rows(self, text: io.TextIOWrapper) -> Iterator[Any]:
        for number, raw in enumerate(text, start=self._offset + 1):
            self._line = number
            if not raw.strip():
                continue
            try:
                value = json.loads(raw)
            except ValueError as exc:
                yield RowRejected(f"not valid JSON ({getattr(exc, 'msg', exc)})")
                continue
            yield value if isinstance(value, dict) else RowRejected("a line must hold one JSON object")

    def line(self) -> int:
        return self._line


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
