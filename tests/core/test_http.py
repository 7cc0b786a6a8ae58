"""The error format, request ids, health, readiness, metrics and OpenAPI, through HTTP."""

from __future__ import annotations

import httpx
import pytest

from core.app import create_app, platform_lifespan
from core.plugins.host import PluginHost


@pytest.fixture
async def echo_client(settings, stores, database):
    host = PluginHost(settings).load_entry_points()
    host.register_module("echo", "tests.core.fixture_plugins.echo")
    host.register_module("slow", "tests.core.fixture_plugins.slow_and_failing")
    app = create_app(settings, host, stores, mount_sandbox=False)
    async with platform_lifespan(app), httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        yield c


def assert_error(response: httpx.Response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"code", "message", "message_en", "details", "request_id"}
    assert body["code"] == code
    assert body["message"] and body["message_en"]
    assert response.headers["x-request-id"] == body["request_id"]
    return body


async def test_plugin_route_mounted_under_its_prefix(echo_client):
    response = await echo_client.post("/plugins/echo/echo", json={"word": "hi", "times": 2})
    assert response.status_code == 201
    assert response.json() == {"echo": ["hi", "hi"]}
    assert len(response.headers["x-request-id"]) == 32


async def test_incoming_request_id_is_kept(echo_client):
    response = await echo_client.get("/healthz", headers={"X-Request-ID": "abc-12345678"})
    assert response.headers["x-request-id"] == "abc-12345678"


async def test_malformed_json(echo_client):
    response = await echo_client.post("/plugins/echo/echo", content=b'{"word": ', headers={"content-type": "application/json"})
    assert_error(response, 400, "request.malformed")


async def test_wrong_types_and_unknown_fields(echo_client):
    body = assert_error(await echo_client.post("/plugins/echo/echo", json={"word": 5}), 400, "request.invalid")
    assert body["details"]["fields"]
    assert_error(await echo_client.post("/plugins/echo/echo", json={"word": "a", "colour": "red"}), 400, "request.invalid")
    assert_error(await echo_client.post("/plugins/echo/echo", json={}), 400, "request.invalid")


async def test_oversized_body(echo_client, settings):
    big = b'{"word": "' + b"x" * (settings.max_body_bytes + 10) + b'"}'
    assert_error(await echo_client.post("/plugins/echo/echo", content=big, headers={"content-type": "application/json"}), 413, "request.too_large")


async def test_unknown_route_and_wrong_method(echo_client):
    assert_error(await echo_client.get("/no/such/thing"), 404, "route.not_found")
    assert_error(await echo_client.delete("/healthz"), 405, "route.method_not_allowed")


async def test_domain_error_in_chinese_and_english(echo_client):
    body = assert_error(await echo_client.post("/plugins/echo/echo", json={"word": "no"}), 422, "echo.refused")
    assert body["message"] == "回声拒绝了这个词" and body["details"] == {"word": "no"}
    english = await echo_client.post("/plugins/echo/echo", json={"word": "no"}, headers={"Accept-Language": "en-GB,en;q=0.9"})
    assert english.json()["message"] == "The echo refuses this word"


async def test_readyz_reports_a_failing_plugin_check(echo_client):
    response = await echo_client.get("/readyz")
    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks["database"]["ok"] is True
    assert checks["slow_and_failing.upstream"]["ok"] is False


async def test_health_ready_metrics_docs(client, settings):
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    ready = await client.get("/readyz")
    assert ready.status_code == 200, ready.text
    expected = {"database"} | ({"redis"} if settings.redis_url else set()) | ({"broker"} if settings.broker_url else set())
    assert set(ready.json()["checks"]) == expected
    metrics = await client.get("/metrics")
    assert 'zhushida_http_requests_total{method="GET",route="/healthz",status="200"}' in metrics.text
    spec = (await client.get("/docs/openapi.json")).json()
    assert "/healthz" in spec["paths"] and "/readyz" in spec["paths"]
    assert (await client.get("/docs")).status_code == 200
