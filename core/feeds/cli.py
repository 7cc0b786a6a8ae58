"""``zhushida feeds``: list the declared feeds, import a file, generate a synthetic file."""

from __future__ import annotations

import asyncio
import itertools
import os
import sys

import click

from core.feeds.reader import FeedFormatError


@click.group("feeds")
def feeds() -> None:
    """Department data feeds (部门数据): import in bulk, generate synthetic files."""


@feeds.command("list")
def feeds_list() -> None:
    """Show every feed the enabled plugins declare."""
    from core.feeds.registry import all_feeds

    for (plugin, name), spec in sorted(all_feeds().items()):
        click.echo(f"{plugin:<18} {name:<16} {spec.title} — {', '.join(spec.field_names)}")


@feeds.command("import")
@click.argument("plugin")
@click.argument("feed")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(["csv", "jsonl"]), default=None, help="Default: from the file name.")
@click.option("--batch-size", type=int, default=None, help="Rows per upsert batch (default 10000).")
@click.option("--rejects", type=click.Path(dir_okay=False), default=None, help="Write every rejected row (line, reason) here as CSV.")
@click.option("--progress/--no-progress", default=True, show_default=True)
@click.option("--background", is_flag=True, help="Run as the feeds.import task (a worker must see FILE).")
def feeds_import(plugin: str, feed: str, file: str, fmt: str | None, batch_size: int | None, rejects: str | None,
                 progress: bool, background: bool) -> None:
    """Import FILE into PLUGIN's FEED: upsert by the feed's key, report rejected rows."""
    from core import db, tasks
    from core.feeds.service import import_feed_task, run_import
    from core.plugins.host import get_host
    from core.settings import get_settings

    async def go():
        settings, host = get_settings(), get_host()
        await db.init_db(settings, host)
        try:
            if background:
                host.call("zhushida_tasks")
                await tasks.enqueue(import_feed_task, plugin=plugin, feed=feed, path=os.path.abspath(file), fmt=fmt)
                if not settings.broker_url:  # embedded: the task runs in this process, wait for it
                    await tasks.drain(timeout=24 * 3600)
                return None
            return await run_import(plugin, feed, file, fmt=fmt, batch_size=batch_size, progress=progress,
                                    rejects_path=rejects)
        finally:
            await db.close_db()

    try:
        report = asyncio.run(go())
    except (LookupError, FeedFormatError) as exc:
        click.echo(f"zhushida: {exc}", err=True)
        sys.exit(2)
    if report is None:
        click.echo("import handed to the task feeds.import (see feeds_import_run for its outcome)")
        return
    click.echo(report.summary())
    for line, reason in report.rejections[:20]:
        click.echo(f"  line {line}: {reason}")
    if report.rejected > 20:
        click.echo(f"  ... {report.rejected - 20} more" + (f" (all in {rejects})" if rejects else " (use --rejects FILE)"))


@feeds.command("generate")
@click.argument("plugin")
@click.argument("feed")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--rows", type=int, default=1000, show_default=True)
@click.option("--seed", type=int, default=1, show_default=True)
@click.option("--format", "fmt", type=click.Choice(["csv", "jsonl"]), default="csv", show_default=True)
def feeds_generate(plugin: str, feed: str, file: str, rows: int, seed: int, fmt: str) -> None:
    """Write a realistic synthetic FILE for PLUGIN's FEED (tests, demos, benchmarks)."""
    from core.feeds.registry import get_feed
    from core.feeds.synthetic import write_feed

    try:
        spec = get_feed(plugin, feed)
    except LookupError as exc:
        click.echo(f"zhushida: {exc}", err=True)
        sys.exit(2)
    if spec.generate is None:
        click.echo(f"zhushida: feed {feed!r} has no generator", err=True)
        sys.exit(2)
    count = write_feed(file, spec.field_names, itertools.islice(spec.generate(rows, seed), rows), fmt)
    click.echo(f"wrote {count} rows to {file}")
