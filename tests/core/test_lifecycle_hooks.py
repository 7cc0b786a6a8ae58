"""Start-up/shut-down events, plugin CLI commands, periodic tasks and demo seeding."""

from __future__ import annotations

import httpx
from click.testing import CliRunner

from core import cli
from core.app import create_app, platform_lifespan
from core.models import AuditEvent
from core.plugins import host as host_module
from core.plugins.host import PluginHost
from tests.core.fixture_plugins import lifecycle


def lifecycle_host(settings) -> PluginHost:
    host = PluginHost(settings).load_entry_points()
    host.register_module("lifecycle", lifecycle)
    return host


async def test_startup_and_shutdown_events_reach_plugins(settings, stores, database):
    lifecycle.events.clear()
    app = create_app(settings, lifecycle_host(settings), stores, mount_sandbox=False)
    async with platform_lifespan(app):
        assert lifecycle.events == ["startup"]
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
            assert (await c.get("/healthz")).status_code == 200
    assert lifecycle.events == ["startup", "shutdown"]


def test_plugin_cli_commands_join_the_zhushida_command(settings, monkeypatch):
    monkeypatch.setattr(host_module, "_host", lifecycle_host(settings))
    monkeypatch.setattr(cli.Cli, "_plugin_cmds", None)
    result = CliRunner().invoke(cli.main, ["hello-dept"])
    assert result.exit_code == 0, result.output
    assert "你好 from the department" in result.output
    assert "hello-dept" in CliRunner().invoke(cli.main, ["--help"]).output


def test_periodic_tasks_are_collected(settings):
    periodic = [p for _n, p in lifecycle_host(settings).collect("zhushida_periodic_tasks", settings=settings)]
    assert [(p.name, p.every_seconds) for p in periodic if p.name == "lifecycle.audit"] == [("lifecycle.audit", 3600)]


async def test_seed_demo_is_idempotent(settings, database):
    host = lifecycle_host(settings)
    for _ in range(2):
        for plugin, awaitable in host.call("zhushida_seed_demo"):
            await awaitable
    assert await AuditEvent.filter(action="seeded").count() == 1
