"""E-certificates (电子证照) registered as a plugin of the platform: models, routes."""

from __future__ import annotations

from core.hooks import ModelsSpec, Routes, hookimpl

ZHUSHIDA_CONTRACT = "1"


@hookimpl
def zhushida_models() -> ModelsSpec:
    return ModelsSpec("certificates", ["core.certificates.models"], "core.certificates.migrations", table_prefix="cert_")


@hookimpl
def zhushida_routes(settings) -> Routes:
    from core.certificates.routes import all_route_handlers

    return Routes(all_route_handlers(), absolute=True)


@hookimpl
def zhushida_material_certificates(account_id, item, material):
    from core.certificates.case_events import material_certificates

    return material_certificates(account_id, material)


@hookimpl
def zhushida_case_event(event):
    from core.certificates.case_events import on_case_event

    return on_case_event(event)


@hookimpl
def zhushida_cli_commands() -> list:
    from core.certificates.cli import certificates

    return [certificates]


@hookimpl
def zhushida_account_merged(from_account_id, into_account_id):
    from core.certificates.merge import merge_account

    return merge_account(from_account_id, into_account_id)
