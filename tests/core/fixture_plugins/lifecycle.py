"""A plugin exercising the lifecycle hooks: start-up/shut-down, CLI, periodic tasks, demo seed."""

from __future__ import annotations

import click

from core.hooks import PeriodicTask, hookimpl
from core.models import AuditEvent
from tests.core import tasks_fixture

ZHUSHIDA_CONTRACT = "1"
events: list[str] = []


@hookimpl
def zhushida_startup(app):
    async def started():
        events.append("startup")

    return started()


@hookimpl
def zhushida_shutdown(app):
    events.append("shutdown")


@hookimpl
def zhushida_cli_commands():
    @click.command("hello-dept")
    def hello() -> None:
        """Greets from a department plugin."""
        click.echo("你好 from the department")

    return [hello]


@hookimpl
def zhushida_periodic_tasks(settings):
    return [PeriodicTask("lifecycle.audit", tasks_fixture.write_audit, 3600, {"action": "periodic"})]


@hookimpl
def zhushida_seed_demo():
    async def seed():
        if not await AuditEvent.filter(action="seeded").exists():
            await AuditEvent.create(actor="seed", action="seeded")

    return seed()
