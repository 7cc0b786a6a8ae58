"""The feed machinery registered as a platform plugin: its import history model, CLI and task."""

from __future__ import annotations

from core.hooks import ModelsSpec, hookimpl

ZHUSHIDA_CONTRACT = "1"


@hookimpl
def zhushida_models() -> ModelsSpec:
    return ModelsSpec("feeds", ["core.feeds.models"], "core.feeds.migrations", table_prefix="feeds_")


@hookimpl
def zhushida_cli_commands():
    from core.feeds.cli import feeds

    return [feeds]


@hookimpl
def zhushida_tasks():
    from core.feeds.service import import_feed_task

    return [import_feed_task]
