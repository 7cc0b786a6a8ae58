"""Tasks used by the task tests (async ORM code, a flaky task)."""

from __future__ import annotations

from core.models import AuditEvent
from core.tasks import task

attempts: dict[str, int] = {}


@task("tests.write_audit")
async def write_audit(action: str) -> int:
    event = await AuditEvent.create(actor="task", action=action, target="tests")
    return event.id


@task("tests.flaky", max_retries=2, retry_delay=0.01)
async def flaky(action: str) -> None:
    attempts[action] = attempts.get(action, 0) + 1
    if attempts[action] < 2:
        raise ConnectionError("upstream hiccup")
    await AuditEvent.create(actor="task", action=action, target=str(attempts[action]))


@task("tests.record_seen")
async def record_seen(action: str) -> None:
    """Record how many ``action`` rows this task could see when it ran."""
    seen = await AuditEvent.filter(action=action).count()
    await AuditEvent.create(actor="task", action=f"{action}:seen", target=str(seen))
