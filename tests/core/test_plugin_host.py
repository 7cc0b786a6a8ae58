"""The plugin host: entry points, isolation, time budgets, contract checks, enable/disable."""

from __future__ import annotations

import logging
import time

import pytest
from click.testing import CliRunner

from core.cli import main
from core.plugins.host import PluginError, PluginHost
from core.settings import Settings


def fresh_host(**overrides) -> PluginHost:
    return PluginHost(Settings(plugin_timeout_seconds=0.2, **overrides))


def test_platform_packages_load_through_entry_points(host):
    record = host.records["core"]
    assert record.state == "enabled"
    assert record.platform and record.distribution == "zhushida"
    assert "zhushida_models" in record.hooks and "zhushida_routes" in record.hooks


def test_disabled_by_settings():
    host = fresh_host(plugins_disabled=["core"]).load_entry_points()
    assert host.records["core"].state == "disabled"
    assert not host.pm.get_plugin("core")


def test_failing_start_up_hook_disables_only_that_plugin(caplog):
    host = fresh_host().load_entry_points()
    host.register_module("echo", "tests.core.fixture_plugins.echo")
    # The broken plugin is refused at load for its misspelled hook, naming the hook.
    broken = host.register_module("broken", "tests.core.fixture_plugins.broken")
    assert broken.state == "failed" and "zhushida_home_widget" in broken.error
    # A plugin whose hook raises is disabled when called, the others keep working.
    import types

    module = types.ModuleType("exploding")
    module.ZHUSHIDA_CONTRACT = "1"
    from core.hooks import hookimpl

    @hookimpl
    def zhushida_routes(settings):
        raise RuntimeError("routes table exploded")

    module.zhushida_routes = zhushida_routes
    host.register_module("exploding", module)
    with caplog.at_level(logging.ERROR, logger="zhushida.plugins"):
        results = host.call("zhushida_routes", settings=host.settings)
    names = {name for name, _ in results}
    assert {"core", "echo"} <= names and "exploding" not in names
    assert host.records["exploding"].state == "failed"
    assert "exploding" in caplog.text and "routes table exploded" in caplog.text


def test_platform_package_failure_is_fatal_and_named():
    host = fresh_host()
    import types

    from core.hooks import hookimpl

    module = types.ModuleType("payments_fake")
    module.ZHUSHIDA_CONTRACT = "1"

    @hookimpl
    def zhushida_routes(settings):
        raise RuntimeError("boom")

    module.zhushida_routes = zhushida_routes
    host.register_module("payments", module)
    with pytest.raises(PluginError, match="plugin 'payments' failed in zhushida_routes: RuntimeError: boom"):
        host.call("zhushida_routes", settings=host.settings)


def test_contract_version_is_checked():
    host = fresh_host()
    record = host.register_module("old", "tests.core.fixture_plugins.old_contract")
    assert record.state == "failed" and "contract 0.9" in record.error


async def test_gather_awaits_concurrently_and_drops_slow_and_failing_plugins(caplog):
    host = fresh_host()
    host.register_module("echo", "tests.core.fixture_plugins.echo")
    host.register_module("slow", "tests.core.fixture_plugins.slow_and_failing")
    host.register_module("raising", "tests.core.fixture_plugins.raising")
    started = time.perf_counter()
    with caplog.at_level(logging.WARNING, logger="zhushida.plugins"):
        results = await host.gather("zhushida_home_widgets", user=None, region=None, channel="app")
    elapsed = time.perf_counter() - started
    assert [(name, widget.key, widget.data) for name, widget in results] == [("echo", "echo", {"channel": "app"})]
    assert elapsed < 1.0  # one 0.2 s budget, not the slow plugin's hour
    assert "'slow' dropped" in caplog.text and "'raising' dropped" in caplog.text
    assert "over its time budget" in caplog.text  # a timeout says so (it carries no message of its own)


def test_plugins_list_shows_platform_packages():
    result = CliRunner().invoke(main, ["plugins", "list"])
    assert result.exit_code == 0, result.output
    assert "hook contract 1.2" in result.output  # minor 1: zhushida_account_merged, minor 2: zhushida_case_charges
    line = next(line for line in result.output.splitlines() if line.startswith("core "))
    assert "enabled" in line and "platform" in line


def test_plugins_check_passes_a_good_plugin():
    result = CliRunner().invoke(main, ["plugins", "check", "core"])
    assert result.exit_code == 0, result.output
    assert "0 failed" in result.output


def test_plugins_check_reports_a_broken_plugin():
    result = CliRunner().invoke(main, ["plugins", "check", "tests.core.fixture_plugins.broken"])
    assert result.exit_code == 1
    assert "[FAIL] declares a compatible contract and only known hooks" in result.output
    assert "zhushida_home_widget" in result.output


def test_plugins_check_reports_a_failing_hook_and_timeout():
    result = CliRunner().invoke(main, ["plugins", "check", "tests.core.fixture_plugins.slow_and_failing"])
    assert result.exit_code == 1
    assert "[FAIL] zhushida_home_widgets answers — TimeoutError" in result.output


def test_plugins_check_unknown_name():
    result = CliRunner().invoke(main, ["plugins", "check", "no_such_plugin_anywhere"])
    assert result.exit_code == 1
    assert "[FAIL] imports" in result.output
