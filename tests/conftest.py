"""Test harness: one backend per process (embedded SQLite, or PostgreSQL + Redis + RabbitMQ).

``scripts/test.sh`` runs the suite twice, once per backend (Tortoise caches SQL per dialect at
module level, so two dialects in one process do not mix). The database is migrated once per
process with the real migrations, and every test starts on empty tables and empty stores.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

# Settings are read from the environment: fix them before any project module is imported.
_VAR = Path(tempfile.mkdtemp(prefix="zhushida-test-"))
os.environ.setdefault("ZHUSHIDA_VAR_DIR", str(_VAR))
os.environ.setdefault("ZHUSHIDA_DATABASE_URL", f"sqlite://{_VAR / 'test.sqlite3'}")
# The home screen's budget (0.5 s in production) is generous here: a process's first home screen,
# built cold while the CI machine is busy, took over 0.6 s and came back with every section dropped.
# Tests of the budget itself build their hosts and screens with their own short one.
os.environ.setdefault("ZHUSHIDA_HOME_BUDGET_SECONDS", "10")

from tests.support.servers import ThreadedServer, free_port  # noqa: E402

_SANDBOX_PORT = free_port()
os.environ["ZHUSHIDA_SANDBOX_URL"] = f"http://127.0.0.1:{_SANDBOX_PORT}/sandbox"

import httpx  # noqa: E402
import pytest  # noqa: E402

from tests.support.services import backend, unreachable_services  # noqa: E402

BACKEND = backend()


def pytest_report_header(config: pytest.Config) -> list[str]:
    return [f"zhushida backend: {BACKEND} ({os.environ['ZHUSHIDA_DATABASE_URL'].split('@')[-1]})"]


def pytest_sessionstart(session: pytest.Session) -> None:
    missing = unreachable_services()
    if missing:
        # With CI=true a missing service is a failure; scripts/test.sh decides to skip elsewhere.
        pytest.exit("services unreachable: " + "; ".join(missing), returncode=3)


@pytest.fixture(scope="session")
def settings():
    from core.settings import get_settings

    return get_settings()


@pytest.fixture(scope="session")
def host(settings):
    from core.plugins.host import get_host

    return get_host(settings)


@pytest.fixture(scope="session")
def stores(settings):
    from core.stores import get_stores

    return get_stores()


@pytest.fixture(scope="session")
async def database(settings, host):
    from tortoise import Tortoise

    from core import db

    if BACKEND == "services":
        await _reset_postgres_schema(settings.effective_database_url)
    await db.upgrade(settings, host)  # the real migrations, on this backend
    await db.init_db(settings, host)
    assert Tortoise.apps
    yield
    await db.close_db()


async def _reset_postgres_schema(url: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(url.replace("postgres://", "postgresql://", 1))
    try:
        await conn.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
    finally:
        await conn.close()


@pytest.fixture(scope="session")
def sandbox_server(settings, host):
    from core.sandbox import create_sandbox_app

    server = ThreadedServer(create_sandbox_app(settings, host), _SANDBOX_PORT).start()
    yield settings.effective_sandbox_url
    server.stop()


@pytest.fixture(scope="session")
def celery_worker(settings, host):
    """A real Celery worker on the real broker (services backend only), in this process."""
    if not settings.broker_url:
        yield None
        return
    from celery.contrib.testing.worker import start_worker

    from core import tasks

    host.call("zhushida_tasks")
    app = tasks.get_celery(settings)
    with start_worker(app, pool="threads", concurrency=2, perform_ping_check=False, loglevel="WARNING",
                      shutdown_timeout=10):
        yield app
    tasks.stop_worker_runtime()


@pytest.fixture(scope="session")
async def app(settings, host, stores, database, sandbox_server, celery_worker):
    from core.app import create_app, platform_lifespan

    application = create_app(settings, host, stores, mount_sandbox=True)
    async with platform_lifespan(application):
        yield application


@pytest.fixture
async def client(app):
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as c:
        yield c


@pytest.fixture(autouse=True)
async def clean_state(request):
    """Every test starts on empty tables and empty stores."""
    yield
    if "database" not in request.fixturenames and "app" not in request.fixturenames:
        return
    from core import changes, db, tasks
    from core.plugins.host import get_host
    from core.stores import get_stores

    await tasks.drain()
    await db.truncate_all(get_host())
    await get_stores().clear_all()
    await changes.flush()
    changes.reset("test finished")  # in-process caches are stores too
