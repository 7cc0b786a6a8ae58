"""Tasks enqueued inside a transaction start after its commit and never after a rollback, on both
backends: in process (embedded) and through RabbitMQ to a real Celery worker (services)."""

from __future__ import annotations

import logging

import pytest
from prometheus_client import REGISTRY
from tortoise.transactions import in_transaction

from core import db, tasks
from core.models import AuditEvent
from tests.core import tasks_fixture


class Boom(Exception):
    pass


def sent(task_name: str) -> float:
    return REGISTRY.get_sample_value("zhushida_tasks_sent_total", {"task": task_name}) or 0.0


async def test_a_committed_transaction_sends_its_task_after_the_commit(task_worker, app):
    before = sent("tests.record_seen")
    async with db.transaction():
        await AuditEvent.create(actor="test", action="committed", target="row")
        await tasks.enqueue(tasks_fixture.record_seen, action="committed")
        assert sent("tests.record_seen") == before  # held while the transaction is open
    assert sent("tests.record_seen") == before + 1
    await tasks.drain()
    seen = await AuditEvent.get(action="committed:seen")
    assert seen.target == "1"  # the task saw the row its transaction wrote


async def test_a_rolled_back_transaction_never_sends_its_task(task_worker, app):
    before = sent("tests.write_audit")
    with pytest.raises(Boom):
        async with db.transaction():
            await AuditEvent.create(actor="test", action="rolled-back", target="row")
            await tasks.enqueue(tasks_fixture.write_audit, action="from-rolled-back")
            raise Boom
    await tasks.drain()
    assert sent("tests.write_audit") == before
    assert not await AuditEvent.filter(action__in=["rolled-back", "from-rolled-back"]).exists()


async def test_a_savepoint_that_rolls_back_drops_only_its_own_tasks(task_worker, app):
    async with db.transaction():
        await tasks.enqueue(tasks_fixture.write_audit, action="outer")
        with pytest.raises(Boom):
            async with db.transaction():
                await tasks.enqueue(tasks_fixture.write_audit, action="inner-rolled-back")
                raise Boom
        async with db.transaction():
            await tasks.enqueue(tasks_fixture.write_audit, action="inner-released")
    await tasks.drain()
    actions = set(await AuditEvent.filter(actor="task").values_list("action", flat=True))
    assert actions == {"outer", "inner-released"}


async def test_a_released_savepoint_waits_for_the_outer_commit(task_worker, app):
    before = sent("tests.write_audit")
    with pytest.raises(Boom):
        async with db.transaction():
            async with db.transaction():
                await tasks.enqueue(tasks_fixture.write_audit, action="inner-of-rolled-back")
            assert sent("tests.write_audit") == before  # released, not committed: still held
            raise Boom
    await tasks.drain()
    assert sent("tests.write_audit") == before
    assert not await AuditEvent.filter(action="inner-of-rolled-back").exists()


async def test_outside_a_transaction_the_task_is_sent_at_once(task_worker, app):
    before = sent("tests.write_audit")
    await tasks.enqueue(tasks_fixture.write_audit, action="no-transaction")
    assert sent("tests.write_audit") == before + 1
    await tasks.drain()
    assert await AuditEvent.filter(action="no-transaction").count() == 1


async def test_a_raw_tortoise_transaction_refuses_after_commit_work(database):
    """Its commit cannot be observed: rather than a task racing the commit, a clear error."""
    with pytest.raises(db.UntrackedTransaction):
        async with in_transaction():
            await tasks.enqueue(tasks_fixture.write_audit, action="raw")
    with pytest.raises(db.UntrackedTransaction):
        async with in_transaction(), db.transaction():  # tracked inside, raw outside: still refused
            await tasks.enqueue(tasks_fixture.write_audit, action="raw-outer")
    await tasks.drain()
    assert not await AuditEvent.filter(action__in=["raw", "raw-outer"]).exists()


async def test_callbacks_run_in_order_and_a_failing_one_does_not_undo_the_commit(database, caplog):
    ran: list[str] = []

    async def first() -> None:
        ran.append("first")

    async def broken() -> None:
        raise RuntimeError("broker down")

    async def last() -> None:
        ran.append("last")

    with caplog.at_level(logging.ERROR, logger="zhushida.db"):
        async with db.transaction():
            await AuditEvent.create(actor="test", action="kept", target="row")
            for callback in (first, broken, last):
                await db.on_commit(callback)
            assert ran == []
    assert ran == ["first", "last"]
    assert await AuditEvent.filter(action="kept").exists()
    assert "broken failed" in caplog.text
