"""Tortoise ORM: configuration assembled from every plugin's :class:`ModelsSpec`, start/stop,
migrations (Tortoise 1.x built-in: one dialect-neutral set for SQLite and PostgreSQL), and
:func:`transaction` — Tortoise's ``in_transaction`` plus after-commit callbacks (:func:`on_commit`).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tortoise import Tortoise, connections
from tortoise.backends.base.client import TransactionalDBClient
from tortoise.context import get_current_context
from tortoise.exceptions import ConfigurationError
from tortoise.transactions import in_transaction

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
        "connections": {"default": _connection_config(url)},
        "apps": apps,
        "use_tz": True,
        "timezone": "UTC",
    }


def _connection_config(url: str) -> str | dict[str, Any]:
    if not url.startswith(("postgres://", "asyncpg://")):
        return url
    from tortoise.backends.base.config_generator import expand_db_url

    config = expand_db_url(url)
    config["credentials"]["reset"] = _keep_session  # passed on to asyncpg.create_pool
    return config


async def _keep_session(connection: Any) -> None:
    """The pool's reset, run when a connection goes back to the pool: nothing beyond what asyncpg
    always does first (roll back an open transaction, drop listeners).

    asyncpg's default sends ``pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *; RESET ALL`` after
    every pooled query: a second round trip per query, everywhere. Nothing here takes advisory
    locks, holds cursors or listens, and code that changes session settings restores them before
    it releases its connection, or closes it (``core.feeds.writer``); tests/core/test_db_pool.py
    holds both to that."""


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


# ---- transactions with after-commit callbacks ------------------------------------------------------
#
# Tortoise has no on-commit hook. Every transaction that may start background work (directly or
# through code it calls) is opened with :func:`transaction`; each one pushes a frame on a context
# variable. :func:`on_commit` puts a callback on the innermost frame; a savepoint that ends well
# hands its callbacks to its parent, one that rolls back drops them; the outermost frame runs them
# once Tortoise has committed. See docs/architecture.md, "Background work".

AfterCommit = Callable[[], Awaitable[Any]]


@dataclass(eq=False)
class _Frame:
    client: Any  # the outermost Tortoise transaction client; None when opened inside a raw one
    callbacks: list[AfterCommit] = field(default_factory=list)


_frames: ContextVar[tuple[_Frame, ...]] = ContextVar("zhushida_transaction_frames", default=())


class UntrackedTransaction(RuntimeError):
    """After-commit work requested inside a transaction opened with Tortoise's raw
    ``in_transaction``: its commit cannot be observed, so the work would run too early."""


def _open_transaction() -> TransactionalDBClient | None:
    """Tortoise's client of the transaction open in this task, or None."""
    try:
        conn = connections.get("default")
    except ConfigurationError:
        return None
    if isinstance(conn, TransactionalDBClient) and not conn._finalized:
        return conn
    return None


def transaction_open() -> bool:
    """Whether this task is inside a transaction (work that would leave it must not)."""
    return _open_transaction() is not None


@asynccontextmanager
async def transaction() -> AsyncIterator[TransactionalDBClient]:
    """``async with transaction():`` — Tortoise's ``in_transaction()`` (a savepoint when nested)
    that also runs :func:`on_commit` callbacks after the outermost commit, and drops those
    registered in a transaction or savepoint that rolled back."""
    parent = _frames.get()
    outer = _open_transaction()
    frame = _Frame(client=parent[0].client if parent else None)
    token = _frames.set((*parent, frame))
    try:
        async with in_transaction() as conn:
            if outer is None:
                frame.client = conn
            yield conn
    finally:
        _frames.reset(token)
    # Reached only when the block ended without an exception, i.e. committed / released.
    if parent:
        parent[-1].callbacks.extend(frame.callbacks)
    elif outer is None:
        await _run_after_commit(frame.callbacks)


async def _run_after_commit(callbacks: list[AfterCommit]) -> None:
    # The change is committed: a failing callback is logged and must not turn it into an error.
    for callback in callbacks:
        try:
            await callback()
        except Exception:
            log.exception("after commit: %s failed", getattr(callback, "__qualname__", callback))


async def on_commit(callback: AfterCommit) -> None:
    """Await ``callback()`` once the current transaction has committed (dropped if it rolls back);
    outside a transaction, at once."""
    client = _open_transaction()
    if client is None:
        await callback()
        return
    frames = _frames.get()
    if not frames or frames[0].client is not client:
        raise UntrackedTransaction(
            "after-commit work inside a transaction opened with tortoise's in_transaction(): "
            "open it (and every enclosing one) with core.db.transaction()")
    frames[-1].callbacks.append(callback)


def __getattr__(name: str) -> Any:
    # ``core.db.TORTOISE_ORM``: the assembled config, for Tortoise's own CLI (makemigrations).
    if name == "TORTOISE_ORM":
        from core.plugins.host import get_host
        from core.settings import get_settings

        settings = get_settings()
        return tortoise_config(settings, get_host(settings))
    raise AttributeError(name)
