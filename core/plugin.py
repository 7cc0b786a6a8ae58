"""The core package registered as a plugin: its models, ops routes, readiness checks, sandbox."""

from __future__ import annotations

import asyncio

from core.hooks import ModelsSpec, ReadinessCheck, Routes, hookimpl
from core.settings import Settings

ZHUSHIDA_CONTRACT = "1"


@hookimpl
def zhushida_models() -> ModelsSpec:
    return ModelsSpec("core", ["core.models"], "core.migrations", table_prefix="core_")


@hookimpl
def zhushida_routes(settings: Settings) -> Routes:
    from core.health import healthz, readyz
    from core.web.metrics import metrics_endpoint

    return Routes([healthz, readyz, metrics_endpoint], absolute=True)


@hookimpl
def zhushida_readiness_checks(settings: Settings) -> list[ReadinessCheck]:
    from core import db
    from core.stores import get_stores

    checks = [ReadinessCheck("database", db.ping)]
    if settings.redis_url:
        checks.append(ReadinessCheck("redis", lambda: get_stores().ping()))
    if settings.broker_url:
        checks.append(ReadinessCheck("broker", _broker_ping))
    return checks


async def _broker_ping() -> bool:
    from core.tasks import get_celery

    def connect() -> bool:
        with get_celery().connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
        return True

    return await asyncio.to_thread(connect)


@hookimpl
def zhushida_sandbox_routes(settings: Settings):
    from core.sandbox.wechat import wechat_sandbox_router

    return wechat_sandbox_router({settings.wechat_appid: settings.wechat_secret.get_secret_value()})
