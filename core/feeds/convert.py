"""Raw rows to database rows, a batch at a time, with the reason for every row refused.

A batch is converted column by column: each field's parser runs once per *distinct* value in the
batch (feeds repeat values — one person's ID on every monthly line, 24 periods, four insurances)
and the results are spread back over the column with C-level ``map``; then the feed's
``build_columns`` (or ``build`` row by row) makes the table columns, and the last row of a key
wins. A clean batch so runs almost no Python code per row. Rows a parser refuses, and rows of the
wrong shape, go through the row-by-row converter, which names the first failing field in field
order — the reason a clerk sees does not depend on the batch around the row.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from core.feeds.csv_source import RawBatch
from core.feeds.spec import FeedSpec, RowRejected

BAD = object()  # a value its parser refused (or an empty required one), in a parsed column
_PLAIN = {str, type(None)}  # JSON values that can share a memo: 1, 1.0 and True are equal keys


@dataclass
class Converted:
    """The accepted rows as table columns (``spec.columns`` order), their lines, the rejections."""

    columns: list[Sequence[Any]]
    lines: list[int]
    rejections: list[tuple[int, str]]


def compile_converter(spec: FeedSpec, source: Any) -> Callable[[Any], tuple]:
    """The row-by-row converter: raw row -> database row tuple, or RowRejected with the reason.

    Its source is generated with the fields unrolled (as dataclasses do for ``__init__``): read
    the raw value, check emptiness, run its parser, prefix a parser's reason with the field name.
    """
    names: dict[str, Any] = {"RowRejected": RowRejected, "build": spec.build}
    lines = ["def convert(row):"]
    if source.width is not None:
        lines += [f"    if len(row) != {source.width}:",
                  f"        raise RowRejected('expected {source.width} cells, found %d' % len(row))"]
    for i, (f, access) in enumerate(zip(spec.fields, source.access, strict=True)):
        names[f"parse{i}"] = f.parse
        lines += [f"    v = {access}", f"    if {source.empty_test}:"]
        lines += [f"        raise RowRejected({f.name + ': required'!r})"] if f.required else [f"        p{i} = None"]
        lines += ["    else:", "        try:", f"            p{i} = parse{i}(v)", "        except RowRejected as exc:",
                  f"            raise RowRejected({f.name + ': '!r} + str(exc)) from None"]
    values = ", ".join(f"p{i}" for i in range(len(spec.fields)))
    lines.append(f"    return ({values},)" if spec.build is None else f"    return build({values})")
    exec(compile("\n".join(lines), f"<feed converter {spec.name}>", "exec"), names)  # noqa: S102
    return names["convert"]


def _pick(values: Sequence[Any], indexes: list[int]) -> list[Any]:
    return list(map(values.__getitem__, indexes))


class BatchConverter:
    def __init__(self, spec: FeedSpec, source: Any) -> None:
        self.spec, self.source = spec, source
        self.row_converter = compile_converter(spec, source)
        self.typed = source.width is None  # JSON values: not only strings
        self.width = len(spec.columns)
        self.key_index = [spec.columns.index(k) for k in spec.key]

    def convert(self, batch: RawBatch) -> Converted:
        rejections: list[tuple[int, str]] = []
        lines = batch.lines
        if batch.rows is None:  # the file's columns: every record has the header's width
            values = self.source.columns(batch)
            record = batch.row
        else:
            rows = batch.rows
            if not self.source.well_formed(rows):  # wrong cell count, a line that is not an object
                kept = []
                for i, row in enumerate(rows):
                    if self.source.well_formed([row]):
                        kept.append(i)
                    else:
                        rejections.append((lines[i], self.reason(row)))
                rows, lines = _pick(rows, kept), _pick(lines, kept)
            values = self.source.columns(batch, rows)
            record = rows.__getitem__
        parsed: list[Sequence[Any]] = []
        refused: set[int] = set()
        for field, column_values in zip(self.spec.fields, values, strict=True):
            column, has_bad = self._parse_column(field.parse, field.required, column_values)
            parsed.append(column)
            if has_bad:
                refused.update(i for i, v in enumerate(column) if v is BAD)
        if refused:
            for i in sorted(refused):
                reason = self.reason(record(i))
                if reason is None:  # a parser that answers differently for the same value
                    return self.row_by_row(batch)
                rejections.append((lines[i], reason))
            keep = [i for i in range(len(lines)) if i not in refused]
            parsed = [_pick(column, keep) for column in parsed]
            lines = _pick(lines, keep)
        try:
            columns = self._build(parsed, len(lines))
        except Exception:  # build refused a row: let the row-by-row converter say which
            return self.row_by_row(batch)
        columns, lines = self._last_of_each_key(columns, lines)
        rejections.sort(key=operator.itemgetter(0))
        return Converted(columns, lines, rejections)

    def _parse_column(self, parse: Callable[[Any], Any], required: bool, values: Sequence[Any]) -> tuple[Sequence[Any], bool]:
        try:
            distinct = set(values)
        except TypeError:  # a JSON list or object as a value
            distinct = None
        if distinct is not None and (not self.typed or set(map(type, distinct)) <= _PLAIN):
            memo = {v: _parse_value(parse, required, v) for v in distinct}
            if all(r.__class__ is str and v.__class__ is str and r == v for v, r in memo.items()):
                return values, False  # every value is already its parsed form (codes, dates ...)
            return list(map(memo.__getitem__, values)), any(r is BAD for r in memo.values())
        column = [_parse_value(parse, required, v) for v in values]
        return column, any(r is BAD for r in column)

    def _build(self, parsed: list[Sequence[Any]], count: int) -> list[Sequence[Any]]:
        spec = self.spec
        if spec.build_columns is not None:
            columns = list(spec.build_columns(*parsed))
            shapes = {len(c) for c in columns}
        elif spec.build is not None:
            rows = list(map(spec.build, *parsed))
            shapes = set(map(len, rows))
            columns = list(zip(*rows, strict=False)) if rows else [()] * self.width
            if shapes and shapes != {self.width}:
                raise TypeError(f"feed {spec.name!r}: build returned rows of {sorted(shapes)} values for {self.width} columns")
            return columns
        else:
            return parsed
        if len(columns) != self.width or shapes - {count}:
            raise TypeError(f"feed {spec.name!r}: build_columns returned {len(columns)} columns of "
                            f"{sorted(shapes)} values for {self.width} columns of {count}")
        return columns

    def _last_of_each_key(self, columns: list[Sequence[Any]], lines: list[int]) -> tuple[list[Sequence[Any]], list[int]]:
        keys = columns[self.key_index[0]] if len(self.key_index) == 1 else zip(*(columns[i] for i in self.key_index), strict=True)
        last = dict(zip(keys, range(len(lines)), strict=True))
        if len(last) == len(lines):
            return columns, lines
        keep = sorted(last.values())
        return [_pick(c, keep) for c in columns], _pick(lines, keep)

    def reason(self, row: Any) -> str | None:
        """Why the row-by-row converter refuses ``row`` (None: it accepts it)."""
        return self._convert_one(row)[1]

    def _convert_one(self, row: Any) -> tuple[tuple | None, str | None]:
        if row.__class__ is RowRejected:
            return None, str(row)
        try:
            return self.row_converter(row), None
        except RowRejected as exc:
            return None, str(exc)
        except Exception as exc:  # a parser bug must cost one row, not the import
            return None, f"cannot be converted ({type(exc).__name__}: {exc})"

    def row_by_row(self, batch: RawBatch) -> Converted:
        """The batch through the row-by-row converter (the rare batch a build refuses)."""
        rejections: list[tuple[int, str]] = []
        accepted: dict[Any, tuple[int, tuple]] = {}
        key_of = operator.itemgetter(*self.key_index)
        for i, line in enumerate(batch.lines):
            converted, reason = self._convert_one(batch.row(i))
            if reason is not None:
                rejections.append((line, reason))
            else:
                accepted[key_of(converted)] = (line, converted)
        kept = sorted(accepted.values(), key=operator.itemgetter(0))  # file order, as convert() gives
        columns = list(zip(*(r for _, r in kept), strict=False)) if kept else [()] * self.width
        return Converted(columns, [n for n, _ in kept], rejections)


def _parse_value(parse: Callable[[Any], Any], required: bool, value: Any) -> Any:
    if value is None or value == "":
        return BAD if required else None
    try:
        return parse(value)
    except Exception:  # RowRejected, or a parser bug: the row-by-row converter tells which
        return BAD
