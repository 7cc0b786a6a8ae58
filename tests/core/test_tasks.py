"""Tasks run async ORM code: in process (embedded) or through the real broker and a worker."""

from __future__ import annotations

import pytest

from core import tasks
from core.models import AuditEvent
from tests.conftest import BACKEND
from tests.core import tasks_fixture


async def test_enqueue_runs_orm_code_in_the_background(task_worker, app):
    await tasks.enqueue(tasks_fixture.write_audit, action="hello")
    await tasks.drain()
    assert await AuditEvent.filter(action="hello").count() == 1
    if BACKEND == "services":
        assert tasks.get_settings().broker_url.startswith("amqp://")


async def test_failed_attempts_are_retried(task_worker, app):
    tasks_fixture.attempts.clear()
    await tasks.enqueue("tests.flaky", action="flaky-1")
    await tasks.drain()
    event = await AuditEvent.get(action="flaky-1")
    assert event.target == "2"


async def test_unknown_task_is_a_clear_error():
    with pytest.raises(KeyError, match="unknown task"):
        await tasks.enqueue("no.such.task")


async def test_periodic_runner_runs_on_schedule(database):
    from core.plugins.records import PeriodicTask

    runner = tasks.PeriodicRunner([PeriodicTask("audit-tick", tasks_fixture.write_audit, 0.05, {"action": "tick"})])
    runner.start()
    import asyncio

    await asyncio.sleep(0.2)
    await runner.stop()
    assert await AuditEvent.filter(action="tick").count() >= 2


def test_beat_schedule_from_periodic_tasks():
    from celery import Celery

    from core.plugins.records import PeriodicTask

    app = Celery("t")
    tasks.configure_beat(app, [PeriodicTask("sweep", tasks_fixture.write_audit, 60, {"action": "sweep"})])
    assert app.conf.beat_schedule == {"sweep": {"task": "tests.write_audit", "schedule": 60, "kwargs": {"action": "sweep"}}}
