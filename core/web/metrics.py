"""Prometheus metrics (``/metrics``): request counts and latencies by route template."""

from __future__ import annotations

import time

from litestar import Response, get
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest

REQUESTS = Counter("zhushida_http_requests_total", "HTTP requests", ["method", "route", "status"])
LATENCY = Histogram(
    "zhushida_http_request_seconds", "HTTP request latency", ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
PLUGIN_FAILURES = Counter("zhushida_plugin_failures_total", "Plugin hook failures and timeouts", ["plugin", "hook"])

# labels() looks the child up under a lock on every call; the children of a route are few and live
# forever, so keep them (bounded: methods x route templates x statuses).
_children: dict[tuple[str, str, int], tuple[object, object]] = {}


def _series(method: str, route: str, status: int) -> tuple[object, object]:
    series = _children.get((method, route, status))
    if series is None:
        series = _children[(method, route, status)] = (
            REQUESTS.labels(method, route, str(status)), LATENCY.labels(method, route))
    return series


def metrics_middleware(app: ASGIApp) -> ASGIApp:
    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await app(scope, receive, send_wrapper)
        finally:
            # The route template keeps label cardinality bounded (no ids in labels).
            route = scope.get("path_template") or "unmatched"
            count, latency = _series(scope["method"], route, status)
            count.inc()  # type: ignore[attr-defined]
            latency.observe(time.perf_counter() - started)  # type: ignore[attr-defined]

    return middleware


@get("/metrics", include_in_schema=False, sync_to_thread=False)
def metrics_endpoint() -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
