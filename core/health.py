"""``/healthz`` (the process answers) and ``/readyz`` (its dependencies answer)."""

from __future__ import annotations

import asyncio
import time

from litestar import Request, Response, get

from core.plugins.host import PluginHost

READY_TIMEOUT = 3.0


@get("/healthz", tags=["ops"], sync_to_thread=False, summary="Liveness")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@get("/readyz", tags=["ops"], summary="Readiness: database, Redis, broker and plugin checks")
async def readyz(request: Request) -> Response:
    host: PluginHost = request.app.state.host
    checks = [check for _plugin, check in host.collect("zhushida_readiness_checks", settings=host.settings)]

    async def probe(check) -> tuple[str, dict]:
        started = time.perf_counter()
        try:
            ok = await asyncio.wait_for(check.probe(), READY_TIMEOUT)
            ok = ok is not False
            error = None
        except Exception as exc:
            ok, error = False, f"{type(exc).__name__}: {exc}"[:200]
        result = {"ok": ok, "ms": round((time.perf_counter() - started) * 1000, 1)}
        if error:
            result["error"] = error
        return check.name, result

    results = dict(await asyncio.gather(*(probe(c) for c in checks)))
    ready = all(r["ok"] for r in results.values())
    return Response({"status": "ready" if ready else "not_ready", "checks": results}, status_code=200 if ready else 503)
