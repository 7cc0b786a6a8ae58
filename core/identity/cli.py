"""CLI commands of the identity package: ``zhushida regions ...`` and ``zhushida identity ...``."""

from __future__ import annotations

import asyncio
import getpass
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import click


def _run_with_db(fn: Callable[[], Awaitable[Any]]) -> Any:
    from core import db
    from core.plugins.host import get_host
    from core.settings import get_settings

    async def go() -> Any:
        settings = get_settings()
        await db.init_db(settings, get_host(settings))
        try:
            return await fn()
        finally:
            await db.close_db()

    return asyncio.run(go())


@click.group()
def regions() -> None:
    """Region tree (GB/T 2260 and 12-digit statistical codes)."""


@regions.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def regions_import(file: Path) -> None:
    """Load a statistical-code CSV (columns code,name[,parent_code]); all or nothing."""
    from tqdm import tqdm

    from core.identity.region_import import ImportRejected, import_regions, parse

    try:
        total = len(parse(file.read_text(encoding="utf-8-sig")))
    except ImportRejected as exc:
        raise click.ClickException(str(exc)) from exc
    with tqdm(total=total, unit="region", desc="regions") as bar:
        try:
            result = _run_with_db(lambda: import_regions(file, progress=bar.update))
        except ImportRejected as exc:
            raise click.ClickException(str(exc)) from exc
    levels = ", ".join(f"{k} {v}" for k, v in sorted(result.by_level.items()))
    click.echo(
        f"{result.rows} rows: {result.created} new, {result.renamed} renamed, {result.unchanged} unchanged ({levels})"
    )


@regions.command("seed")
def regions_seed() -> None:
    """Create the Zhuzhou tree (株洲市, its nine county-level divisions and sample townships/villages)."""
    from core.identity.seed import seed_zhuzhou_regions

    created = _run_with_db(seed_zhuzhou_regions)
    click.echo(f"{created} regions created")


@click.group()
def identity() -> None:
    """Accounts and personal data."""


@identity.command("rotate-keys")
def rotate_keys_cmd() -> None:
    """Re-encrypt personal data under the first key of ZHUSHIDA_DATA_KEYS."""
    from tqdm import tqdm

    from core.identity.rotation import rotate_keys, stale_rows

    total = _run_with_db(stale_rows)
    with tqdm(total=total, unit="row", desc="rotating") as bar:
        done = _run_with_db(lambda: rotate_keys(progress=bar.update))
    click.echo(", ".join(f"{table}: {n}" for table, n in done.items()))


@identity.command("population-import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def population_import(file: Path) -> None:
    """Load population register rows (name,id_number[,region_code[,alive]]) for the identity authority."""
    from tqdm import tqdm

    from core.identity.authority import add_population_record, read_population_csv

    try:
        rows = read_population_csv(file)
    except ValueError as exc:
        raise click.ClickException(f"nothing imported: {exc}") from exc

    async def load() -> None:
        from core.db import transaction

        async with transaction():
            for name, number, region, alive in tqdm(rows, unit="person", desc="population"):
                await add_population_record(name, number, region_code=region, alive=alive)

    _run_with_db(load)
    click.echo(f"{len(rows)} people loaded")


@identity.command("create-admin")
@click.argument("username")
@click.option("--name", default="平台管理员", show_default=True)
def create_admin(username: str, name: str) -> None:
    """Create a platform admin (asks for the password)."""
    from core.errors import AppError
    from core.identity.staff import USERNAME, hash_password, validate_password

    if not USERNAME.match(username):
        raise click.ClickException("username: 3-64 lower-case letters, digits or _.-")
    password = getpass.getpass("password: ")
    try:
        validate_password(password)
    except AppError as exc:
        raise click.ClickException(exc.message_en) from exc

    async def create() -> None:
        from core.identity.models import StaffKind, StaffUser

        if await StaffUser.exists(username=username):
            raise click.ClickException(f"user {username} exists")
        await StaffUser.create(
            username=username,
            name=name,
            kind=StaffKind.ADMIN,
            password_hash=hash_password(password),
        )

    _run_with_db(create)
    click.echo(f"admin {username} created")
