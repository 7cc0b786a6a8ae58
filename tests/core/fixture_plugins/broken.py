"""A deliberately broken plugin: a misspelled hook, a failing hook, a hook that never answers."""

from __future__ import annotations

import asyncio

from core.hooks import hookimpl

ZHUSHIDA_CONTRACT = "1"


@hookimpl
def zhushida_routes(settings):
    raise RuntimeError("routes table exploded")


@hookimpl
def zhushida_home_widgets(user, region, channel):
    async def never():
        await asyncio.sleep(3600)

    return never()


def zhushida_home_widget(user):  # misspelled: the host must refuse it by name
    return None
