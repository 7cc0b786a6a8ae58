"""好差评 (ratings) registered as a plugin of the platform: models, routes, the default-rating
periodic task, and case events that make cases rateable."""

from __future__ import annotations

from core.hooks import ModelsSpec, PeriodicTask, Routes, hookimpl

ZHUSHIDA_CONTRACT = "1"


@hookimpl
def zhushida_models() -> ModelsSpec:
    return ModelsSpec("evaluations", ["core.evaluations.models"], "core.evaluations.migrations", table_prefix="eval_")


@hookimpl
def zhushida_tasks() -> list:
    from core.evaluations.api import apply_defaults

    return [apply_defaults]


@hookimpl
def zhushida_periodic_tasks(settings) -> list[PeriodicTask]:
    from core.evaluations.api import apply_defaults
    from core.evaluations.config import evaluations_settings

    return [PeriodicTask("evaluations.apply_defaults", apply_defaults, evaluations_settings().default_check_seconds)]


@hookimpl
def zhushida_case_event(event):
    from core.evaluations.api import on_case_event

    return on_case_event(event)


@hookimpl
def zhushida_routes(settings) -> Routes:
    from core.evaluations.routes import all_route_handlers

    return Routes(all_route_handlers(), absolute=True)


@hookimpl
def zhushida_cli_commands() -> list:
    from core.evaluations.cli import evaluations

    return [evaluations]


@hookimpl
def zhushida_account_merged(from_account_id, into_account_id):
    from core.evaluations.merge import merge_account

    return merge_account(from_account_id, into_account_id)
