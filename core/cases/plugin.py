"""The case engine registered as a plugin of the platform: its tables, case and workbench API,
electronic supervision (a periodic task) and the case/bundle payment purposes."""

from __future__ import annotations

from core.hooks import ModelsSpec, PeriodicTask, Routes, hookimpl
from core.settings import Settings

ZHUSHIDA_CONTRACT = "1"

SUPERVISION_EVERY_SECONDS = 15 * 60


@hookimpl
def zhushida_models() -> ModelsSpec:
    return ModelsSpec("cases", ["core.cases.models"], "core.cases.migrations", table_prefix="cases_")


@hookimpl
def zhushida_routes(settings: Settings) -> Routes:
    from core.cases.routes import case_routes

    return Routes(case_routes(), absolute=True)


@hookimpl
def zhushida_tasks() -> list:
    from core.cases.supervision import purge_orphan_uploads, supervise

    return [supervise, purge_orphan_uploads]


@hookimpl
def zhushida_periodic_tasks(settings: Settings) -> list[PeriodicTask]:
    from core.cases.supervision import purge_orphan_uploads, supervise

    return [PeriodicTask("cases.supervise", supervise, SUPERVISION_EVERY_SECONDS),
            PeriodicTask("cases.purge_orphan_uploads", purge_orphan_uploads, 24 * 3600)]


@hookimpl
def zhushida_payment_purposes() -> list:
    from core.cases.payment_purposes import purposes

    return purposes()


@hookimpl
def zhushida_sandbox_routes(settings: Settings):
    from core.cases.s3 import S3Settings
    from core.cases.sandbox_s3 import s3_sandbox_router

    s3 = S3Settings()
    secret = s3.secret_key.get_secret_value() or "sandbox-secret"
    return s3_sandbox_router({s3.access_key or "sandbox-access": secret}, s3.region)


@hookimpl
def zhushida_form_prefill(account_id: int, item, keys: list[str]):
    from core.cases.prefill import person_prefill

    return person_prefill(account_id, item, keys)


@hookimpl
def zhushida_account_merged(from_account_id, into_account_id):
    from core.cases.merge import merge_account

    return merge_account(from_account_id, into_account_id)
