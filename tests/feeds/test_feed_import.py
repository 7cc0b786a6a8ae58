"""The feed machinery against the real database of this backend: streaming import, upsert by key,
rejected rows with line and reason, both formats, the parser process, the task, the CLI."""

from __future__ import annotations

import csv
import dataclasses
import itertools
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from core.feeds import parsers as p
from core.feeds.importer import import_feed
from core.feeds.reader import FeedFormatError, split_point
from core.feeds.registry import get_feed
from core.feeds.synthetic import write_feed
from tests.conftest import BACKEND

ROOT = Path(__file__).resolve().parents[2]


def feed(plugin: str, name: str):
    return get_feed(plugin, name)


def generated(tmp_path: Path, plugin: str, name: str, rows: int, fmt: str = "csv", seed: int = 7) -> Path:
    spec = feed(plugin, name)
    path = tmp_path / f"{name}.{fmt}"
    write_feed(path, spec.field_names, itertools.islice(spec.generate(rows, seed), rows), fmt)
    return path


async def test_contributions_import_then_reimport_is_unchanged(database, tmp_path):
    from plugins.social_security.models import Contribution

    path = generated(tmp_path, "social_security", "contributions", 500)
    first = await import_feed(feed("social_security", "contributions"), path)
    assert (first.read, first.inserted, first.rejected) == (500, 500, 0)
    assert await Contribution.all().count() == 500
    again = await import_feed(feed("social_security", "contributions"), path)
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 500)
    row = await Contribution.all().order_by("id").first()
    assert len(row.person_key) == 64 and row.imported_at is not None
    assert row.personal_fen == row.base_fen * 800 // 10_000 or row.insurance != "pension"


async def test_changed_rows_are_updated_in_place(database, tmp_path):
    from plugins.social_security.models import Contribution

    spec = feed("social_security", "contributions")
    rows = list(spec.generate(8, 3))
    path = tmp_path / "c.csv"
    write_feed(path, spec.field_names, iter(rows))
    await import_feed(spec, path)
    rows[0] = {**rows[0], "base_fen": "999900"}
    write_feed(path, spec.field_names, iter(rows))
    report = await import_feed(spec, path)
    assert (report.inserted, report.updated, report.unchanged) == (0, 1, 7)
    assert await Contribution.filter(base_fen=999900).count() == 1
    assert await Contribution.all().count() == 8


async def test_bad_rows_are_reported_with_line_and_reason_and_skipped(database, tmp_path):
    from plugins.social_security.models import Contribution

    spec = feed("social_security", "contributions")
    good = list(spec.generate(3, 11))
    lines = [
        ",".join(spec.field_names),
        ",".join(good[0][f] for f in spec.field_names),                         # 2 ok
        "430202198001010018,202601,pension,100,8,16,,",                         # 3 bad check digit
        ",".join(good[1][f] for f in spec.field_names).replace(good[1]["period"], "202613"),  # 4 bad month
        ",".join(good[1][f] for f in spec.field_names).replace(good[1]["base_fen"], "12.5"),  # 5 decimals
        "too,few,cells",                                                         # 6 wrong width
        "",                                                                      # blank: not a row
        ",".join(good[2][f] for f in spec.field_names).replace(",pension,", ",,").replace(",medical,", ",,")
        .replace(",unemployment,", ",,").replace(",injury,", ",,"),             # 8 required missing
        ",".join(good[1][f] for f in spec.field_names),                         # 9 ok
    ]
    path = tmp_path / "bad.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    rejects = tmp_path / "rejects.csv"
    report = await import_feed(spec, path, rejects_path=rejects)
    assert report.read == 7 and report.accepted == 2 and report.rejected == 5
    reasons = dict(report.rejections)
    assert sorted(reasons) == [3, 4, 5, 6, 8]
    assert "id_number" in reasons[3] and "resident ID" in reasons[3]
    assert reasons[4].startswith("period:")
    assert reasons[5].startswith("base_fen:")
    assert "expected 8 cells" in reasons[6]
    assert reasons[8] == "insurance: required"
    assert rejects.read_text(encoding="utf-8").count("\n") == 6  # header + 5
    assert await Contribution.all().count() == 2


async def test_json_lines_with_a_broken_line(database, tmp_path):
    from plugins.provident_fund.models import FundAccount

    spec = feed("provident_fund", "accounts")
    rows = list(spec.generate(4, 5))
    path = tmp_path / "accounts.jsonl"
    body = [json.dumps(r, ensure_ascii=False) for r in rows]
    body.insert(2, "{not json")
    body.append(json.dumps([1, 2]))
    rows_as_ints = {**rows[3], "balance_fen": int(rows[3]["balance_fen"]), "account_no": rows[3]["account_no"] + "9"}
    body.append(json.dumps(rows_as_ints, ensure_ascii=False))
    path.write_text("\n".join(body) + "\n", encoding="utf-8")
    report = await import_feed(spec, path)
    assert report.accepted == 5 and report.rejected == 2
    assert [line for line, _ in report.rejections] == [3, 6]
    account = await FundAccount.get(account_no=rows[0]["account_no"])
    expected = int(rows[0]["deposit_base_fen"]) * (int(rows[0]["personal_rate_bp"]) * 2) // 10_000
    assert account.monthly_deposit_fen == expected and account.name_masked.endswith("*")


async def test_missing_header_field_refuses_the_whole_file(database, tmp_path):
    from plugins.real_estate.models import Property

    path = tmp_path / "p.csv"
    path.write_text("unit_no,cert_no\n430202001002GB00012F00000001,x\n", encoding="utf-8")
    with pytest.raises(FeedFormatError, match="lacks field"):
        await import_feed(feed("real_estate", "properties"), path)
    assert await Property.all().count() == 0


async def test_last_row_of_a_key_wins(database, tmp_path):
    from plugins.real_estate.models import Encumbrance

    spec = feed("real_estate", "encumbrances")
    row = next(iter(spec.generate(1, 2)))
    path = tmp_path / "e.csv"
    write_feed(path, spec.field_names, iter([row, {**row, "status": "released"}]))
    report = await import_feed(spec, path)
    assert report.accepted == 1 and report.superseded == 1
    assert (await Encumbrance.get(ref_no=row["ref_no"])).status == "released"


async def test_a_row_the_database_refuses_costs_only_that_row(database, tmp_path):
    from plugins.real_estate.models import Property

    base = feed("real_estate", "properties")
    # A parser looser than the column (255 characters): PostgreSQL refuses the long value.
    loose = dataclasses.replace(base, fields=tuple(
        dataclasses.replace(f, parse=p.text(400)) if f.name == "address" else f for f in base.fields))
    rows = list(base.generate(3, 4))
    rows[1] = {**rows[1], "address": "长" * 300}
    path = tmp_path / "p.csv"
    write_feed(path, base.field_names, iter(rows))
    report = await import_feed(loose, path)
    if BACKEND == "services":
        assert report.accepted == 2 and [line for line, _ in report.rejections] == [3]
        assert "refused by the database" in report.rejections[0][1]
        assert await Property.all().count() == 2
    else:  # SQLite does not enforce VARCHAR lengths
        assert report.accepted == 3 and await Property.all().count() == 3


@pytest.mark.skipif(BACKEND != "services", reason="the parser processes serve PostgreSQL (COPY payloads)")
async def test_parser_processes_give_the_same_result(database, tmp_path):
    from plugins.social_security.models import Contribution

    spec = feed("social_security", "contributions")
    path = generated(tmp_path, "social_security", "contributions", 3000)
    first = path.read_text(encoding="utf-8").splitlines()[1].split(",")
    with path.open("a", encoding="utf-8") as fh:
        fh.write("430202198001010018,202601,pension,100,8,16,,\n")        # line 3002: rejected
        fh.write(",".join([*first[:3], "777700", *first[4:]]) + "\n")   # line 3003: the last row of its key
    report = await import_feed(spec, path, parallel=True, batch_size=700)  # two processes, two halves
    assert (report.read, report.accepted, report.rejected) == (3002, 3001, 1)
    assert (report.inserted, report.updated) == (3000, 1)
    assert report.rejections[0][0] == 3002
    key_row = await Contribution.get(period=first[1], insurance=first[2], base_fen=777700)
    assert key_row is not None  # the later line won across the two halves
    again = await import_feed(spec, path, parallel=True, batch_size=700)
    # The key of the corrected row is written twice again (original line, then the correction).
    assert (again.inserted, again.updated, again.unchanged) == (0, 2, 2999)
    assert await Contribution.filter(base_fen=777700).count() == 1
    assert await Contribution.all().count() == 3000


async def test_generators_make_valid_feeds_for_every_plugin(database, tmp_path):
    for plugin, name in [("social_security", "persons"), ("provident_fund", "accounts"), ("provident_fund", "journal"),
                         ("real_estate", "properties"), ("real_estate", "owners"), ("real_estate", "encumbrances")]:
        report = await import_feed(feed(plugin, name), generated(tmp_path, plugin, name, 120, seed=21))
        assert report.rejected == 0, (plugin, name, report.rejections[:3])
        assert report.accepted == 120, (plugin, name)


async def test_the_import_runs_as_a_task_and_is_recorded(database, tmp_path, celery_worker):
    from core import tasks
    from core.feeds.models import ImportRun
    from core.feeds.service import import_feed_task
    from plugins.real_estate.models import Owner

    path = generated(tmp_path, "real_estate", "owners", 50)
    await tasks.enqueue(import_feed_task, plugin="real_estate", feed="owners", path=str(path))
    await tasks.drain()
    run = await ImportRun.get(plugin="real_estate", feed="owners")
    assert (run.status, run.read, run.inserted, run.rejected) == ("done", 50, 50, 0)
    assert await Owner.all().count() == 50


def cli(*args: str, settings) -> subprocess.CompletedProcess:
    env = {**os.environ, "ZHUSHIDA_DATABASE_URL": settings.effective_database_url}
    return subprocess.run([sys.executable, "-m", "core.cli", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)


def journal_with_bad_rows(tmp_path: Path) -> tuple[Path, list[str]]:
    """40 good journal rows, then two bad ones: the file and the report lines the CLI must print."""
    path = generated(tmp_path, "provident_fund", "journal", 40)
    with path.open("a", encoding="utf-8") as fh:
        fh.write("X1,123,deposit,202601,100,100,2026-01-10\n")  # line 42
        fh.write("too,few\n")  # line 43
    return path, ["  line 42: account_no: account number must be 8-20 digits", "  line 43: expected 7 cells, found 2"]


async def test_cli_imports_with_progress_and_reports_rejections(database, tmp_path, settings):
    from tqdm import tqdm

    from plugins.provident_fund.models import JournalEntry

    path, expected_lines = journal_with_bad_rows(tmp_path)
    rejects = tmp_path / "rejects.csv"
    done = cli("feeds", "import", "provident_fund", "journal", str(path), "--rejects", str(rejects), settings=settings)
    assert done.returncode == 0, done.stderr
    assert "42 rows read: 40 inserted" in done.stdout and "2 rejected" in done.stdout
    assert [line for line in done.stdout.splitlines() if line.startswith("  line ")] == expected_lines
    with rejects.open(encoding="utf-8", newline="") as fh:
        assert [f"  line {line}: {reason}" for line, reason in list(csv.reader(fh))[1:]] == expected_lines
    # The tqdm bar counts bytes of the file; its last refresh shows all of them, the rows and rejections.
    final = [s for s in done.stderr.splitlines() if s.startswith("journal:")][-1]  # text mode: \r became \n
    size = tqdm.format_sizeof(path.stat().st_size)
    assert final.startswith("journal: 100%") and f"{size}/{size}" in final, done.stderr
    assert "rejected=2" in final and "rows=42" in final, final
    assert await JournalEntry.all().count() == 40

    quiet = cli("feeds", "import", "provident_fund", "journal", str(path), "--no-progress", settings=settings)
    assert quiet.returncode == 0 and "40 unchanged" in quiet.stdout and "100%" not in quiet.stderr
    unknown = cli("feeds", "import", "provident_fund", "nope", str(path), settings=settings)
    assert unknown.returncode == 2 and "no feed 'nope'" in unknown.stderr


async def test_cli_background_import_runs_as_the_task_and_is_recorded(database, tmp_path, settings, celery_worker):
    """``--background`` enqueues feeds.import: on the services pass this process's Celery worker (on
    the real broker) runs it; embedded, the CLI runs the task in its own process and waits for it."""
    import asyncio

    from core.feeds.models import ImportRun
    from plugins.provident_fund.models import JournalEntry

    path, expected_lines = journal_with_bad_rows(tmp_path)
    done = cli("feeds", "import", "provident_fund", "journal", str(path), "--background", settings=settings)
    assert done.returncode == 0, done.stderr
    assert "import handed to the task feeds.import" in done.stdout
    assert "rows read" not in done.stdout  # the CLI did not import in the foreground
    run = None
    for _ in range(300):
        run = await ImportRun.get_or_none(plugin="provident_fund", feed="journal", status__not="running")
        if run is not None:
            break
        await asyncio.sleep(0.1)
    assert run is not None, "the feeds.import task never finished"
    assert (run.status, run.read, run.inserted, run.rejected, run.error) == ("done", 42, 40, 2, "")
    assert run.path == str(path) and run.finished_at is not None
    assert [f"  line {line}: {reason}" for line, reason in run.rejections] == expected_lines
    assert await JournalEntry.all().count() == 40


@pytest.mark.skipif(BACKEND != "services", reason="the parser processes serve PostgreSQL (COPY payloads)")
async def test_parallel_split_never_cuts_a_quoted_field(database, tmp_path):
    from plugins.social_security.models import InsuredPerson

    spec = feed("social_security", "persons")
    rows = list(spec.generate(400, 9))
    for row in rows:  # every employer name spans two physical lines inside quotes
        row["employer_name"] = row["employer_name"] or "株洲市\n退休人员管理中心"
        if "\n" not in row["employer_name"]:
            row["employer_name"] = row["employer_name"][:4] + "\n" + row["employer_name"][4:]
    rows[-1] = {**rows[-1], "id_number": "430202198001010018"}  # rejected, on the file's last lines
    path = tmp_path / "persons.csv"
    write_feed(path, spec.field_names, iter(rows))
    cut, lines_before = split_point(str(path), "csv")  # the file is really cut in two ...
    assert path.read_bytes()[:cut].count(b'"') % 2 == 0 and lines_before % 2 == 1  # ... between records
    report = await import_feed(spec, path, parallel=True, batch_size=64)
    assert (report.read, report.accepted, report.rejected) == (400, 399, 1)
    assert report.rejections[0][0] == 801  # header + 399 records of two lines, then the bad one ends there
    names = await InsuredPerson.all().values_list("employer_name", flat=True)
    assert all("\n" in name for name in names if name)


@pytest.mark.skipif(BACKEND != "services", reason="the parser processes serve PostgreSQL (COPY payloads)")
async def test_parallel_json_lines(database, tmp_path):
    from plugins.provident_fund.models import JournalEntry

    path = generated(tmp_path, "provident_fund", "journal", 2500, fmt="jsonl")
    with path.open("a", encoding="utf-8") as fh:
        fh.write("{broken\n")
    assert split_point(str(path), "jsonl") is not None
    report = await import_feed(feed("provident_fund", "journal"), path, parallel=True, batch_size=300)
    assert (report.read, report.accepted, report.rejected) == (2501, 2500, 1)
    assert report.rejections[0][0] == 2501
    assert await JournalEntry.all().count() == 2500


@pytest.mark.skipif(BACKEND != "services", reason="row locks: PostgreSQL's merge")
async def test_reimport_leaves_unchanged_rows_untouched(database, tmp_path):
    from tortoise import connections

    spec = feed("social_security", "contributions")
    rows = list(spec.generate(300, 4))
    path = tmp_path / "c.csv"
    write_feed(path, spec.field_names, iter(rows))
    await import_feed(spec, path)
    rows[7] = {**rows[7], "personal_fen": "1"}
    write_feed(path, spec.field_names, iter(rows))
    report = await import_feed(spec, path, batch_size=50)
    assert (report.inserted, report.updated, report.unchanged) == (0, 1, 299)
    # Neither locked nor rewritten: a row ON CONFLICT ... DO UPDATE WHERE false only locks has xmax set.
    touched = await connections.get("default").execute_query_dict(
        "SELECT count(*) AS n FROM ss_contribution WHERE xmax <> 0 OR imported_at <> (SELECT min(imported_at) FROM ss_contribution)")
    assert touched[0]["n"] == 1
