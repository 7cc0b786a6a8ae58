"""``zhushida payments ...``: reconciliation and housekeeping from the command line."""

from __future__ import annotations

from datetime import date

import click


@click.group("payments")
def payments_cli() -> None:
    """统一支付平台 — payment platform operations."""


@payments_cli.command("reconcile")
@click.argument("day")
@click.option("--channel", default=None, help="One channel (default: every channel).")
def reconcile_command(day: str, channel: str | None) -> None:
    """Reconcile DAY (YYYY-MM-DD, Beijing time) against each channel's bill and list mismatches."""
    try:
        when = date.fromisoformat(day)
    except ValueError:
        raise click.BadParameter("DAY must be YYYY-MM-DD") from None

    async def run() -> list[tuple]:
        from core import db
        from core.plugins.host import get_host
        from core.settings import get_settings
        from payments import reconcile
        from payments.models import Mismatch

        settings = get_settings()
        await db.init_db(settings, get_host(settings))
        try:
            out = []
            for item in await reconcile.reconcile_day(when, channel):
                out.append((item, await Mismatch.filter(run_id=item.id).order_by("id")))
            return out
        finally:
            await db.close_db()

    from core.cli import run_async

    failed = False
    for item, mismatches in run_async(run):
        click.echo(f"{item.channel} {item.day}: {item.state} — {item.bill_lines} bill lines, {item.matched} matched, "
                   f"{item.mismatches} mismatches (run {item.id})" + (f" error: {item.error}" if item.error else ""))
        failed = failed or item.state != "done"
        for m in mismatches:
            click.echo(f"  {m.kind:15} {m.record:8} {m.order_no} {m.refund_no or '':26} "
                       f"local={m.local_amount_fen}/{m.local_state} channel={m.channel_amount_fen}/{m.channel_state}")
    if failed:
        raise SystemExit(1)
