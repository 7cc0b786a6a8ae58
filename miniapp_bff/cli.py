"""``zhushida bff …``: operator commands of the backend-for-frontend."""

from __future__ import annotations

import click


@click.group()
def bff() -> None:
    """Backend-for-frontend of the mini-program and the app."""


@bff.command("invalidate-catalogue")
@click.option("--reason", default="by hand", show_default=True)
def invalidate_catalogue(reason: str) -> None:
    """Drop the cached catalogue of every region and channel, in every app process."""
    from core.cli import run_async
    from miniapp_bff import catalogue_cache

    async def run() -> str:
        from core.settings import get_settings
        from core.stores import Stores

        stores = Stores(get_settings())  # this command's own connection, closed on the way out
        try:
            return await catalogue_cache.invalidate(reason, stores=stores)
        finally:
            await stores.close()

    token = run_async(run)
    click.echo(f"catalogue cache invalidated (generation {token})")
