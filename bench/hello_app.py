"""The bare Litestar hello-world the BFF benchmark measures against (same server, same flags)."""

from __future__ import annotations

from litestar import Litestar, get


@get("/", sync_to_thread=False)
def hello() -> dict[str, str]:
    return {"hello": "world"}


app = Litestar(route_handlers=[hello], openapi_config=None, debug=False)
