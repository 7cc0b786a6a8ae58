"""Tortoise ORM: configuration assembled from every plugin's :class:`ModelsSpec`, start/stop,
migrations (Tortoise 1.x built-in: one dialect-neutral set for SQLite and PostgreSQL).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from tortoise import Tortoise, connections
from tortoise.context import get_current_context

from core.plugins.host import PluginHost
from core.plugins.records import ModelsSpec
from core.settings import Settings

log = logging.getLogger("zhushida.db")


def models_specs(host: PluginHost) -> list[ModelsSpec]:
    specs = [spec for _plugin, spec in host.collect("zhushida_models")]
    labels = [spec.app_label for spec in specs]
    duplicates = {label for label in labels if labels.count(label) > 1}
    if duplicates:
        raise RuntimeError(f"two plugins declare the same model app label(s): {sorted(duplicates)}")
    return specs


def tortoise_config(settings: Settings, host: PluginHost) -> dict[str, Any]:
    url = settings.effective_database_url
    if url.startswith("sqlite://") and ":memory:" not in url:
        Path(url.removeprefix("sqlite://")).parent.mkdir(parents=True, exist_ok=True)
    apps = {
        spec.app_label: {
            "models": list(spec.modules),
            "default_connection": "default",
            "migrations": spec.migrations,
        }
        for spec in models_specs(host)
    }
    return {
        "connections": {"default": url},
        "apps": apps,
        "use_tz": True,
        "timezone": "UTC",
    }


def is_initialised() -> bool:
    ctx = get_current_context()
    return bool(ctx and ctx.inited)


async def init_db(settings: Settings, host: PluginHost) -> None:
    """Initialise the global Tortoise context (visible to every request task)."""
    await Tortoise.init(config=tortoise_config(settings, host), _enable_global_fallback=True)


async def close_db() -> None:
    await connections.close_all()
    _reset_global_context()


def _reset_global_context() -> None:
    # Tortoise 1.x refuses a second global context; after closing we may start again (tests, CLI).
    import tortoise.context as tctx

    tctx._global_context = None


async def upgrade(settings: Settings, host: PluginHost, *, progress: Any = None) -> None:
    """Apply every app's migrations (``zhushida db upgrade``)."""
    from tortoise.migrations.api import migrate

    try:
        await migrate(config=tortoise_config(settings, host), progress=progress)
    finally:
        await close_db()


async def ping() -> bool:
    conn = connections.get("default")
    await conn.execute_query("SELECT 1")
    return True


def dialect() -> str:
    return connections.get("default").capabilities.dialect


async def truncate_all(host: PluginHost) -> None:
    """Empty every table of every app (tests: a clean database per test, fast)."""
    from tortoise import Tortoise as T

    conn = connections.get("default")
    tables = [model._meta.db_table for app in (T.apps or {}).values() for model in app.values()]
    if not tables:
        return
    if conn.capabilities.dialect == "postgres":
        quoted = ", ".join(f'"{t}"' for t in tables)
        await conn.execute_script(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE")
    else:
        script = "PRAGMA foreign_keys=OFF;" + "".join(f'DELETE FROM "{t}";' for t in tables)
        await conn.execute_script(script + "PRAGMA foreign_keys=ON;")


def __getattr__(name: str) -> Any:
    # ``core.db.TORTOISE_ORM``: the assembled config, for Tortoise's own CLI (makemigrations).
    if name == "TORTOISE_ORM":
        from core.plugins.host import get_host
        from core.settings import get_settings

        settings = get_settings()
        return tortoise_config(settings, get_host(settings))
    raise AttributeError(name)
