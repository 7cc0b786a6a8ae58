"""``zhushida card ...``: QR signing keys, merchants and terminals, the ledger check."""

from __future__ import annotations

import base64
import os

import click


@click.group("card")
def card_cli() -> None:
    """市民卡 — citizen card operations."""


@card_cli.command("new-qr-seed")
def new_qr_seed() -> None:
    """Print a new Ed25519 seed for ZHUSHIDA_CARD_QR_SIGNING_KEYS (put it first to rotate)."""
    from citizen_card.qr import KeyRing

    seed = base64.b64encode(os.urandom(32)).decode()
    click.echo(f"{seed}    (kid {KeyRing([base64.b64decode(seed)]).signing_kid})")


@card_cli.command("rotate-local-qr-key")
def rotate_local_qr_key() -> None:
    """Embedded default only: put a new signing key in front of var_dir/card_qr_keys.json."""
    from citizen_card.qr import rotate_local_key
    from core.settings import get_settings

    settings = get_settings()
    if settings.is_production:
        raise click.ClickException("production keys come from ZHUSHIDA_CARD_QR_SIGNING_KEYS; use new-qr-seed")
    click.echo(f"new signing kid {rotate_local_key(settings.var_dir)}")


async def _with_db(fn):
    from core import db
    from core.plugins.host import get_host
    from core.settings import get_settings

    settings = get_settings()
    await db.init_db(settings, get_host(settings))
    try:
        return await fn()
    finally:
        await db.close_db()


@card_cli.command("add-merchant")
@click.argument("name")
@click.argument("credit_code")
def add_merchant(name: str, credit_code: str) -> None:
    """Register a merchant (NAME, 18-character unified social credit code)."""
    from citizen_card import terminals
    from core.cli import run_async
    from core.errors import AppError

    try:
        merchant = run_async(lambda: _with_db(lambda: terminals.register_merchant(name, credit_code)))
    except AppError as exc:
        raise click.ClickException(f"{exc.code}: {exc.message} / {exc.message_en}") from None
    click.echo(f"merchant {merchant.id} {merchant.name}")


@card_cli.command("add-terminal")
@click.argument("merchant_id", type=int)
@click.argument("name")
def add_terminal(merchant_id: int, name: str) -> None:
    """Register a terminal of MERCHANT_ID; prints its key id and secret (shown once)."""
    from citizen_card import terminals
    from citizen_card.models import Merchant
    from core.cli import run_async

    async def run():
        return await terminals.register_terminal(await Merchant.get(id=merchant_id), name)

    creds = run_async(lambda: _with_db(run))
    click.echo(f"terminal {creds.terminal_id} key_id={creds.key_id} secret={creds.secret}")


@card_cli.command("check-ledger")
def check_ledger() -> None:
    """Prove the ledger balances to the fen; exit status 1 and the problems if not."""
    from citizen_card.ledger import ledger_problems
    from core.cli import run_async

    problems = run_async(lambda: _with_db(ledger_problems))
    for problem in problems:
        click.echo(problem)
    if problems:
        raise SystemExit(1)
    click.echo("ledger balances to the fen")
