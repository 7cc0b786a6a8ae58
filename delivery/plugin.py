"""The delivery package registered as a plugin of the platform: its tables, routes, courier
gateways (EMS, SF), their sandboxes, tasks, the ``delivery_fee`` payment purpose and its reaction
to case events."""

from __future__ import annotations

from typing import Any

from core.hooks import ModelsSpec, PeriodicTask, Routes, hookimpl

ZHUSHIDA_CONTRACT = "1"


@hookimpl
def zhushida_models() -> ModelsSpec:
    return ModelsSpec("delivery", ["delivery.models"], "delivery.migrations", table_prefix="delivery_")


@hookimpl
def zhushida_routes(settings: Any) -> Routes:
    from delivery.routes import all_routes

    return Routes(all_routes(), absolute=True)


@hookimpl
def zhushida_sandbox_routes(settings: Any) -> list:
    from delivery.sandbox.ems import ems_sandbox_router
    from delivery.sandbox.sf import sf_sandbox_router

    return [ems_sandbox_router(), sf_sandbox_router()]


@hookimpl
def zhushida_courier_gateways(settings: Any) -> list:
    from delivery.config import delivery_settings
    from delivery.couriers.ems import EMSGateway
    from delivery.couriers.sf import SFGateway

    config = delivery_settings()
    return [EMSGateway(config), SFGateway(config)]


@hookimpl
def zhushida_tasks() -> list:
    from delivery.tasks import ALL

    return ALL


@hookimpl
def zhushida_periodic_tasks(settings: Any) -> list[PeriodicTask]:
    from delivery.config import delivery_settings
    from delivery.tasks import retry_due

    return [PeriodicTask("delivery.retry_due", retry_due, delivery_settings().retry_sweep_seconds)]


@hookimpl
def zhushida_payment_purposes() -> Any:
    from delivery.fees import PURPOSE

    return PURPOSE


@hookimpl
def zhushida_case_event(event: Any) -> Any:
    from delivery.case_events import on_case_event

    return on_case_event(event)


@hookimpl
def zhushida_home_widgets(user: Any) -> Any:
    from delivery.widgets import parcels_widget

    return parcels_widget(user)


@hookimpl
def zhushida_account_merged(from_account_id, into_account_id):
    from delivery.merge import merge_account

    return merge_account(from_account_id, into_account_id)
