"""CSV feed files, a batch of records at a time.

The csv module's reader runs a state machine over every character (and the text layer scans
each line for line ends again); most department exports are plain — no quote character, one
record per line — and for those lines ``str.split`` gives the same cells at about half the cost.
From the first block (1 MiB) of the file holding a quote or a bare carriage return on, the csv
module reads the rest, so RFC 4180 quoting (fields spanning lines, doubled quotes) reads exactly
as it always did.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from itertools import islice, repeat
from typing import Any, BinaryIO

BLOCK = 1 << 20  # bytes read at a time (cut at the last line end)


@dataclass
class RawBatch:
    """Records read from a feed file: ``rows`` (a cell list each, or for JSON lines a dict or a
    RowRejected), or ``cells`` — the file's columns, when every record has the header's width —
    and each record's line number (the last physical line it spans). Blank lines are left out."""

    lines: list[int]
    rows: list[Any] | None = None
    cells: list[Sequence[str]] | None = None

    def row(self, i: int) -> Any:
        return self.rows[i] if self.rows is not None else [c[i] for c in self.cells or ()]


class _Chain(io.RawIOBase):
    """``prefix`` bytes, then the rest of ``stream``."""

    def __init__(self, prefix: bytes, stream: BinaryIO) -> None:
        self._prefix, self._stream = memoryview(prefix), stream

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self._prefix:
            n = min(len(buffer), len(self._prefix))
            buffer[:n] = self._prefix[:n]
            self._prefix = self._prefix[n:]
            return n
        data = self._stream.read(len(buffer))
        buffer[:len(data)] = data
        return len(data)


class CsvSource:
    """Records of a CSV file with a header line (or of a later part of it: ``header`` given and
    ``line_offset`` physical lines before it)."""

    empty_test = 'v == ""'

    def __init__(self, stream: BinaryIO, fields: Sequence[str], required: set[str], *,
                 header: list[str] | None = None, line_offset: int = 0, block: int = BLOCK) -> None:
        from core.feeds.reader import FeedFormatError

        self._stream, self._block = stream, block
        self._lines = line_offset  # physical lines before the first pending one
        self._pending: list[str] = []  # plain lines read, not yet handed out
        self._carry = b""  # the bytes after the last line end read
        self._eof = False
        self._file_start = header is None  # a BOM may open the file
        self._reader: Any = None  # the csv module's reader, once the file is not plain
        self._reader_base = 0  # physical lines before the csv reader's first
        if header is None:
            header = self._read_header()
        header = [h.strip() for h in header]
        missing = required - set(header)
        if header and missing:
            raise FeedFormatError(f"the CSV header lacks field(s): {', '.join(sorted(missing))}")
        self.width = len(header)
        position = {name: i for i, name in enumerate(header)}
        # A field absent from the header (only optional ones may be) reads as an empty cell.
        self._positions = [position.get(name) for name in fields]
        self.access = [f"row[{position[name]}]" if name in position else '""' for name in fields]

    def batches(self, size: int) -> Iterator[RawBatch]:
        if not self.width:
            return  # no header: no records
        while True:
            self._fill(size)
            if self._pending:
                group = self._pending[:size]
                del self._pending[:size]
                first, self._lines = self._lines, self._lines + len(group)
                yield self._plain_batch(group, first)
            elif self._reader is not None:
                batch = self._quoted_batch(size)
                if batch is None:
                    return
                yield batch
            else:
                return

    def columns(self, batch: RawBatch, rows: list[Any] | None = None) -> list[Sequence[Any]]:
        """Each field's values, in field order: of ``rows`` (records of the header's width), or of
        the whole batch when it came as columns."""
        if rows is None and batch.cells is not None:
            cells, count = batch.cells, len(batch.lines)
        else:
            rows = batch.rows if rows is None else rows
            cells, count = (list(zip(*rows, strict=True)) if rows else [()] * self.width), len(rows or ())
        return [cells[i] if i is not None else ("",) * count for i in self._positions]

    def well_formed(self, rows: list[Any]) -> bool:
        return set(map(len, rows)) <= {self.width}

    def _read_header(self) -> list[str]:
        self._fill(1)
        if self._pending:
            self._lines += 1
            line = self._pending.pop(0)
            return line.split(",") if line else []
        if self._reader is None:
            return []
        try:
            return next(self._reader)
        except StopIteration:
            return []

    def _fill(self, wanted: int) -> None:
        """Read plain lines until ``wanted`` are pending, the file ends, or it stops being plain."""
        while len(self._pending) < wanted and not self._eof and self._reader is None:
            block = self._stream.read(self._block)
            data = self._carry + block
            if not block:
                self._eof, cut = True, len(data)
            else:
                cut = data.rfind(b"\n") + 1
                if not cut:  # a line longer than a block
                    self._carry = data
                    continue
            chunk, self._carry = data[:cut], data[cut:]
            if not chunk:
                return
            first, self._file_start = self._file_start, False
            if b'"' in chunk:
                self._use_csv_module(chunk + self._carry, first)
                return
            # Undecodable bytes become U+FFFD and fail the field's parser, not the file.
            text = chunk.decode("utf-8", "replace")
            if first and text.startswith("\ufeff"):
                text = text[1:]
            if "\r" not in text:
                lines = text.split("\n")
            else:  # CRLF line ends (a bare CR ends a record for the csv module: let it read those)
                lines = text.split("\r\n")
                probe = "".join(lines)
                if "\r" in probe:
                    self._use_csv_module(chunk + self._carry, first)
                    return
                if "\n" in probe:  # LF and CRLF mixed
                    lines = text.replace("\r\n", "\n").split("\n")
            if not lines[-1]:
                lines.pop()  # after the last line end
            self._pending += lines

    def _use_csv_module(self, unread: bytes, file_start: bool) -> None:
        stream = io.BufferedReader(_Chain(unread, self._stream), 1 << 16)
        # utf-8-sig drops a BOM at the start of the file.
        self._text = io.TextIOWrapper(stream, encoding="utf-8-sig" if file_start else "utf-8",
                                      errors="replace", newline="")
        self._reader = csv.reader(self._text)
        self._reader_base = self._lines + len(self._pending)
        self._carry = b""

    def _plain_batch(self, group: list[str], first: int) -> RawBatch:
        lines = list(range(first + 1, first + 1 + len(group)))
        rows = list(map(str.split, group, repeat(",")))
        if "" not in group and set(map(len, rows)) == {self.width}:
            return RawBatch(lines, cells=list(zip(*rows, strict=True)))
        return _without_blanks(RawBatch(lines, rows=rows), [line == "" for line in group])

    def _quoted_batch(self, size: int) -> RawBatch | None:
        reader = self._reader
        before = reader.line_num
        rows = list(islice(reader, size))  # the C reader, no Python code per record
        if not rows:
            return None
        first = self._reader_base + before
        if reader.line_num - before == len(rows):
            lines = list(range(first + 1, first + 1 + len(rows)))
        else:  # quoted fields spanning lines: count the line breaks they hold
            lines, at = [], first
            for record in rows:
                at += 1 + sum(v.count("\n") + v.count("\r") - v.count("\r\n") for v in record)
                lines.append(at)
        self._lines = self._reader_base + reader.line_num
        return _without_blanks(RawBatch(lines, rows=rows), [not r for r in rows])


def _without_blanks(batch: RawBatch, blank: list[bool]) -> RawBatch:
    if not any(blank):
        return batch
    rows = batch.rows or []
    kept = [i for i, b in enumerate(blank) if not b]
    return RawBatch([batch.lines[i] for i in kept], rows=[rows[i] for i in kept])
