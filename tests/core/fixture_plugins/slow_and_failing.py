"""Valid contract, but its per-request hook is slow and its readiness probe fails."""

from __future__ import annotations

import asyncio

from core.hooks import ReadinessCheck, hookimpl

ZHUSHIDA_CONTRACT = "1"


@hookimpl
def zhushida_home_widgets(user, region, channel):
    async def slow():
        await asyncio.sleep(3600)

    return slow()


@hookimpl
def zhushida_readiness_checks(settings):
    async def down():
        raise ConnectionError("department API unreachable")

    return [ReadinessCheck("slow_and_failing.upstream", down)]
