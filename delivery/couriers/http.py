"""The HTTP client couriers are called with: real base URLs, rewritten to the sandbox in one place.

Adapters always build the courier's real URL (``https://sfapi.sf-express.com/std/service``); when
the sandbox is enabled, the transport swaps the origin for the sandbox gateway's, so signing and
parsing run exactly as in production. Network failures and 5xx become :class:`CourierUnreachable`.
"""

from __future__ import annotations

import httpx

from core.settings import get_settings
from delivery.config import delivery_settings
from delivery.couriers.base import CourierUnreachable


class RedirectTransport(httpx.AsyncBaseTransport):
    def __init__(self, real_base: str, sandbox_base: str) -> None:
        self.real_base = real_base.rstrip("/")
        self.sandbox_base = sandbox_base.rstrip("/")
        self._inner = httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        url = str(request.url)
        if url.startswith(self.real_base):
            request.url = httpx.URL(self.sandbox_base + url[len(self.real_base):])
            request.headers["host"] = request.url.netloc.decode("ascii")
        return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self._inner.aclose()


def courier_client(real_base: str, sandbox_path: str) -> httpx.AsyncClient:
    """A short-lived client for one call (tasks run on several event loops: no shared pool)."""
    settings = get_settings()
    timeout = httpx.Timeout(delivery_settings().http_timeout_seconds)
    if settings.sandbox_enabled:
        transport = RedirectTransport(real_base, f"{settings.effective_sandbox_url}/{sandbox_path}")
        return httpx.AsyncClient(transport=transport, timeout=timeout)
    return httpx.AsyncClient(timeout=timeout)


async def post(client: httpx.AsyncClient, url: str, **kwargs) -> httpx.Response:
    try:
        response = await client.post(url, **kwargs)
    except httpx.HTTPError as exc:
        raise CourierUnreachable(f"{type(exc).__name__}: {exc}") from exc
    if response.status_code >= 500:
        raise CourierUnreachable(f"HTTP {response.status_code} from {url}")
    return response
