"""The message centre (消息中心) registered as a plugin of the platform: models, routes, tasks,
and case events turned into messages."""

from __future__ import annotations

from core.hooks import ModelsSpec, Routes, hookimpl

ZHUSHIDA_CONTRACT = "1"


@hookimpl
def zhushida_models() -> ModelsSpec:
    return ModelsSpec("messages", ["core.messages.models"], "core.messages.migrations", table_prefix="msg_")


@hookimpl
def zhushida_routes(settings) -> Routes:
    from core.messages.routes import all_route_handlers

    return Routes(all_route_handlers(), absolute=True)


@hookimpl
def zhushida_tasks() -> list:
    from core.messages.delivery import deliver_message

    return [deliver_message]


@hookimpl
def zhushida_case_event(event):
    from core.messages.case_events import on_case_event

    return on_case_event(event)


@hookimpl
def zhushida_account_merged(from_account_id, into_account_id):
    from core.messages.merge import merge_account

    return merge_account(from_account_id, into_account_id)
