from __future__ import annotations

import pytest


@pytest.fixture
def task_worker(celery_worker):
    """The Celery worker (services backend) with every task bound, also those defined after it
    started; None embedded (tasks run in process)."""
    from core import tasks

    if celery_worker is not None:
        for spec in tasks.registered().values():
            tasks._bind_celery_task(celery_worker, spec)
    return celery_worker
