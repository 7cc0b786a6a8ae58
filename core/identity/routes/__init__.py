"""HTTP routes of the identity package, grouped by audience."""

from __future__ import annotations


def all_route_handlers() -> list:
    from core.identity.routes.citizen import citizen_routes
    from core.identity.routes.enterprise import enterprise_routes
    from core.identity.routes.proxy import proxy_routes
    from core.identity.routes.session import session_routes
    from core.identity.routes.staff import staff_routes

    return [
        *session_routes(),
        *citizen_routes(),
        *proxy_routes(),
        *enterprise_routes(),
        *staff_routes(),
    ]
