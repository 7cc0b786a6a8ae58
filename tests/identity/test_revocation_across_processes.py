"""A logout in one app process is seen at once by every other.

On the services backend a second app runs as a real ``zhushida serve`` process (granian) sharing
PostgreSQL and Redis; on the embedded backend (one process by design, memory store) a second app
instance in this process shares the store.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx

from tests.support.auth import make_citizen
from tests.support.servers import free_port

ROOT = Path(__file__).resolve().parents[2]


@asynccontextmanager
async def other_process(settings, host, stores) -> AsyncIterator[httpx.AsyncClient]:
    if settings.redis_url:
        port = free_port()
        server = subprocess.Popen(
            [str(Path(sys.executable).parent / "zhushida"), "serve", "--port", str(port)],
            cwd=ROOT,
            env=dict(os.environ),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        try:
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=5) as c:
                deadline = time.monotonic() + 30
                while True:
                    try:
                        if (await c.get("/healthz")).status_code == 200:
                            break
                    except httpx.TransportError:
                        pass
                    if time.monotonic() > deadline or server.poll() is not None:
                        output = server.stdout.read().decode() if server.poll() is not None else ""
                        raise RuntimeError(f"second app process did not start: {output[-2000:]}")
                    await asyncio.sleep(0.1)
                yield c
        finally:
            server.terminate()
            server.wait(timeout=15)
    else:
        from core.app import create_app

        second = create_app(settings, host, stores, mount_sandbox=False)
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=second), base_url="http://second"
        ) as c:
            yield c


async def test_logout_everywhere_reaches_the_other_process(client, settings, host, stores):
    alice = await make_citizen()
    async with other_process(settings, host, stores) as elsewhere:
        assert (await elsewhere.get("/identity/me", headers=alice.headers)).status_code == 200
        assert (await client.post("/identity/logout-all", headers=alice.headers)).status_code == 200
        refused = await elsewhere.get("/identity/me", headers=alice.headers)
        assert refused.status_code == 401 and refused.json()["code"] == "auth.required"
        # And the other way round: a refresh done there retires the token here.
        bob = await make_citizen()
        refreshed = await elsewhere.post(
            "/identity/token/refresh", json={"refresh_token": bob.tokens.refresh_token}
        )
        assert refreshed.status_code == 200
        assert (await client.get("/identity/me", headers=bob.headers)).status_code == 401
        stale = await client.post(
            "/identity/token/refresh", json={"refresh_token": bob.tokens.refresh_token}
        )
        assert stale.json()["code"] == "identity.refresh_token_invalid"
