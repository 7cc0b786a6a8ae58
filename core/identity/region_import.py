"""``zhushida regions import FILE``: load a statistical division code CSV (统计用区划代码).

Accepted columns (header row, any order, English or Chinese names): ``code`` / ``统计用区划代码`` /
``代码`` and ``name`` / ``名称``; ``parent_code`` / ``上级代码`` is optional (derived from the code
when absent). Codes may be 6 (county), 9 (township) or 12 digits; they are stored as 12 digits.

The whole file is checked first (code format, duplicates, every parent present in the file or the
database); any problem aborts the import with the list of bad lines and nothing is written. Then
rows are written in one transaction, new ones in bulk and renamed ones updated.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from core.db import transaction
from core.identity.models import Region, RegionLevel
from core.identity.regions import level_of, parent_of

CODE_HEADERS = ("code", "统计用区划代码", "区划代码", "代码")
NAME_HEADERS = ("name", "名称", "区划名称")
PARENT_HEADERS = ("parent_code", "parent", "上级代码", "pcode")
BATCH = 1000


class ImportRejected(ValueError):
    """The file has problems; ``problems`` lists them by line."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        shown = "; ".join(problems[:20]) + (
            f" (+{len(problems) - 20} more)" if len(problems) > 20 else ""
        )
        super().__init__(f"{len(problems)} bad line(s), nothing imported: {shown}")


@dataclass
class ImportResult:
    rows: int = 0
    created: int = 0
    renamed: int = 0
    unchanged: int = 0
    by_level: dict[str, int] = field(default_factory=dict)


def _column(header: list[str], names: tuple[str, ...]) -> int | None:
    lowered = [h.strip().lower() for h in header]
    for name in names:
        if name.lower() in lowered:
            return lowered.index(name.lower())
    return None


def _normalise(raw: str) -> str | None:
    code = raw.strip()
    if not code.isdigit():
        return None
    if len(code) == 6:
        return code + "000000"
    if len(code) == 9:
        return code + "000"
    return code if len(code) == 12 else None


def parse(text: str) -> list[tuple[int, str, str, str | None]]:
    """``(line, code, name, parent)`` for every row, or :class:`ImportRejected`."""
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    if header is None:
        raise ImportRejected(["line 1: the file is empty"])
    code_col, name_col, parent_col = (
        _column(header, CODE_HEADERS),
        _column(header, NAME_HEADERS),
        _column(header, PARENT_HEADERS),
    )
    if code_col is None or name_col is None:
        raise ImportRejected(
            [
                "line 1: header needs a code column (code/统计用区划代码) and a name column (name/名称)"
            ]
        )
    rows: list[tuple[int, str, str, str | None]] = []
    problems: list[str] = []
    seen: set[str] = set()
    for line, row in enumerate(reader, start=2):
        if not row or not any(cell.strip() for cell in row):
            continue
        raw_code = row[code_col] if code_col < len(row) else ""
        name = (row[name_col] if name_col < len(row) else "").strip()
        code = _normalise(raw_code)
        if code is None:
            problems.append(f"line {line}: code {raw_code.strip()[:20]!r} is not 6, 9 or 12 digits")
            continue
        if not name or len(name) > 64:
            problems.append(f"line {line}: name missing or longer than 64 characters")
            continue
        if code in seen:
            problems.append(f"line {line}: code {code} appears twice")
            continue
        seen.add(code)
        parent = None
        if parent_col is not None and parent_col < len(row) and row[parent_col].strip():
            parent = _normalise(row[parent_col])
            if parent is None or parent != parent_of(code):
                problems.append(
                    f"line {line}: parent {row[parent_col].strip()[:20]!r} does not match code {code}"
                )
                continue
        rows.append((line, code, name, parent))
    if problems:
        raise ImportRejected(problems)
    return rows


async def import_regions(
    path: Path, *, progress: Callable[[int], None] | None = None
) -> ImportResult:
    text = path.read_text(encoding="utf-8-sig")
    rows = parse(text)
    codes = {code for _l, code, _n, _p in rows}
    existing = {r.code: r.name for r in await Region.all().only("code", "name")}
    problems = []
    for line, code, _name, _parent in rows:
        parent = parent_of(code)
        if (
            parent is not None
            and level_of(code) is not RegionLevel.CITY
            and parent not in codes
            and parent not in existing
        ):
            problems.append(
                f"line {line}: parent region {parent} of {code} is neither in the file nor in the database"
            )
    if problems:
        raise ImportRejected(problems)
    result = ImportResult(rows=len(rows))
    # Parents before children, so a reader never sees an orphan mid-import.
    order = list(RegionLevel)
    rows.sort(key=lambda r: (order.index(level_of(r[1])), r[1]))
    async with transaction():
        pending: list[Region] = []
        for _line, code, name, _parent in rows:
            level = level_of(code)
            result.by_level[level.value] = result.by_level.get(level.value, 0) + 1
            if code not in existing:
                pending.append(
                    Region(code=code, name=name, level=level, parent_code=parent_of(code))
                )
                result.created += 1
            elif existing[code] != name:
                await Region.filter(code=code).update(name=name)
                result.renamed += 1
            else:
                result.unchanged += 1
            if len(pending) >= BATCH:
                await Region.bulk_create(pending)
                pending = []
            if progress:
                progress(1)
        if pending:
            await Region.bulk_create(pending)
    return result
