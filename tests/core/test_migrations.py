"""The committed migrations build exactly the models' schema, on this backend."""

from __future__ import annotations

from tortoise import Tortoise
from tortoise.migrations.autodetector import MigrationAutodetector

from core import db


async def test_migrations_cover_every_model(host, settings, database):
    config = db.tortoise_config(settings, host)
    detector = MigrationAutodetector(Tortoise.apps, config["apps"])
    writers = await detector.changes()
    assert not writers, "models changed without a migration: run `zhushida db makemigrations` " + str(
        [(w.app_label, w.name) for w in writers]
    )


async def test_every_plugin_table_exists(database):
    conn = db.connections.get("default")
    for app in Tortoise.apps.values():
        for model in app.values():
            await conn.execute_query(f'SELECT COUNT(*) FROM "{model._meta.db_table}"')


async def test_upgrade_is_idempotent(host, settings, database):
    # Already applied: a second upgrade applies nothing and leaves the data alone.
    from core.models import AuditEvent

    await AuditEvent.create(actor="t", action="keep")
    applied = []
    await db.upgrade(settings, host, progress=lambda event, app, name: applied.append((event, app, name)))
    await db.init_db(settings, host)
    assert [a for a in applied if a[0] == "apply_done"] == []
    assert await AuditEvent.filter(action="keep").count() == 1
