"""What a department feed is: its fields (each with a parser), its target model and upsert key.

A plugin returns :class:`FeedSpec` records from the ``zhushida_feeds`` hook. The importer reads
the file row by row, runs every field's parser (a parser raises :class:`RowRejected` with the
reason), turns the parsed values into one database row with ``build`` and upserts the rows in
batches by ``key`` — a unique constraint of the target table.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

FORMATS = ("csv", "jsonl")


class RowRejected(ValueError):
    """One row (or one value of it) cannot be imported; the message is the reason shown."""


@dataclass(frozen=True, slots=True)
class FeedField:
    """One column of the file (CSV header name, or JSON key)."""

    name: str
    parse: Callable[[Any], Any]
    required: bool = True
    doc: str = ""
    example: str = ""


@dataclass(frozen=True, slots=True)
class FeedSpec:
    """A department data feed.

    ``model`` is ``"app_label.ModelName"``; ``columns`` are the table columns written, in the
    order of the tuple ``build`` returns (default: the parsed field values in field order);
    ``key`` is a subset of ``columns`` with a unique constraint on the table. ``build`` receives
    the parsed values positionally, in field order (None for an empty optional field). When
    ``stamp_column`` is set, the importer writes the import time there on insert and change.
    ``generate(count, seed)`` yields realistic raw rows (dicts of strings) for tests and benches.

    ``build_columns`` (optional) is ``build`` for a whole batch at once: it receives the parsed
    columns (lists, in field order) and returns the table columns in ``columns`` order — the same
    values ``build`` gives row by row, at C speed where it can (e.g. one keyed hash per distinct ID
    with ``pii.person_key_column``). The importer uses it when present.
    """

    name: str
    model: str
    fields: tuple[FeedField, ...]
    key: tuple[str, ...]
    columns: tuple[str, ...] = ()
    build: Callable[..., tuple] | None = None
    build_columns: Callable[..., Sequence[Sequence[Any]]] | None = field(default=None, compare=False)
    title: str = ""
    title_en: str = ""
    description: str = ""
    stamp_column: str | None = "imported_at"
    generate: Callable[[int, int], Iterator[dict[str, str]]] | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if not self.columns:
            object.__setattr__(self, "columns", tuple(f.name for f in self.fields))
        missing = [k for k in self.key if k not in self.columns]
        if missing:
            raise ValueError(f"feed {self.name!r}: key column(s) {missing} are not written")
        if self.build_columns is not None and self.build is None:
            raise ValueError(f"feed {self.name!r}: build_columns needs the row-wise build too")
        if self.build is None and self.columns != tuple(f.name for f in self.fields):
            raise ValueError(f"feed {self.name!r}: columns differ from fields, so a build() is needed")

    @property
    def field_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)

    def header_line(self) -> str:
        return ",".join(self.field_names)
