"""The service catalogue registered as a plugin of the platform: enablement table, catalogue API."""

from __future__ import annotations

from core.hooks import ModelsSpec, Routes, hookimpl
from core.settings import Settings

ZHUSHIDA_CONTRACT = "1"


@hookimpl
def zhushida_models() -> ModelsSpec:
    return ModelsSpec("catalogue", ["core.catalogue.models"], "core.catalogue.migrations", table_prefix="catalogue_")


@hookimpl
def zhushida_routes(settings: Settings) -> Routes:
    from core.catalogue.routes import catalogue_routes

    return Routes(catalogue_routes(), absolute=True)


@hookimpl
def zhushida_bundles() -> list:
    from core.catalogue.config_bundles import configured_bundles

    return configured_bundles()


@hookimpl
def zhushida_startup(app) -> None:
    # Build the catalogue now, so an invalid declaration fails start-up (platform) or disables its
    # plugin (department) with its name in the log, rather than on the first request.
    from core.catalogue.registry import reload_registry

    reload_registry()


@hookimpl
def zhushida_seed_demo():
    from core.catalogue.seed import enable_everything_in_demo_city

    return enable_everything_in_demo_city()
