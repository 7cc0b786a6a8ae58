"""The ``zhushida`` command line. ``zhushida COMMAND --help`` explains each command."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Awaitable, Callable
from typing import Any

import click

from core.settings import ConfigurationError


def _settings():
    from core.settings import get_settings

    return get_settings()


def _host():
    from core.plugins.host import get_host

    return get_host(_settings())


def fail(message: str, code: int = 2) -> None:
    click.echo(f"zhushida: {message}", err=True)
    sys.exit(code)


def run_async(fn: Callable[[], Awaitable[Any]]) -> Any:
    return asyncio.run(fn())


class Cli(click.Group):
    """Turns configuration and connection failures into one clear line instead of a traceback."""

    _plugin_cmds: dict[str, click.Command] | None = None

    def _plugin_commands(self) -> dict[str, click.Command]:
        if self._plugin_cmds is None:
            self._plugin_cmds = {}
            try:
                for _plugin, command in _host().collect("zhushida_cli_commands"):
                    self._plugin_cmds[command.name] = command
            except ConfigurationError:
                pass  # reported when a command needs the settings
        return self._plugin_cmds

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(super().list_commands(ctx)) | set(self._plugin_commands()))

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        return super().get_command(ctx, name) or self._plugin_commands().get(name)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ConfigurationError as exc:
            fail(str(exc))
        except (ConnectionError, OSError) as exc:
            fail(f"cannot reach a required service: {exc}")


@click.group(cls=Cli, context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """诸事达 Zhushida — citizen super-app backend."""


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=1, show_default=True, type=int, help="App processes.")
def serve(host: str, port: int, workers: int) -> None:
    """Serve the HTTP API with granian (production ASGI server)."""
    from granian.constants import Interfaces
    from granian.server import Server

    if not os.environ.get("ZHUSHIDA_PUBLIC_URL"):
        # The embedded sandbox is reached by this process's own SDK clients at this address; set
        # before the settings are first read, so the app workers inherit it.
        os.environ["ZHUSHIDA_PUBLIC_URL"] = f"http://{'127.0.0.1' if host in ('0.0.0.0', '::') else host}:{port}"
        from core.settings import get_settings

        get_settings.cache_clear()
    settings = _settings()
    if settings.sandbox_enabled and workers > 1 and not settings.sandbox_url:
        click.echo("note: the mounted sandbox keeps its state per process; use `zhushida sandbox` for several workers", err=True)
    _check_database_reachable()
    click.echo(f"serving on http://{host}:{port}  (docs: /docs, health: /healthz, readiness: /readyz)")
    Server("core.app:app_factory", address=host, port=port, interface=Interfaces.ASGI, workers=workers,
           factory=True, log_access=False).serve()


def _check_database_reachable() -> None:
    from core import db

    async def probe() -> None:
        settings, host = _settings(), _host()
        try:
            await db.init_db(settings, host)
            await db.ping()
        except Exception as exc:
            raise ConfigurationError(f"database unreachable ({settings.effective_database_url.split('@')[-1]}): {exc}") from exc
        finally:
            await db.close_db()

    run_async(probe)


@main.command()
@click.option("--concurrency", "-c", default=2, show_default=True, type=int)
@click.option("--loglevel", default="INFO", show_default=True)
def worker(concurrency: int, loglevel: str) -> None:
    """Run a Celery worker (needs ZHUSHIDA_BROKER_URL)."""
    app = _celery_for_cli()
    app.worker_main(["worker", f"--concurrency={concurrency}", f"--loglevel={loglevel}", "--pool=threads"])


@main.command()
@click.option("--loglevel", default="INFO", show_default=True)
def beat(loglevel: str) -> None:
    """Run Celery beat: the schedule of every plugin's periodic tasks."""
    from core import tasks

    app = _celery_for_cli()
    settings = _settings()
    tasks.configure_beat(app, [p for _n, p in _host().collect("zhushida_periodic_tasks", settings=settings)])
    app.start(["beat", f"--loglevel={loglevel}", "--schedule", str(settings.var_dir / "celerybeat-schedule")])


def _celery_for_cli():
    from core import tasks

    settings = _settings()
    if not settings.broker_url:
        raise ConfigurationError("ZHUSHIDA_BROKER_URL is not set: the embedded default runs tasks inside `zhushida serve`")
    host = _host()
    host.call("zhushida_tasks")
    return tasks.get_celery(settings)


# ---- db -------------------------------------------------------------------------------------------


@main.group()
def db() -> None:
    """Database schema: migrations of core and every plugin."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Apply all pending migrations (SQLite or PostgreSQL)."""
    from core import db as dbmod

    def progress(event: str, app_label: str, name: str) -> None:
        if event == "apply_done":
            click.echo(f"  applied {app_label}.{name}")

    try:
        run_async(lambda: dbmod.upgrade(_settings(), _host(), progress=progress))
    except (OSError, ConnectionError) as exc:
        raise ConfigurationError(f"database unreachable: {exc}") from exc
    click.echo("database is up to date")


@db.command("makemigrations")
@click.argument("app_labels", nargs=-1)
@click.option("--name", default=None, help="Migration name suffix.")
def db_makemigrations(app_labels: tuple[str, ...], name: str | None) -> None:
    """Write new migrations for model changes (developers; review every generated file)."""
    from tortoise.cli.cli import CLIContext, makemigrations

    ctx = CLIContext(config="core.db.TORTOISE_ORM", config_file=None)
    run_async(lambda: makemigrations(ctx, app_labels, False, name))


# ---- seed -----------------------------------------------------------------------------------------


@main.group()
def seed() -> None:
    """Load data."""


@seed.command("demo")
def seed_demo() -> None:
    """Seed the demo region, departments, staff and a demo citizen (idempotent)."""
    from core import db as dbmod

    async def go() -> None:
        settings, host = _settings(), _host()
        await dbmod.init_db(settings, host)
        try:
            for plugin, awaitable in host.call("zhushida_seed_demo"):
                await awaitable
                click.echo(f"  seeded {plugin}")
        finally:
            await dbmod.close_db()

    run_async(go)
    click.echo("demo data ready")


# ---- plugins --------------------------------------------------------------------------------------


@main.group()
def plugins() -> None:
    """Inspect and check plugins."""


@plugins.command("list")
def plugins_list() -> None:
    """Show each plugin: version, state, hooks."""
    from core.plugins.records import CONTRACT_VERSION

    host = _host()
    click.echo(f"hook contract {CONTRACT_VERSION}")
    for record in sorted(host.records.values(), key=lambda r: (not r.platform, r.name)):
        kind = "platform" if record.platform else "service"
        click.echo(f"{record.name:<20} {record.version:<10} {record.state:<9} {kind:<9} {record.distribution or ''}")
        if record.hooks:
            click.echo(f"    hooks: {', '.join(record.hooks)}")
        if record.error:
            click.echo(f"    error: {record.error}")


@plugins.command("check")
@click.argument("name")
def plugins_check(name: str) -> None:
    """Run the conformance kit against plugin NAME (an entry-point name or a module path)."""
    from core.plugins.conformance import check_plugin

    report = run_async(lambda: check_plugin(_settings(), name))
    for line in report.lines():
        click.echo(line)
    sys.exit(0 if report.ok else 1)


# ---- sandbox --------------------------------------------------------------------------------------


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8100, show_default=True, type=int)
def sandbox(host: str, port: int) -> None:
    """Serve the sandbox gateways alone (set ZHUSHIDA_SANDBOX_URL=http://HOST:PORT/sandbox for the app)."""
    import uvicorn

    from core.sandbox import create_sandbox_app

    click.echo(f"sandbox on http://{host}:{port}/sandbox")
    uvicorn.run(create_sandbox_app(_settings(), _host()), host=host, port=port, log_level="warning")


if __name__ == "__main__":  # pragma: no cover
    main()
