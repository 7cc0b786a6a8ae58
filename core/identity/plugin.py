"""Accounts, identity, regions and access control registered as a plugin of the platform."""

from __future__ import annotations

from litestar.connection import ASGIConnection

from core.auth import Principal, register_resolver
from core.hooks import ModelsSpec, Routes, hookimpl
from core.settings import Settings

ZHUSHIDA_CONTRACT = "1"


async def _resolve_bearer(token: str, _connection: ASGIConnection) -> Principal | None:
    from core.identity.sessions import resolve_access_token

    return await resolve_access_token(token)


# Loading this plugin is what makes ``Authorization: Bearer`` mean a Zhushida access token.
register_resolver("Bearer", _resolve_bearer)


@hookimpl
def zhushida_models() -> ModelsSpec:
    return ModelsSpec(
        "identity", ["core.identity.models"], "core.identity.migrations", table_prefix="identity_"
    )


@hookimpl
def zhushida_routes(settings: Settings) -> Routes:
    from core.identity.routes import all_route_handlers

    return Routes(all_route_handlers(), absolute=True)


@hookimpl
def zhushida_sandbox_routes(settings: Settings) -> list:
    from core.identity.face import face_sandbox_router
    from core.integrations.sms import sms_sandbox_router

    return [sms_sandbox_router(settings), face_sandbox_router(settings)]


@hookimpl
def zhushida_cli_commands() -> list:
    from core.identity.cli import identity, regions

    return [regions, identity]


@hookimpl
def zhushida_seed_demo():
    from core.identity.demo import seed_demo

    return seed_demo()
