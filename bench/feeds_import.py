"""Department feed import vs a plain PostgreSQL COPY of the same rows (PostgreSQL only).

    ZHUSHIDA_DATABASE_URL=postgres://postgres@127.0.0.1:5432/zs6 .venv/bin/python bench/feeds_import.py [--runs 3]

Use a scratch database: the social-security contribution table is emptied. Setup (not timed):
migrations applied, a synthetic contributions feed of ``--rows`` rows written (valid resident IDs,
Zhuzhou codes, amounts in fen; kept between runs). Timed, ``--runs`` times in turn:

1. plain COPY: the file straight into a table of the feed's own columns with the same unique key
   (``COPY ... FROM STDIN CSV HEADER`` from this process — what a DBA would type);
2. ``zhushida feeds import`` path, first load into the empty table (validation of every value,
   resident-ID check characters and birthplace codes, keyed hashing of IDs, rows streamed in
   batches);
3. the same file again: every row upserted and found unchanged.

Prints rows/s of each with the load average before it, the ratio to the COPY of the same run, the
best and median ratios over the runs, and the peak RSS of this process and of the parser
processes (memory stays flat whatever the file size: batches are streamed, never the whole file).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import resource
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

BASELINE_DDL = """
DROP TABLE IF EXISTS bench_copy_baseline;
CREATE TABLE bench_copy_baseline (
    id bigserial PRIMARY KEY, id_number varchar(18) NOT NULL, period varchar(6) NOT NULL,
    insurance varchar(16) NOT NULL, base_fen bigint NOT NULL, personal_fen bigint NOT NULL,
    employer_fen bigint NOT NULL, employer_uscc varchar(18), paid_on date,
    UNIQUE (id_number, period, insurance));
"""
COLUMNS = ["id_number", "period", "insurance", "base_fen", "personal_fen", "employer_fen", "employer_uscc", "paid_on"]


def peak_rss_mb() -> tuple[float, float]:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return own, children


async def main(rows: int, workdir: Path, batch: int, runs: int) -> int:
    from tortoise import connections

    from core import db
    from core.feeds.importer import import_feed
    from core.feeds.registry import get_feed
    from core.feeds.synthetic import write_feed
    from core.plugins.host import get_host
    from core.settings import get_settings

    settings, host = get_settings(), get_host()
    if not settings.effective_database_url.startswith("postgres"):
        print("set ZHUSHIDA_DATABASE_URL to a scratch PostgreSQL database", file=sys.stderr)
        return 2
    spec = get_feed("social_security", "contributions")
    workdir.mkdir(parents=True, exist_ok=True)
    path = workdir / f"contributions-{rows}.csv"
    if not path.exists():
        started = time.perf_counter()
        write_feed(path, spec.field_names, itertools.islice(spec.generate(rows, 2026), rows))
        print(f"generated {rows:,} rows ({path.stat().st_size / 2**20:.0f} MiB) in {time.perf_counter() - started:.0f}s")
    await db.upgrade(settings, host)
    await db.init_db(settings, host)
    ratios: dict[str, list[float]] = {"empty": [], "again": []}
    try:
        conn = connections.get("default")
        for run in range(1, runs + 1):
            await conn.execute_script(BASELINE_DDL + "CHECKPOINT;")  # each timed step starts with no dirty pages
            async with conn.acquire_connection() as raw:
                load = os.getloadavg()[0]
                started = time.perf_counter()
                await raw.copy_to_table("bench_copy_baseline", source=str(path), columns=COLUMNS, format="csv", header=True)
                copy_seconds = time.perf_counter() - started
            await conn.execute_script("DROP TABLE bench_copy_baseline; TRUNCATE ss_contribution;")
            copy_rate = rows / copy_seconds
            print(f"run {run}  plain COPY            {rows:>10,} rows  {copy_seconds:6.1f}s  {copy_rate:>9,.0f} rows/s"
                  f"  (load {load:.1f})")
            for label in ("empty", "again"):
                await conn.execute_script("CHECKPOINT")
                load = os.getloadavg()[0]
                report = await import_feed(spec, path, batch_size=batch)
                assert report.rejected == 0 and report.read == rows, report.summary()
                ratio = report.rows_per_second / copy_rate
                ratios[label].append(ratio)
                print(f"run {run}  feed import, {label:<8} {rows:>10,} rows  {report.seconds:6.1f}s  "
                      f"{report.rows_per_second:>9,.0f} rows/s  = {ratio:.2f} x COPY  (load {load:.1f}; "
                      f"{report.inserted:,} inserted, {report.unchanged:,} unchanged)")
        for label, values in ratios.items():
            print(f"feed import, {label}: best {max(values):.2f} x COPY, median {statistics.median(values):.2f} x COPY")
        own, children = peak_rss_mb()
        print(f"peak RSS: importer {own:.0f} MiB, parser process {children:.0f} MiB "
              f"(file {path.stat().st_size / 2**20:.0f} MiB)")
    finally:
        await db.close_db()
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--batch-size", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=1, help="COPY, import, re-import this many times in turn")
    parser.add_argument("--workdir", type=Path, default=Path(os.environ.get("ZHUSHIDA_VAR_DIR", "var")) / "bench")
    args = parser.parse_args()
    sys.exit(asyncio.run(main(args.rows, args.workdir, args.batch_size, args.runs)))
