"""Running an import with its history recorded (used by the CLI and the feeds.import task)."""

from __future__ import annotations

import datetime as dt
import os

from core.feeds.importer import ImportReport, import_feed
from core.feeds.models import ImportRun
from core.feeds.reader import guess_format
from core.feeds.registry import get_feed
from core.tasks import task

REJECTIONS_KEPT = 100


async def run_import(plugin: str, feed: str, path: str, *, fmt: str | None = None, batch_size: int | None = None,
                     progress: bool = False, rejects_path: str | None = None) -> ImportReport:
    spec = get_feed(plugin, feed)
    fmt = fmt or guess_format(path)
    run = await ImportRun.create(plugin=plugin, feed=feed, path=os.fspath(path), format=fmt)
    try:
        kwargs = {"batch_size": batch_size} if batch_size else {}
        report = await import_feed(spec, path, fmt=fmt, progress=progress, rejects_path=rejects_path, **kwargs)
    except Exception as exc:
        run.status, run.error, run.finished_at = "failed", f"{type(exc).__name__}: {exc}", dt.datetime.now(dt.UTC)
        await run.save()
        raise
    run.status, run.finished_at = "done", dt.datetime.now(dt.UTC)
    run.read, run.accepted, run.inserted = report.read, report.accepted, report.inserted
    run.updated, run.rejected = report.updated, report.rejected
    run.rejections = [list(r) for r in report.rejections[:REJECTIONS_KEPT]]
    await run.save()
    return report


@task("feeds.import", max_retries=0)
async def import_feed_task(plugin: str, feed: str, path: str, fmt: str | None = None) -> dict:
    """The same import as ``zhushida feeds import``, in the background (a worker must see ``path``)."""
    report = await run_import(plugin, feed, path, fmt=fmt)
    return report.as_dict()
