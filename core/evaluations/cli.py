"""``zhushida evaluations apply-defaults``: run the default-rating pass now (it also runs periodically)."""

from __future__ import annotations

import asyncio

import click


@click.group()
def evaluations() -> None:
    """Ratings (好差评)."""


@evaluations.command("apply-defaults")
def apply_defaults_cmd() -> None:
    """Give unrated finished cases past the delay the configured default level."""
    from core import db
    from core.evaluations.api import apply_defaults
    from core.plugins.host import get_host
    from core.settings import get_settings

    async def go() -> int:
        settings = get_settings()
        await db.init_db(settings, get_host(settings))
        try:
            return await apply_defaults()
        finally:
            await db.close_db()

    click.echo(f"default ratings given: {asyncio.run(go())}")
