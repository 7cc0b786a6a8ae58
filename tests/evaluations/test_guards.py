"""Every route of certificates, messages and evaluations is guarded: anonymous callers get 401,
except the two public ones (certificate types and 亮证 verification)."""

from __future__ import annotations

import re

import pytest

from core.certificates.routes import all_route_handlers as certificate_routes
from core.evaluations.routes import all_route_handlers as evaluation_routes
from core.messages.routes import all_route_handlers as message_routes

PUBLIC = {"/certificates/types", "/certificates/verify"}
ROUTES = sorted(
    (method, path)
    for handler in (*certificate_routes(), *message_routes(), *evaluation_routes())
    for path in handler.paths
    for method in handler.http_methods
)


@pytest.mark.parametrize(("method", "path"), ROUTES)
async def test_anonymous_callers_are_refused(client, method, path):
    url = re.sub(r"\{[^}]+\}", "1", path)
    response = await client.request(method, url, json={} if method in ("POST", "PUT") else None,
                                    params={"case_id": 1} if "uses" in path else None)
    if path in PUBLIC:
        assert response.status_code != 401
    else:
        assert response.status_code == 401 and response.json()["code"] == "auth.required", (method, path)


def test_every_area_contributes_routes():
    assert len(ROUTES) >= 27


@pytest.mark.parametrize(("method", "path"), [r for r in ROUTES if r[1] not in PUBLIC])
async def test_callers_of_the_wrong_kind_are_refused(client, method, path):
    from tests.support.auth import make_citizen, make_staff

    staff_route = path.startswith(("/staff", "/operator"))
    caller = await make_citizen() if staff_route else await make_staff(roles=("head",))
    url = re.sub(r"\{[^}]+\}", "1", path)
    response = await client.request(method, url, headers=caller.headers,
                                    json={} if method in ("POST", "PUT") else None,
                                    params={"case_id": 1} if "uses" in path else None)
    assert response.status_code == 403 and response.json()["code"] == "auth.forbidden", (method, path, response.text)
